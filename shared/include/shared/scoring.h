// Scoring rules of performance evaluation (绩效自评), as pure functions on exact
// decimals. See ../shared/design/domain.md, "Scoring".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/decimal.h"
#include "shared/form_template.h"

namespace budgetsync {

enum class Comparator { kAtLeast, kMoreThan, kAtMost, kLessThan, kEqual };

// A quantitative indicator target or measured value: "≥95%", "≤200万元",
// "=598家", "1430平方米", "100%". `unit` is the text after the number ("%",
// "万元", "人次"); it may be empty.
struct Quantity {
  Comparator comparator = Comparator::kEqual;  // kEqual when none is written
  bool has_comparator = false;
  Decimal value;
  std::string unit;
};

// Parses a target or a measured value. Returns nothing for qualitative text
// ("及时", "有效提升", "全部及时到位"), which a person scores by hand.
std::optional<Quantity> parse_quantity(std::string_view text);

// The 偏差度 in percent points, two places: (actual − target) / target × 100.
// Nothing when the target is zero.
std::optional<Decimal> deviation(const Decimal& actual, const Decimal& target);

// How one indicator's score came about.
struct IndicatorScore {
  enum class Basis {
    kMet,              // target met or beaten: full marks
    kProportional,     // shortfall on a ≥/= target: 分值 × 实际 / 目标
    kReverse,          // overrun on a ≤ target: 分值 × 目标 / 实际
    kQualitativeRate,  // qualitative target, measured as a percentage: 分值 × 实际%
    kManual,           // nothing to compute: a person scores it
  };
  Basis basis = Basis::kManual;
  std::optional<Decimal> score;      // two places, never above the weight
  std::optional<Decimal> deviation;  // two places, when the rule defines one
  // When the target is met, forms may record the deviation as 0.00 instead of
  // the formula's surplus; both are accepted.
  bool zero_deviation_accepted = false;
};

// Scores one indicator. `qualitative` maps measured texts to a percent of the
// weight (per province); unknown qualitative pairs are kManual.
IndicatorScore score_indicator(std::string_view target, std::string_view actual,
                               const Decimal& weight,
                               const std::map<std::string, Decimal>& qualitative = {});

// Budget execution: 得分 = 分值 × 执行率, capped at 分值; rate in percent points.
Decimal execution_score(const Decimal& weight, const Decimal& rate_percent);

// Applies a scoring standard (threshold with deduction per point, bands,
// checklist) to a measured input. Never below zero, never above the weight.
Decimal apply_standard(const StandardRule& rule, const Decimal& weight, const Decimal& input);

// The grade a total earns: the first band whose inclusive lower bound it
// reaches; the last band's grade when it reaches none.
std::string grade_for(const Decimal& total, const std::vector<GradeBand>& bands);

// Whether a stated figure agrees with the computed one: equal once the computed
// value is rounded to as many places as the person wrote (a stated "9.7" agrees
// with a computed 9.69; a stated "9" does not agree with 9.69).
bool agrees_at_stated_precision(const Decimal& stated, const Decimal& computed);

}  // namespace budgetsync
