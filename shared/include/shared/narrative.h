// Numbers in narrative text (情况说明, 自评报告) checked against their own
// arithmetic. Pure functions on one text; the checker turns what they find
// into warnings quoting the sentence.
//
// Rules:
//  - A written sum "30+30+29.99=89.99" (full-width ＋ ＝ and unit words 万元, 元,
//    分, % after the numbers allowed) must hold exactly.
//  - A sentence stating a budget, an outturn and the share completed
//    ("年初预算为2,945.68万元，支出决算为2,945.68万元，完成年初预算的100.00%") must
//    agree at the precision the share is written: share = 决算 ÷ 预算 × 100. A share
//    stated over a budget of 0 has no base and is flagged.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shared/decimal.h"

namespace budgetsync {

struct NarrativeIssue {
  enum class Kind { kSum, kShare, kShareOfZero };
  Kind kind = Kind::kSum;
  std::string sentence;  // as written, trimmed
  std::string stated;    // the result or share as written ("89.97", "43.32%")
  std::string expected;  // what the arithmetic gives (empty for kShareOfZero)
};

std::vector<NarrativeIssue> check_narrative_numbers(std::string_view text);

}  // namespace budgetsync
