#include "shared/money.h"

#include <fmt/format.h>

#include <limits>

#include "shared/text.h"

namespace budgetsync {
namespace {

int fen_places(MoneyUnit unit) {
  return unit == MoneyUnit::kYuan ? 2 : 6;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string_view unit_name(MoneyUnit unit) {
  return unit == MoneyUnit::kYuan ? "元" : "万元";
}

Result<MoneyUnit> parse_money_unit(std::string_view text) {
  const std::string_view t = trim(text);
  if (t == "元" || t == "yuan") return MoneyUnit::kYuan;
  if (t == "万元" || t == "wan") return MoneyUnit::kWanYuan;
  return Status::NotFound(fmt::format("不认识的金额单位“{}”（请写 元 或 万元）", std::string(t)));
}

Result<Money> Money::parse(std::string_view raw, MoneyUnit unit) {
  std::string_view text = trim(raw);
  // "3359.62万" says 万元 as plainly as "3359.62万元" does.
  if (ends_with(text, "万元") || ends_with(text, "万")) {
    unit = MoneyUnit::kWanYuan;
    text = trim(text.substr(
        0, text.size() - std::string_view(ends_with(text, "万元") ? "万元" : "万").size()));
  } else if (ends_with(text, "元")) {
    unit = MoneyUnit::kYuan;
    text = trim(text.substr(0, text.size() - std::string_view("元").size()));
  }
  if (text.empty() || text == "—" || text == "-" || text == "——") {
    return Status::InvalidArgument(fmt::format("“{}”不是金额", std::string(trim(raw))));
  }
  const auto too_large = [&] {
    return Status::OutOfRange(fmt::format("“{}”金额太大，无法精确保存", std::string(trim(raw))));
  };
  auto d = Decimal::parse(text);
  if (!d.ok()) {
    if (d.status().code() == StatusCode::kOutOfRange) return too_large();
    return Status::InvalidArgument(
        fmt::format("“{}”不是以{}为单位的金额；请写数字，如 2,945.68 或 2945.68万",
                    std::string(trim(raw)), unit_name(unit)));
  }
  const int places = fen_places(unit);
  const Decimal v = d->normalized();
  if (v.scale() > places) {
    return Status::InvalidArgument(
        fmt::format("“{}”的小数位数超过了以{}计到分所需的位数（最多 {} 位）",
                    std::string(trim(raw)), unit_name(unit), places));
  }
  Int128 fen = 0;
  try {
    fen = v.rounded(places).units();
  } catch (const DecimalOverflow&) {
    return too_large();  // so many digits that even 128 bits of 分 cannot hold them
  }
  if (fen > std::numeric_limits<int64_t>::max() || fen < std::numeric_limits<int64_t>::min()) {
    return too_large();
  }
  return Money(static_cast<int64_t>(fen));
}

Decimal Money::in(MoneyUnit unit) const {
  return Decimal::from_units(fen_, fen_places(unit));
}

std::string Money::format(MoneyUnit unit, int places, bool group) const {
  return in(unit).format(places, group);
}

Result<Money> Money::plus(Money o) const {
  int64_t r = 0;
  if (__builtin_add_overflow(fen_, o.fen_, &r))
    return Status::OutOfRange("金额相加超出了可表示的范围");
  return Money(r);
}

Result<Money> Money::minus(Money o) const {
  int64_t r = 0;
  if (__builtin_sub_overflow(fen_, o.fen_, &r)) {
    return Status::OutOfRange("金额相减超出了可表示的范围");
  }
  return Money(r);
}

}  // namespace budgetsync
