#include "shared/decimal.h"

#include <fmt/format.h>

#include <algorithm>

#include "shared/text.h"

namespace budgetsync {
namespace {

constexpr Int128 kInt128Max = ~(static_cast<Int128>(1) << 127);

std::string i128_to_string(Int128 v) {
  if (v == 0) return "0";
  const bool neg = v < 0;
  // Work with the magnitude as unsigned so the most negative value is safe.
  __extension__ unsigned __int128 mag =
      neg ? static_cast<unsigned __int128>(-(v + 1)) + 1 : static_cast<unsigned __int128>(v);
  std::string digits;
  while (mag > 0) {
    digits += static_cast<char>('0' + static_cast<int>(mag % 10));
    mag /= 10;
  }
  if (neg) digits += '-';
  std::reverse(digits.begin(), digits.end());
  return digits;
}

Int128 checked_mul(Int128 a, Int128 b) {
  Int128 r = 0;
  if (__builtin_mul_overflow(a, b, &r)) throw DecimalOverflow("decimal multiplication overflows");
  return r;
}

Int128 checked_add(Int128 a, Int128 b) {
  Int128 r = 0;
  if (__builtin_add_overflow(a, b, &r)) throw DecimalOverflow("decimal addition overflows");
  return r;
}

// a / b rounded half away from zero; b != 0.
Int128 div_round_half_up(Int128 a, Int128 b) {
  Int128 q = a / b;
  Int128 r = a % b;
  if (r != 0) {
    const Int128 abs_r = r < 0 ? -r : r;
    const Int128 abs_b = b < 0 ? -b : b;
    // Compare 2|r| >= |b| without overflowing.
    if (abs_r >= abs_b - abs_r) q += ((a < 0) != (b < 0)) ? -1 : 1;
  }
  return q;
}

}  // namespace

Int128 pow10_i128(int n) {
  Int128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

Decimal Decimal::from_units(Int128 units, int scale) {
  if (scale < 0 || scale > kMaxScale) throw DecimalOverflow("decimal scale out of range");
  return Decimal(units, scale);
}

Result<Decimal> Decimal::parse(std::string_view raw) {
  const std::string text = normalize_numeric_text(raw);
  auto fail = [&](const std::string& why) {
    return Status::InvalidArgument(fmt::format("“{}”不是数字：{}", std::string(trim(raw)), why));
  };
  if (text.empty()) return fail("内容为空");
  size_t i = 0;
  bool neg = false;
  if (text[i] == '+' || text[i] == '-') {
    neg = text[i] == '-';
    ++i;
  }
  const size_t int_begin = i;
  Int128 units = 0;
  int digits_in_group = 0;
  bool saw_comma = false;
  int total_int_digits = 0;
  for (; i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == ',');
       ++i) {
    if (text[i] == ',') {
      if (total_int_digits == 0 || (saw_comma && digits_in_group != 3) ||
          (!saw_comma && digits_in_group > 3)) {
        return fail("千位分隔符“,”的位置不对");
      }
      saw_comma = true;
      digits_in_group = 0;
      continue;
    }
    if (__builtin_mul_overflow(units, static_cast<Int128>(10), &units) ||
        __builtin_add_overflow(units, static_cast<Int128>(text[i] - '0'), &units)) {
      return Status::OutOfRange(fmt::format("“{}”太大，无法精确保存", std::string(trim(raw))));
    }
    ++digits_in_group;
    ++total_int_digits;
  }
  if (saw_comma && digits_in_group != 3) return fail("千位分隔符“,”的位置不对");
  if (i == int_begin || total_int_digits == 0) return fail("小数点前没有数字");
  int scale = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    const size_t frac_begin = i;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
      if (++scale > kMaxScale) return fail("小数位数太多");
      if (__builtin_mul_overflow(units, static_cast<Int128>(10), &units) ||
          __builtin_add_overflow(units, static_cast<Int128>(text[i] - '0'), &units)) {
        return Status::OutOfRange(fmt::format("“{}”太大，无法精确保存", std::string(trim(raw))));
      }
    }
    if (i == frac_begin) return fail("小数点后没有数字");
  }
  if (i != text.size()) return fail(fmt::format("多出了“{}”", text.substr(i)));
  return Decimal(neg ? -units : units, scale);
}

Decimal Decimal::rescaled_up(int scale) const {
  if (scale <= scale_) return *this;
  return Decimal(checked_mul(units_, pow10_i128(scale - scale_)), scale);
}

Decimal Decimal::operator-() const {
  if (units_ == -kInt128Max - 1) throw DecimalOverflow("decimal negation overflows");
  return Decimal(-units_, scale_);
}

Decimal Decimal::operator+(const Decimal& o) const {
  const int s = std::max(scale_, o.scale_);
  return Decimal(checked_add(rescaled_up(s).units_, o.rescaled_up(s).units_), s);
}

Decimal Decimal::operator-(const Decimal& o) const {
  return *this + (-o);
}

Decimal Decimal::operator*(const Decimal& o) const {
  Int128 units = checked_mul(units_, o.units_);
  int scale = scale_ + o.scale_;
  if (scale > kMaxScale) {
    units = div_round_half_up(units, pow10_i128(scale - kMaxScale));
    scale = kMaxScale;
  }
  return Decimal(units, scale);
}

Decimal Decimal::divide(const Decimal& num, const Decimal& den, int scale) {
  if (den.units_ == 0) throw std::domain_error("decimal division by zero");
  if (scale < 0 || scale > kMaxScale) throw DecimalOverflow("decimal scale out of range");
  // result = (n/10^sn) / (d/10^sd) = n * 10^(sd - sn + scale) / d, at `scale` places.
  const int shift = den.scale_ - num.scale_ + scale;
  Int128 n = num.units_;
  Int128 d = den.units_;
  if (shift >= 0) {
    n = checked_mul(n, pow10_i128(shift));
  } else {
    d = checked_mul(d, pow10_i128(-shift));
  }
  return Decimal(div_round_half_up(n, d), scale);
}

Decimal Decimal::rounded(int scale) const {
  if (scale < 0 || scale > kMaxScale) throw DecimalOverflow("decimal scale out of range");
  if (scale >= scale_) return rescaled_up(scale);
  return Decimal(div_round_half_up(units_, pow10_i128(scale_ - scale)), scale);
}

Decimal Decimal::normalized() const {
  Decimal d = *this;
  while (d.scale_ > 0 && d.units_ % 10 == 0) {
    d.units_ /= 10;
    --d.scale_;
  }
  return d;
}

std::string Decimal::to_string() const {
  return format(scale_, false);
}

std::string Decimal::format(int places, bool group) const {
  const Decimal r = rounded(places);
  std::string digits = i128_to_string(r.units_ < 0 ? -r.units_ : r.units_);
  if (static_cast<int>(digits.size()) <= places) {
    digits.insert(0, static_cast<size_t>(places + 1 - static_cast<int>(digits.size())), '0');
  }
  std::string int_part = digits.substr(0, digits.size() - static_cast<size_t>(places));
  const std::string frac_part = digits.substr(digits.size() - static_cast<size_t>(places));
  if (group && int_part.size() > 3) {
    std::string grouped;
    int count = 0;
    for (auto it = int_part.rbegin(); it != int_part.rend(); ++it, ++count) {
      if (count > 0 && count % 3 == 0) grouped += ',';
      grouped += *it;
    }
    int_part.assign(grouped.rbegin(), grouped.rend());
  }
  std::string out = r.units_ < 0 ? "-" : "";
  out += int_part;
  if (places > 0) out += "." + frac_part;
  return out;
}

std::strong_ordering Decimal::operator<=>(const Decimal& o) const {
  const int s = std::max(scale_, o.scale_);
  // Comparing needs no overflow checks when both fit after rescaling; values the
  // parser accepts always do, since kMaxScale leaves 20 digits of headroom.
  const Int128 a = rescaled_up(s).units_;
  const Int128 b = o.rescaled_up(s).units_;
  if (a < b) return std::strong_ordering::less;
  if (a > b) return std::strong_ordering::greater;
  return std::strong_ordering::equal;
}

}  // namespace budgetsync
