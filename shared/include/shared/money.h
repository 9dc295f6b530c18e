// Money: an exact amount held as an integer number of 分 (0.01 yuan).
//
// Forms state amounts in 元 or in 万元; the seeds' public tables use 万元 with two
// decimals and sometimes to the yuan (2903.8592 万元). Parsing converts to 分 and
// refuses anything that cannot be held exactly: more precision than one 分, or a
// value beyond int64.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "shared/decimal.h"
#include "shared/status.h"

namespace budgetsync {

enum class MoneyUnit { kYuan, kWanYuan };

// "元" or "万元".
std::string_view unit_name(MoneyUnit unit);
// Accepts "元"/"yuan" and "万元"/"wan"; anything else is NotFound.
Result<MoneyUnit> parse_money_unit(std::string_view text);

class Money {
 public:
  constexpr Money() = default;
  static constexpr Money from_fen(int64_t fen) { return Money(fen); }

  // Parses an amount written in `unit`: "2,945.68", "2903.8592", "0", "-3.5".
  // A trailing unit word ("44万元", "580 元") overrides `unit`. Blank text, "—" and
  // "-" are not amounts (the caller handles empty and not-applicable cells) and are
  // refused here like any other malformed text; the message quotes the text.
  static Result<Money> parse(std::string_view text, MoneyUnit unit);

  int64_t fen() const { return fen_; }
  // The amount in yuan or 万元 as an exact Decimal (2 or 6 places).
  Decimal in(MoneyUnit unit) const;
  // Rounded half up to `places` in `unit`, with thousands separators when `group`.
  std::string format(MoneyUnit unit, int places = 2, bool group = false) const;

  // Checked arithmetic: Result carries OutOfRange instead of wrapping.
  Result<Money> plus(Money o) const;
  Result<Money> minus(Money o) const;

  auto operator<=>(const Money&) const = default;

 private:
  constexpr explicit Money(int64_t fen) : fen_(fen) {}
  int64_t fen_ = 0;
};

}  // namespace budgetsync
