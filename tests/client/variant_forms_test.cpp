// Form variants beyond the seeds (issue 14, item 8), with the shipped
// templates: the project self-evaluation without a 资金管理情况 block or a 偏差度
// column (bare targets read as "at least"), and a 医保基金 收支 table with one
// column per fund.
#include <gtest/gtest.h>

#include <string>

#include "files/data_files.h"
#include "shared/check.h"
#include "test_support.h"

namespace budgetsync::client {
namespace {

class VariantForms : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto c = load_catalog(budgetsync::testing::data_dir());
    ASSERT_TRUE(c.ok()) << c.status().message();
    catalog_ = new Catalog(std::move(*c));
  }
  static void TearDownTestSuite() { delete catalog_; }

  CheckResult check(const std::string& form, const std::string& instance, const std::string& rows) {
    const std::string text =
        R"({"format": "budgetsync-report/1", "unit": "u", "unit_name": "某县医疗保障局",
        "year": 2020, "form": ")" +
        form + R"(", "instance": ")" + instance + R"(", "rows": [)" + rows + "]}";
    auto r = parse_report(text, form + ".json", *catalog_);
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (!r.ok()) return {};
    return check_reports({*r}, *catalog_);
  }

  void expect_no_finding_and_grade_excellent(const std::string& form, const std::string& instance,
                                             const std::string& rows) {
    const CheckResult r = check(form, instance, rows);
    for (const auto& f : r.findings) ADD_FAILURE() << f.rule_id << ": " << f.message;
    ASSERT_EQ(r.scores.size(), 1u);
    EXPECT_EQ(r.scores[0].grade, "优");
  }

  static std::vector<Finding> of(const CheckResult& r, const std::string& rule_id) {
    std::vector<Finding> out;
    for (const auto& f : r.findings) {
      if (f.rule_id == rule_id) out.push_back(f);
    }
    return out;
  }

  static Catalog* catalog_;
};

Catalog* VariantForms::catalog_ = nullptr;

// A 2020-style self-evaluation of another county, typed from nothing: 10 for
// execution, 90 over the indicators, targets printed without comparators.
std::string self_evaluation_2020(const std::string& extra = "") {
  return R"({"key": "header", "cells": {"name": "城乡居民医保参保补助"}},
      {"key": "funds_total", "cells": {"initial": "500", "full_year": "500", "spent": "500", "weight": "10",
                                       "rate": "100%", "score": "10"}},
      {"key": "funds_fiscal", "cells": {"initial": "500", "full_year": "500", "spent": "500"}},
      {"key": "i01", "section": "indicators", "cells": {"level1": "产出指标（50分）", "level3": "参保人数",
          "target": "8755", "actual": "8800", "weight": "30", "score": "30"}},
      {"key": "i02", "section": "indicators", "cells": {"level3": "补助资金到位率", "target": "100%",
          "actual": "100%", "weight": "20", "score": "20"}},
      {"key": "i03", "section": "indicators", "cells": {"level1": "效益指标（30分）", "level3": "群众就医负担减轻",
          "target": "有效减轻", "actual": "有效减轻", "weight": "30", "score": "30"}},
      {"key": "i04", "section": "indicators", "cells": {"level1": "满意度指标（10分）", "level3": "参保群众满意度",
          "target": "95%", "actual": "96%", "weight": "10", "score": "10"}},)" +
         extra + R"({"key": "total", "cells": {"weight": "100", "score": "100"}})";
}

TEST_F(VariantForms, A2020SelfEvaluationTypedFromNothingHasNoFalseFinding) {
  expect_no_finding_and_grade_excellent("perf-project-2020", "p1", self_evaluation_2020());
}

// Typed from nothing in the UI, where 执行率 and 得分 are computed cells: left
// blank, the scored row's rate and score are notices offering their values
// (the page's 改为), never errors; the breakdown rows' blank rates say nothing.
TEST_F(VariantForms, ABlankRateAndScoreOfTheScoredRowAreNoticesOfferingTheirValues) {
  std::string rows = self_evaluation_2020();
  rows.replace(rows.find(R"("rate": "100%", "score": "10")"), 29, R"("rate": "", "score": "")");
  const CheckResult r = check("perf-project-2020", "p1", rows);
  EXPECT_EQ(r.errors(), 0u);
  const auto rate = of(r, "perf-project-2020.execution_rate");
  ASSERT_EQ(rate.size(), 1u);
  EXPECT_EQ(rate[0].row, "funds_total");
  EXPECT_EQ(rate[0].severity, Severity::kNotice);
  EXPECT_EQ(rate[0].expected, "100.00");
  EXPECT_NE(rate[0].message.find("500 ÷ 500"), std::string::npos) << rate[0].message;
  const auto score = of(r, "perf-project-2020.score.execution");
  ASSERT_EQ(score.size(), 1u);
  EXPECT_EQ(score[0].severity, Severity::kNotice);
  EXPECT_EQ(score[0].expected, "10.00");
  EXPECT_EQ(score[0].message.find("空白"), std::string::npos) << score[0].message;
}

TEST_F(VariantForms, ABareTargetIsReadAsAtLeastAndItsMistakesAreFound) {
  // 8755 stated, 8000 achieved: a shortfall, proportionally 27.41 (a warning:
  // the form states no convention).
  std::string rows = self_evaluation_2020();
  rows.replace(rows.find(R"("actual": "8800")"), 16, R"("actual": "8000")");
  const CheckResult r = check("perf-project-2020", "p1", rows);
  const auto ind = of(r, "perf-project-2020.score.indicator");
  ASSERT_EQ(ind.size(), 1u);
  EXPECT_EQ(ind[0].severity, Severity::kWarning);
  EXPECT_EQ(ind[0].expected, "27.41");
  EXPECT_TRUE(of(r, "perf-project-2020.total_score").empty());  // 100 = 10 + 90 as stated
}

TEST_F(VariantForms, TheTotalOfAFormWithoutAFundsManagementBlockNamesOnlyItsParts) {
  std::string rows = self_evaluation_2020();
  rows.replace(rows.find(R"("weight": "100", "score": "100")"), 31,
               R"("weight": "100", "score": "98")");
  const auto total = of(check("perf-project-2020", "p1", rows), "perf-project-2020.total_score");
  ASSERT_EQ(total.size(), 1u);
  EXPECT_EQ(total[0].message.find("资金管理"), std::string::npos) << total[0].message;
  EXPECT_NE(total[0].message.find("绩效指标"), std::string::npos) << total[0].message;
}

TEST_F(VariantForms, AnAddedIndicatorBreaksTheGroupAndTheFullMarks) {
  const CheckResult r =
      check("perf-project-2020", "p1",
            self_evaluation_2020(
                R"({"key": "i05", "section": "indicators", "cells": {"level3": "宣传次数",
          "target": "4", "actual": "4", "weight": "5", "score": "5"}},)"));
  const auto groups = of(r, "perf-project-2020.group_weight");
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].stated, "10");
  EXPECT_EQ(groups[0].expected, "15");
  const auto points = of(r, "perf-project-2020.total_weight");
  ASSERT_EQ(points.size(), 1u);
  EXPECT_NE(points[0].message.find("请调整各指标的分值"), std::string::npos) << points[0].message;
}

// One column per fund: 职工基本医疗保险, 城乡居民基本医疗保险, 医疗救助.
std::string fund_table(const std::string& closing_resident) {
  return R"({"key": "in_total", "cells": {"employee": "12,000.00", "resident": "30,000.00", "assistance": "800.00"}},
      {"key": "in_premium", "cells": {"employee": "11,500.00", "resident": "9,000.00"}},
      {"key": "in_subsidy", "cells": {"resident": "20,800.00", "assistance": "790.00"}},
      {"key": "in_interest", "cells": {"employee": "500.00", "resident": "200.00", "assistance": "10.00"}},
      {"key": "ex_total", "cells": {"employee": "10,000.00", "resident": "29,000.00", "assistance": "780.00"}},
      {"key": "ex_benefits", "cells": {"employee": "9,900.00", "resident": "28,950.00", "assistance": "780.00"}},
      {"key": "ex_other", "cells": {"employee": "100.00", "resident": "50.00"}},
      {"key": "balance", "cells": {"employee": "2,000.00", "resident": "1,000.00", "assistance": "20.00"}},
      {"key": "opening", "cells": {"employee": "8,000.00", "resident": "6,000.00", "assistance": "100.00"}},
      {"key": "closing", "cells": {"employee": "10,000.00", "resident": ")" +
         closing_resident + R"(", "assistance": "120.00"}})";
}

TEST_F(VariantForms, AFundTableThatHoldsHasNoFinding) {
  const CheckResult r = check("fund-medical", "", fund_table("7,000.00"));
  for (const auto& f : r.findings) ADD_FAILURE() << f.rule_id << ": " << f.message;
}

TEST_F(VariantForms, AFundsClosingBalanceIsTheOpeningPlusIncomeLessExpenditure) {
  const auto found = of(check("fund-medical", "", fund_table("7,500.00")), "fund-medical.closing");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].column, "resident");
  EXPECT_EQ(found[0].expected, "7,000.00");
  EXPECT_EQ(found[0].severity, Severity::kError);
}

// A 转移支付 self-evaluation typed from nothing (a test fixture in the shape of
// the 2020 one): funds by source with A, B and B/A, and indicator groups of
// 资金管理 (分配科学性, 下达及时性, 执行准确性, 支出责任履行情况) besides 产出, 效益
// and 满意度.
std::string transfer_evaluation(const std::string& central_spent = "800",
                                const std::string& total_rate = "100.00%",
                                const std::string& extra = "") {
  return R"({"key": "header", "cells": {"name": "城乡居民基本医疗保险补助资金"}},
      {"key": "funds_total", "cells": {"full_year": "1,000.00", "spent": "1,000.00", "weight": "10",
                                       "rate": ")" +
         total_rate + R"(", "score": "10"}},
      {"key": "funds_central", "cells": {"full_year": "800.00", "spent": ")" +
         central_spent +
         R"("}},
      {"key": "funds_local", "cells": {"full_year": "200.00", "spent": "200.00"}},
      {"key": "funds_lottery", "cells": {"full_year": "0", "spent": "0"}},
      {"key": "funds_other", "cells": {"full_year": "0", "spent": "0"}},
      {"key": "i01", "section": "indicators", "cells": {"level1": "资金管理（20分）", "level2": "分配科学性",
          "level3": "按因素法分配资金", "target": "100%", "actual": "100%", "weight": "5", "score": "5"}},
      {"key": "i02", "section": "indicators", "cells": {"level2": "下达及时性", "level3": "资金按时下达率",
          "target": "100%", "actual": "100%", "weight": "5", "score": "5"}},
      {"key": "i03", "section": "indicators", "cells": {"level2": "执行准确性", "level3": "资金使用合规率",
          "target": "100%", "actual": "100%", "weight": "5", "score": "5"}},
      {"key": "i04", "section": "indicators", "cells": {"level2": "支出责任履行情况", "level3": "地方补助资金到位率",
          "target": "100%", "actual": "100%", "weight": "5", "score": "5"}},)" +
         extra +
         R"({"key": "i05", "section": "indicators", "cells": {"level1": "产出指标（40分）", "level3": "参保人数",
          "target": "8755", "actual": "8800", "weight": "40", "score": "40"}},
      {"key": "i06", "section": "indicators", "cells": {"level1": "效益指标（20分）", "level3": "群众就医负担减轻",
          "target": "有效减轻", "actual": "有效减轻", "weight": "20", "score": "20"}},
      {"key": "i07", "section": "indicators", "cells": {"level1": "满意度指标（10分）", "level3": "参保群众满意度",
          "target": "95%", "actual": "96%", "weight": "10", "score": "10"}},
      {"key": "total", "cells": {"weight": "100", "score": "100"}})";
}

TEST_F(VariantForms, ATransferSelfEvaluationThatHoldsHasNoFinding) {
  expect_no_finding_and_grade_excellent("perf-transfer", "t1", transfer_evaluation());
}

TEST_F(VariantForms, ATransferSelfEvaluationsMistakesAreEachFoundOnce) {
  // 中央财政资金 spent 750: 年度资金总额's 1,000.00 is not 750 + 200.
  auto total =
      of(check("perf-transfer", "t1", transfer_evaluation("750.00")), "perf-transfer.funds_total");
  ASSERT_EQ(total.size(), 1u);
  EXPECT_EQ(total[0].column, "spent");
  EXPECT_EQ(total[0].expected, "950.00");
  // 执行率 stated 98% where B/A is 100%.
  auto rate = of(check("perf-transfer", "t1", transfer_evaluation("800.00", "98.00%")),
                 "perf-transfer.execution_rate");
  ASSERT_EQ(rate.size(), 1u);
  EXPECT_EQ(rate[0].row, "funds_total");
  // A 彩票公益金 line stated 100% over a 全年预算数 of 0.
  std::string rows = transfer_evaluation();
  const std::string lottery = R"("funds_lottery", "cells": {"full_year": "0", "spent": "0"})";
  rows.replace(rows.find(lottery), lottery.size(),
               R"("funds_lottery", "cells": {"full_year": "0", "spent": "0", "rate": "100%"})");
  auto zero = of(check("perf-transfer", "t1", rows), "perf-transfer.execution_rate");
  ASSERT_EQ(zero.size(), 1u);
  EXPECT_EQ(zero[0].row, "funds_lottery");
  EXPECT_EQ(zero[0].severity, Severity::kError);
  // One more 资金管理 indicator of 5 points: the group says 20 and holds 25.
  const CheckResult added =
      check("perf-transfer", "t1",
            transfer_evaluation(
                "800.00", "100.00%",
                R"({"key": "i08", "section": "indicators", "cells": {"level2": "执行准确性",
          "level3": "资金支付进度", "target": "100%", "actual": "100%", "weight": "5", "score": "5"}},)"));
  const auto group = of(added, "perf-transfer.group_weight");
  ASSERT_EQ(group.size(), 1u);
  EXPECT_EQ(group[0].stated, "20");
  EXPECT_EQ(group[0].expected, "25");
  EXPECT_EQ(of(added, "perf-transfer.total_weight").size(), 1u);
}

}  // namespace
}  // namespace budgetsync::client
