#include "shared/scoring.h"

#include <array>

#include "shared/text.h"

namespace budgetsync {
namespace {

const Decimal kHundred = Decimal::from_int(100);

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

Decimal min_dec(const Decimal& a, const Decimal& b) {
  return a < b ? a : b;
}
Decimal max_zero(const Decimal& a) {
  return a.is_negative() ? Decimal() : a;
}

}  // namespace

std::optional<Quantity> parse_quantity(std::string_view raw) {
  std::string text = normalize_numeric_text(raw);
  Quantity q;
  // Comparators as people type them, longest first.
  static constexpr std::array<std::pair<std::string_view, Comparator>, 10> kComparators{{
      {"≥", Comparator::kAtLeast},
      {">=", Comparator::kAtLeast},
      {"≤", Comparator::kAtMost},
      {"<=", Comparator::kAtMost},
      {"﹥", Comparator::kMoreThan},
      {">", Comparator::kMoreThan},
      {"﹤", Comparator::kLessThan},
      {"<", Comparator::kLessThan},
      {"=", Comparator::kEqual},
      {"≦", Comparator::kAtMost},
  }};
  std::string_view t = text;
  for (const auto& [sym, cmp] : kComparators) {
    if (starts_with(t, sym)) {
      q.comparator = cmp;
      q.has_comparator = true;
      t.remove_prefix(sym.size());
      break;
    }
  }
  // The number: digits, one optional point, optional leading sign.
  size_t i = 0;
  if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
  const size_t digits_begin = i;
  bool point = false;
  while (i < t.size() && ((t[i] >= '0' && t[i] <= '9') || t[i] == ',' || (t[i] == '.' && !point))) {
    if (t[i] == '.') point = true;
    ++i;
  }
  if (i == digits_begin) return std::nullopt;
  auto value = Decimal::parse(t.substr(0, i));
  if (!value.ok()) return std::nullopt;
  q.value = *value;
  q.unit = std::string(trim(t.substr(i)));
  return q;
}

std::optional<Decimal> deviation(const Decimal& actual, const Decimal& target) {
  if (target.is_zero()) return std::nullopt;
  return Decimal::divide((actual - target) * kHundred, target, 2);
}

IndicatorScore score_indicator(std::string_view target_text, std::string_view actual_text,
                               const Decimal& weight,
                               const std::map<std::string, Decimal>& qualitative) {
  IndicatorScore out;
  const auto target = parse_quantity(target_text);
  const auto actual = parse_quantity(actual_text);
  if (!actual) {
    // A qualitative result may have a configured share of the weight.
    auto it = qualitative.find(std::string(trim(actual_text)));
    if (it != qualitative.end()) {
      out.basis = IndicatorScore::Basis::kQualitativeRate;
      out.score = min_dec(weight, max_zero(Decimal::divide(weight * it->second, kHundred, 2)));
    }
    return out;
  }
  if (!target) {
    // 003's convention: a qualitative target measured as a percentage earns that
    // share of the weight, and its deviation is the shortfall from 100%.
    if (actual->unit != "%" || actual->has_comparator) return out;
    out.basis = IndicatorScore::Basis::kQualitativeRate;
    // Like every other rule, never below zero (a measured "-8%" earns nothing).
    out.score = min_dec(weight, max_zero(Decimal::divide(weight * actual->value, kHundred, 2)));
    out.deviation = (min_dec(actual->value, kHundred) - kHundred).rounded(2);
    return out;
  }
  // Units must agree when both are written ("1430平方米" against "=1569平方米").
  if (!target->unit.empty() && !actual->unit.empty() && target->unit != actual->unit) return out;
  if (actual->has_comparator) return out;
  const Decimal& a = actual->value;
  const Decimal& g = target->value;
  const bool lower_is_better =
      target->comparator == Comparator::kAtMost || target->comparator == Comparator::kLessThan;
  bool met = false;
  switch (target->comparator) {
    case Comparator::kAtLeast:
    case Comparator::kEqual:  // meeting or beating an "=" target earns full marks
      met = a >= g;
      break;
    case Comparator::kMoreThan:
      met = a > g;
      break;
    case Comparator::kAtMost:
      met = a <= g;
      break;
    case Comparator::kLessThan:
      met = a < g;
      break;
  }
  out.deviation = deviation(a, g);
  if (met) {
    out.basis = IndicatorScore::Basis::kMet;
    out.score = weight.rounded(2);
    out.zero_deviation_accepted = true;
    return out;
  }
  if (!lower_is_better) {
    out.basis = IndicatorScore::Basis::kProportional;
    out.score = g.is_zero() ? Decimal() : max_zero(Decimal::divide(weight * a, g, 2));
  } else {
    out.basis = IndicatorScore::Basis::kReverse;
    out.score = a.is_zero() ? weight.rounded(2) : max_zero(Decimal::divide(weight * g, a, 2));
  }
  out.score = min_dec(*out.score, weight.rounded(2));
  return out;
}

Decimal execution_score(const Decimal& weight, const Decimal& rate_percent) {
  return min_dec(weight.rounded(2), max_zero(Decimal::divide(weight * rate_percent, kHundred, 2)));
}

Decimal apply_standard(const StandardRule& rule, const Decimal& weight, const Decimal& input) {
  switch (rule.kind) {
    case StandardRule::Kind::kThresholdDeduction: {
      const Decimal excess =
          rule.higher_is_better ? rule.threshold - input : input - rule.threshold;
      if (!(excess > Decimal())) return weight;
      // "每超过一个百分点扣 x 分": a started percentage point counts as a whole one.
      Decimal points = excess.rounded(0);
      if (points < excess) points += Decimal::from_int(1);
      return max_zero(weight - rule.per_point * points);
    }
    case StandardRule::Kind::kBands:
      for (const auto& band : rule.bands) {
        if (!band.min || input >= *band.min) return min_dec(weight, band.score);
      }
      return Decimal();
    case StandardRule::Kind::kChecklist:
      return max_zero(weight - rule.per_item * input);
  }
  return weight;
}

std::string grade_for(const Decimal& total, const std::vector<GradeBand>& bands) {
  for (const auto& b : bands) {
    if (total >= b.min) return b.grade;
  }
  return bands.empty() ? std::string() : bands.back().grade;
}

bool agrees_at_stated_precision(const Decimal& stated, const Decimal& computed) {
  const int places = std::min(stated.scale(), computed.scale());
  return computed.rounded(places) == stated;
}

}  // namespace budgetsync
