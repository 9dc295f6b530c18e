#include "shared/standard_text.h"

#include <gtest/gtest.h>

namespace budgetsync {
namespace {

Decimal d(const char* s) {
  return *Decimal::parse(s);
}

TEST(StandardText, BandsThatLeaveAGapAreFound) {
  // Seed 001's 预算调整率: 10%–20% scores nothing.
  const auto found = check_standard_text(
      "预算调整率=0，计3分；0-10%(含)，计2分；20%-30%(含)，计1分；大于30%不得分。"
      "预算调整率=(预算调整数/预算数)×100%。",
      d("3"));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, StandardTextIssue::Kind::kGap);
  EXPECT_EQ(found[0].from, "10%");
  EXPECT_EQ(found[0].to, "20%");
}

TEST(StandardText, ContiguousBandsAreNoIssue) {
  EXPECT_TRUE(
      check_standard_text("重点支出安排率≥90%，计5分；80%(含)-90%，计4分；70%(含)-80%，计3分；"
                          "60%(含)-70%，计2分；低于60%不得分。",
                          d("5"))
          .empty());
  EXPECT_TRUE(
      check_standard_text(
          "95%(含)以上计5分; 85%(含)-95%, 计3分; 75%(含)-85%, 计1分; 低于75%计0分。", d("5"))
          .empty());
}

TEST(StandardText, OverlappingBandsAreFound) {
  const auto found = check_standard_text("90%-100%，计5分；80%-95%，计3分；低于80%不得分", d("5"));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, StandardTextIssue::Kind::kOverlap);
  EXPECT_EQ(found[0].from, "90%");
  EXPECT_EQ(found[0].to, "95%");
}

TEST(StandardText, AFullMarkThatIsNotTheWeightIsFound) {
  const auto found = check_standard_text("完成任务100%得5分, 每少一个扣0.5分, 扣完为止。", d("10"));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, StandardTextIssue::Kind::kFullMarks);
  EXPECT_EQ(found[0].named, "5");
  EXPECT_TRUE(
      check_standard_text("完成任务100%得5分, 每少一个扣0.5分, 扣完为止。", d("5")).empty());
  // Deductions and itemised points are not full marks.
  EXPECT_TRUE(check_standard_text("每超过一个百分点扣0.5分，扣完为止。", d("3")).empty());
  EXPECT_TRUE(check_standard_text("①按规定内容公开预算信息，1分；②按规定时限公开，0.5分。", d("3"))
                  .empty());
}

}  // namespace
}  // namespace budgetsync
