// Decimal: an exact base-10 number for rates, scores and every computation on
// money. Never a binary floating point value.
//
// A Decimal is units / 10^scale with a 128-bit coefficient, so sums and products
// of any amounts a budget can hold are exact. Arithmetic that would overflow the
// coefficient throws DecimalOverflow (an internal signal; engines catch it and
// report a Status or a finding, it never crosses a module boundary).
#pragma once

#include <compare>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "shared/status.h"

namespace budgetsync {

__extension__ typedef __int128 Int128;

class DecimalOverflow : public std::overflow_error {
 public:
  using std::overflow_error::overflow_error;
};

class Decimal {
 public:
  static constexpr int kMaxScale = 18;

  constexpr Decimal() = default;
  // The value units / 10^scale. scale must be in [0, kMaxScale].
  static Decimal from_units(Int128 units, int scale);
  static Decimal from_int(int64_t v) { return from_units(v, 0); }

  // Parses a plain decimal as people write it: optional sign, digits with optional
  // thousands separators (groups of three), optional fraction: "2,945.68", "-8.86",
  // "0", ".5" is refused (write 0.5). Full-width digits and signs are accepted.
  // Refuses empty text, stray characters and more than kMaxScale fraction digits,
  // naming the text in the message.
  static Result<Decimal> parse(std::string_view text);

  Int128 units() const { return units_; }
  int scale() const { return scale_; }
  bool is_zero() const { return units_ == 0; }
  bool is_negative() const { return units_ < 0; }

  Decimal operator-() const;
  Decimal operator+(const Decimal& o) const;
  Decimal operator-(const Decimal& o) const;
  Decimal operator*(const Decimal& o) const;
  Decimal& operator+=(const Decimal& o) { return *this = *this + o; }
  Decimal& operator-=(const Decimal& o) { return *this = *this - o; }
  Decimal abs() const { return is_negative() ? -*this : *this; }

  // num / den rounded half away from zero (四舍五入) to `scale` places.
  // den must not be zero (the caller decides what a zero base means).
  static Decimal divide(const Decimal& num, const Decimal& den, int scale);

  // This value rounded half away from zero to `scale` places (or padded with
  // zeros when scale is larger than the current one).
  Decimal rounded(int scale) const;

  // The same value with trailing fractional zeros removed ("9.50" -> "9.5").
  Decimal normalized() const;

  // Plain text with exactly scale() fraction digits, no grouping: "-8.86".
  std::string to_string() const;
  // Rounded to `places` and printed with that many fraction digits; with
  // `group` true the integer part gets thousands separators: "2,945.68".
  std::string format(int places, bool group = false) const;

  std::strong_ordering operator<=>(const Decimal& o) const;
  bool operator==(const Decimal& o) const { return (*this <=> o) == 0; }

 private:
  Decimal(Int128 units, int scale) : units_(units), scale_(scale) {}
  Decimal rescaled_up(int scale) const;  // exact, throws on overflow

  Int128 units_ = 0;
  int scale_ = 0;
};

// 10^n as a 128-bit integer, n in [0, 38].
Int128 pow10_i128(int n);

}  // namespace budgetsync
