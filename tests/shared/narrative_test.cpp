#include "shared/narrative.h"

#include <gtest/gtest.h>

namespace budgetsync {
namespace {

TEST(Narrative, AWrittenSumThatDoesNotHoldIsFoundWithItsSentence) {
  const auto found = check_narrative_numbers(
      "项目总得分为 30+30+29.99=89.97 分，评价等级为良。其余指标均已完成。");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, NarrativeIssue::Kind::kSum);
  EXPECT_EQ(found[0].sentence, "项目总得分为 30+30+29.99=89.97 分，评价等级为良");
  EXPECT_EQ(found[0].stated, "89.97 分");
  EXPECT_EQ(found[0].expected, "89.99");
}

TEST(Narrative, SumsThatHoldInAnyWritingAreNoIssue) {
  EXPECT_TRUE(check_narrative_numbers("得分 30＋30＋29.99＝89.99。").empty());
  EXPECT_TRUE(check_narrative_numbers("合计 1,200.00万元+143.00万元=1,343.00万元").empty());
  EXPECT_TRUE(check_narrative_numbers("预算执行率10分+指标90分=100分").empty());
}

TEST(Narrative, AShareOfTheBudgetIsCheckedAtItsPrecision) {
  // The seeds' sentence holds.
  EXPECT_TRUE(check_narrative_numbers("2024年度一般公共预算财政拨款支出年初预算为2,945.68万元，"
                                      "支出决算为2,945.68万元，完成年初预算的100.00%。")
                  .empty());
  const auto found =
      check_narrative_numbers("年初预算为59.87万元，支出决算为58.32万元，完成年初预算的100%。");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, NarrativeIssue::Kind::kShare);
  EXPECT_EQ(found[0].stated, "100%");
  EXPECT_EQ(found[0].expected, "97%");
}

TEST(Narrative, AShareOfABudgetOfZeroIsFlagged) {
  const auto found =
      check_narrative_numbers("年初预算为0万元，支出决算为12.00万元，完成年初预算的100%");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, NarrativeIssue::Kind::kShareOfZero);
}

TEST(Narrative, TextWithoutArithmeticIsLeftAlone) {
  EXPECT_TRUE(
      check_narrative_numbers("截至 3 月底，参保人数共计 429198 人，参保率 96.19%。").empty());
  EXPECT_TRUE(check_narrative_numbers("").empty());
  EXPECT_TRUE(check_narrative_numbers("电话 0377-65337011，2024-12-01").empty());
}

}  // namespace
}  // namespace budgetsync
