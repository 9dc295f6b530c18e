#include "shared/scoring.h"

#include <gtest/gtest.h>

namespace budgetsync {
namespace {

Decimal D(const char* s) {
  return *Decimal::parse(s);
}

TEST(Quantity, ParsesTargetsWithComparatorNumberAndUnit) {
  struct Case {
    const char* text;
    Comparator cmp;
    bool has_cmp;
    const char* value;
    const char* unit;
  };
  for (const Case& c : {Case{"≥95%", Comparator::kAtLeast, true, "95", "%"},
                        Case{"≤200万元", Comparator::kAtMost, true, "200", "万元"},
                        Case{"=598家", Comparator::kEqual, true, "598", "家"},
                        Case{"≥720人次", Comparator::kAtLeast, true, "720", "人次"},
                        Case{"=1569平方米", Comparator::kEqual, true, "1569", "平方米"},
                        Case{"≤1月", Comparator::kAtMost, true, "1", "月"},
                        Case{"＞150次", Comparator::kMoreThan, true, "150", "次"},
                        Case{"<0.5元", Comparator::kLessThan, true, "0.5", "元"},
                        Case{"100%", Comparator::kEqual, false, "100", "%"},
                        Case{"2299.31 万元", Comparator::kEqual, false, "2299.31", "万元"}}) {
    auto q = parse_quantity(c.text);
    ASSERT_TRUE(q.has_value()) << c.text;
    EXPECT_EQ(q->comparator, c.cmp) << c.text;
    EXPECT_EQ(q->has_comparator, c.has_cmp) << c.text;
    EXPECT_EQ(q->value, D(c.value)) << c.text;
    EXPECT_EQ(q->unit, c.unit) << c.text;
  }
}

TEST(Quantity, QualitativeTargetsAreLeftToPeople) {
  for (const char* text : {"及时", "有效提升", "保障", "全部及时到位", "出台", ""}) {
    EXPECT_FALSE(parse_quantity(text).has_value()) << text;
  }
}

TEST(Deviation, IsRelativeShortfallInPercentPoints) {
  EXPECT_EQ(deviation(D("1430"), D("1569"))->to_string(), "-8.86");
  EXPECT_EQ(deviation(D("282"), D("285"))->to_string(), "-1.05");
  EXPECT_EQ(deviation(D("40"), D("30"))->to_string(), "33.33");
  EXPECT_FALSE(deviation(D("5"), D("0")).has_value());
}

TEST(IndicatorScore, ReproducesTheSeedsProportionalScores) {
  // 003 修缮费: 办公用房面积 =1569平方米, 1430 done, weight 10: 9.11 and −8.86.
  auto s = score_indicator("=1569平方米", "1430平方米", D("10"));
  EXPECT_EQ(s.basis, IndicatorScore::Basis::kProportional);
  EXPECT_EQ(s.score->to_string(), "9.11");
  EXPECT_EQ(s.deviation->to_string(), "-8.86");
  // 003 残疾军人: ≥285人次, 282 done: 9.89 and −1.05.
  s = score_indicator("≥285人次", "282人次", D("10"));
  EXPECT_EQ(s.score->to_string(), "9.89");
  EXPECT_EQ(s.deviation->to_string(), "-1.05");
  // 003 公务员医疗补助: qualitative target measured at 97%, weight 25: 24.25, −3.00.
  s = score_indicator("享受医疗保障", "97%", D("25"));
  EXPECT_EQ(s.basis, IndicatorScore::Basis::kQualitativeRate);
  EXPECT_EQ(s.score->to_string(), "24.25");
  EXPECT_EQ(s.deviation->to_string(), "-3.00");
  // 003 征缴管理费: 全民参保 持续, 96.5%, weight 25: 24.125 rounds half up to 24.13.
  EXPECT_EQ(score_indicator("持续", "96.5%", D("25")).score->to_string(), "24.13");
}

TEST(IndicatorScore, MeetingOrBeatingTheTargetEarnsFullMarks) {
  auto s = score_indicator("≥720人次", "756人次", D("10"));
  EXPECT_EQ(s.basis, IndicatorScore::Basis::kMet);
  EXPECT_EQ(s.score->to_string(), "10.00");
  EXPECT_TRUE(s.zero_deviation_accepted);
  EXPECT_EQ(score_indicator("≤60%", "57%", D("10")).score->to_string(), "10.00");
  EXPECT_EQ(score_indicator("≤2299.31 万元", "2299.31 万元", D("10")).score->to_string(), "10.00");
  EXPECT_EQ(score_indicator("≥30次", "40次", D("10")).score->to_string(), "10.00");
}

TEST(IndicatorScore, ReverseIndicatorsLoseInProportionToTheOverrun) {
  auto s = score_indicator("≤200万元", "250万元", D("10"));
  EXPECT_EQ(s.basis, IndicatorScore::Basis::kReverse);
  EXPECT_EQ(s.score->to_string(), "8.00");
  EXPECT_EQ(s.deviation->to_string(), "25.00");
}

TEST(IndicatorScore, SatisfactionShortfallIsProportional) {
  // 002: 满意度 ≥98%, 95% measured, weight 10.
  EXPECT_EQ(score_indicator("≥98%", "95%", D("10")).score->to_string(), "9.69");
}

TEST(IndicatorScore, QualitativePairsAreManualUnlessConfigured) {
  EXPECT_EQ(score_indicator("有效提升", "有效提升", D("10")).basis, IndicatorScore::Basis::kManual);
  EXPECT_EQ(score_indicator("各项资金到位及时率", "全部及时到位", D("10")).basis,
            IndicatorScore::Basis::kManual);
  std::map<std::string, Decimal> bands{{"有效提升", D("95")}};
  EXPECT_EQ(score_indicator("有效提升", "有效提升", D("10"), bands).score->to_string(), "9.50");
}

TEST(IndicatorScore, MismatchedUnitsAreNotCompared) {
  EXPECT_EQ(score_indicator("≥95%", "12人", D("10")).basis, IndicatorScore::Basis::kManual);
}

TEST(ExecutionScore, IsWeightTimesRateCapped) {
  EXPECT_EQ(execution_score(D("10"), D("100")).to_string(), "10.00");
  EXPECT_EQ(execution_score(D("10"), D("224.81")).to_string(), "10.00");
  EXPECT_EQ(execution_score(D("10"), D("97.41")).to_string(), "9.74");
  EXPECT_EQ(execution_score(D("10"), D("92.31")).to_string(), "9.23");
}

TEST(Standards, ThresholdWithDeductionPerPoint) {
  StandardRule r;
  r.kind = StandardRule::Kind::kThresholdDeduction;
  r.threshold = D("100");
  r.per_point = D("0.5");
  EXPECT_EQ(apply_standard(r, D("5"), D("85.71")), D("5"));
  EXPECT_EQ(apply_standard(r, D("5"), D("100")), D("5"));
  EXPECT_EQ(apply_standard(r, D("5"), D("103")), D("3.5"));
  EXPECT_EQ(apply_standard(r, D("5"), D("102.4")), D("3.5"));  // a started point counts whole
  EXPECT_EQ(apply_standard(r, D("5"), D("150")), D("0"));      // 扣完为止
  r.higher_is_better = true;  // 政府采购执行率: 每减少一个百分点
  r.per_point = D("0.2");
  EXPECT_EQ(apply_standard(r, D("3"), D("95")), D("2.0"));
}

TEST(Standards, BandsForSatisfaction) {
  StandardRule r;
  r.kind = StandardRule::Kind::kBands;
  r.bands = {{D("95"), D("5")}, {D("85"), D("3")}, {D("75"), D("1")}, {std::nullopt, D("0")}};
  EXPECT_EQ(apply_standard(r, D("5"), D("95")), D("5"));  // 95%(含)以上
  EXPECT_EQ(apply_standard(r, D("5"), D("93")), D("3"));  // seed 001: 93% -> 3
  EXPECT_EQ(apply_standard(r, D("5"), D("85")), D("3"));
  EXPECT_EQ(apply_standard(r, D("5"), D("80")), D("1"));
  EXPECT_EQ(apply_standard(r, D("5"), D("60")), D("0"));
}

TEST(Standards, ChecklistDeductsPerFailedItem) {
  StandardRule r;
  r.kind = StandardRule::Kind::kChecklist;
  r.per_item = D("1");
  EXPECT_EQ(apply_standard(r, D("3"), D("0")), D("3"));
  EXPECT_EQ(apply_standard(r, D("3"), D("2")), D("1"));
  EXPECT_EQ(apply_standard(r, D("3"), D("5")), D("0"));
}

TEST(Grades, LowerBoundsAreInclusive) {
  const std::vector<GradeBand> bands{
      {D("90"), "优"}, {D("80"), "良"}, {D("60"), "中"}, {D("0"), "差"}};
  EXPECT_EQ(grade_for(D("100"), bands), "优");
  EXPECT_EQ(grade_for(D("90"), bands), "优");
  EXPECT_EQ(grade_for(D("89.99"), bands), "良");
  EXPECT_EQ(grade_for(D("80"), bands), "良");
  EXPECT_EQ(grade_for(D("60"), bands), "中");
  EXPECT_EQ(grade_for(D("59.99"), bands), "差");
}

TEST(StatedPrecision, AStatedFigureAgreesAtItsOwnPrecision) {
  EXPECT_TRUE(agrees_at_stated_precision(D("9.7"), D("9.69")));
  EXPECT_TRUE(agrees_at_stated_precision(D("10"), D("10.00")));
  EXPECT_FALSE(agrees_at_stated_precision(D("9"), D("9.69")));
  EXPECT_FALSE(agrees_at_stated_precision(D("6.10"), D("10.00")));
}

}  // namespace
}  // namespace budgetsync
