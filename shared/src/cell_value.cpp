#include "shared/cell_value.h"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "shared/text.h"

namespace budgetsync {
namespace {

constexpr std::array<std::pair<ColumnType, std::string_view>, 7> kTypeNames{{
    {ColumnType::kAmount, "amount"},
    {ColumnType::kRate, "rate"},
    {ColumnType::kScore, "score"},
    {ColumnType::kNumber, "number"},
    {ColumnType::kText, "text"},
    {ColumnType::kTarget, "target"},
    {ColumnType::kMeasure, "measure"},
}};

bool is_not_applicable_text(std::string_view t) {
  return t == "—" || t == "-" || t == "——" || t == "/" || t == "－" || t == "–";
}

}  // namespace

std::string_view column_type_name(ColumnType t) {
  for (const auto& [type, name] : kTypeNames) {
    if (type == t) return name;
  }
  return "?";
}

Result<ColumnType> parse_column_type(std::string_view name) {
  for (const auto& [type, n] : kTypeNames) {
    if (n == name) return type;
  }
  return Status::NotFound(fmt::format(
      "不认识的栏类型“{}”（应为 amount、rate、score、number、text、target、measure 之一）",
      std::string(name)));
}

std::optional<Decimal> CellValue::number(MoneyUnit unit) const {
  switch (kind_) {
    case Kind::kMoney:
      return money_.in(unit);
    case Kind::kDecimal:
      return decimal_;
    default:
      return std::nullopt;
  }
}

Result<CellValue> parse_cell(std::string_view raw, ColumnType type, MoneyUnit unit) {
  const std::string_view t = trim(raw);
  if (t.empty()) return CellValue::blank();
  if (!is_valid_utf8(t)) return Status::InvalidArgument("文字不是有效的 UTF-8 编码");
  switch (type) {
    case ColumnType::kText:
    case ColumnType::kTarget:
    case ColumnType::kMeasure:
      return CellValue::text(std::string(t));
    default:
      break;
  }
  if (is_not_applicable_text(t)) return CellValue::not_applicable();
  switch (type) {
    case ColumnType::kAmount: {
      auto m = Money::parse(t, unit);
      if (!m.ok()) return m.status();
      return CellValue::money(*m);
    }
    case ColumnType::kRate: {
      std::string n = normalize_numeric_text(t);
      if (!n.empty() && n.back() == '%') n.pop_back();
      auto d = Decimal::parse(n);
      if (!d.ok()) {
        return Status::InvalidArgument(
            fmt::format("“{}”不是比率（请写成 96.19% 这样）", std::string(t)));
      }
      return CellValue::decimal(*d);
    }
    case ColumnType::kScore:
    case ColumnType::kNumber: {
      auto d = Decimal::parse(t);
      if (!d.ok()) {
        return Status::InvalidArgument(fmt::format("“{}”不是{}（请写数字，如 {}）", std::string(t),
                                                   type == ColumnType::kScore ? "分值" : "数字",
                                                   type == ColumnType::kScore ? "9.5" : "120"));
      }
      return CellValue::decimal(*d);
    }
    default:
      return CellValue::text(std::string(t));
  }
}

}  // namespace budgetsync
