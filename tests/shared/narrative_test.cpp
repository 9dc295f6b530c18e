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

// ---- numbers that stand for table cells (find_mentions) ---------------------

TEST(Mentions, TheLongestPhraseBeforeAnAmountWinsAndJoiningWordsAreSkipped) {
  const std::vector<MentionPattern> patterns{{"基本支出", "", false},
                                             {"一般公共预算财政拨款基本支出", "", false},
                                             {"收、支总计", "", false}};
  const auto hits = find_mentions(
      "2024年度收、支总计均为2,945.68万元。2024年度一般公共预算财政拨款基本支出590.45 "
      "万元，其中：基本支出 590.45万元，占20.04%。",
      patterns);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].pattern, 2u);
  EXPECT_EQ(hits[0].stated, "2,945.68万元");
  EXPECT_EQ(hits[0].value, *Decimal::parse("2945.68"));
  EXPECT_EQ(hits[0].unit, "万元");
  EXPECT_EQ(hits[0].sentence, "2024年度收、支总计均为2,945.68万元");
  EXPECT_EQ(hits[1].pattern, 1u);
  EXPECT_EQ(hits[2].pattern, 0u);
  EXPECT_EQ(hits[2].stated, "590.45万元");
}

TEST(Mentions, AHugeTextIsReadWithinBoundsAndOrdinarySentencesStillCount) {
  const std::vector<MentionPattern> patterns{{"收入合计", "", false}};
  // One endless “sentence” (commas do not end one): not read.
  std::string endless;
  for (int i = 0; i < 20'000; ++i) endless += "收入合计1万元，";
  EXPECT_TRUE(find_mentions(endless, patterns).empty());
  // Many ordinary sentences: read, up to the cap.
  std::string many;
  for (int i = 0; i < 2'000; ++i) many += "收入合计1万元。";
  const auto hits = find_mentions(many, patterns);
  EXPECT_EQ(hits.size(), kMaxMentionHits);
  EXPECT_EQ(hits.front().sentence, "收入合计1万元");
}

TEST(Mentions, ANumberWithoutItsUnitWordOrAfterOtherWordsIsNotAMention) {
  const std::vector<MentionPattern> patterns{{"收、支总计", "", false}, {"支出合计", "", false}};
  // "各减少" is no joining word; "占本年支出合计的" ends in 的; 2024 has no unit.
  EXPECT_TRUE(find_mentions("与上年度相比，收、支总计各减少2,134.16万元，占本年支出合计的100.00%。"
                            "支出合计2024年",
                            patterns)
                  .empty());
}

TEST(Mentions, TheNearestContextWrittenBeforeThePhraseDecides) {
  const std::vector<MentionPattern> patterns{{"支出决算", "“三公”经费", false},
                                             {"支出决算", "因公出国（境）费", false},
                                             {"支出决算", "公务接待费", false}};
  const auto hits = find_mentions(
      "2024年度“三公”经费财政拨款支出决算中，因公出国（境）费支出决算0万元，占0%；"
      "公务接待费支出决算5.03万元。“三公”经费支出决算为10.83万元。支出决算为3万元",
      patterns);
  ASSERT_EQ(hits.size(), 3u);  // the last sentence names no context
  EXPECT_EQ(hits[0].pattern, 1u);
  EXPECT_EQ(hits[1].pattern, 2u);
  EXPECT_EQ(hits[2].pattern, 0u);
  EXPECT_EQ(hits[2].stated, "10.83万元");
}

TEST(Mentions, ANamedPhraseCarriesTheClassItemAndSubitemTheParagraphNamed) {
  const std::vector<MentionPattern> patterns{{"支出决算", "", true}, {"支出", "", true}};
  auto hits = find_mentions(
      "1. 卫生健康支出（类）行政事业单位医疗（款）公务员医疗补助（项）。年初预算为1200.00万元，"
      "支出决算为1,200.00万元，完成年初预算的100%。",
      patterns);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].names.class_name, "卫生健康支出");
  EXPECT_EQ(hits[0].names.kuan, "行政事业单位医疗");
  EXPECT_EQ(hits[0].names.xiang, "公务员医疗补助");
  EXPECT_EQ(hits[0].stated, "1,200.00万元");

  hits = find_mentions("主要用于以下方面：卫生健康（类）支出2,945.68万元，占100.00%。", patterns);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].names.class_name, "卫生健康");
  EXPECT_EQ(hits[0].names.kuan, "");
  EXPECT_EQ(hits[0].pattern, 1u);

  // Before any naming, a named phrase stands for nothing.
  EXPECT_TRUE(find_mentions("一般公共预算财政拨款支出决算为2,945.68万元", patterns).empty());
}

TEST(Mentions, ScoresAndRatesKeepTheWordsBeforeThePhrase) {
  const std::vector<MentionPattern> patterns{{"自评得分", "", false}, {"预算执行率", "", false}};
  const auto hits = find_mentions(
      "2024年公务员医疗补助项目自评得分为97.48分，预算执行率为92.31%，问题：无。", patterns);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].unit, "分");
  EXPECT_EQ(hits[0].before, "2024年公务员医疗补助项目");
  EXPECT_EQ(hits[1].unit, "%");
  EXPECT_EQ(hits[1].value, *Decimal::parse("92.31"));
  EXPECT_EQ(hits[1].before, "2024年公务员医疗补助项目自评得分为97.48分，");
}

}  // namespace
}  // namespace budgetsync
