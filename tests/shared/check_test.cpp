#include "shared/check.h"

#include <gtest/gtest.h>

#include <string>

#include "check_fixture.h"

namespace budgetsync {
namespace {

using check_testing::CheckTest;

TEST_F(CheckTest, ConsistentAccountsHaveNoFindings) {
  add_consistent_accounts();
  EXPECT_TRUE(run().findings.empty());
}

TEST_F(CheckTest, AGapWithinRoundingIsAWarningWithTheAmount) {
  add("acc", R"({"key": "210", "cells": {"total": "18.19", "basic": "18.19"}},
      {"key": "21011", "cells": {"total": "18.18", "basic": "18.18"}})");
  const auto r = run();
  ASSERT_EQ(r.findings.size(), 1u);
  const Finding& f = r.findings[0];
  EXPECT_EQ(f.rule_id, "acc.hierarchy");
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(f.row, "210");
  EXPECT_EQ(f.row_label, "210 卫生健康支出");
  EXPECT_EQ(f.column, "total");
  EXPECT_EQ(f.stated, "18.19");
  EXPECT_EQ(f.expected, "18.18");
  EXPECT_EQ(f.difference, "0.01");
  EXPECT_NE(f.message.find("尾差"), std::string::npos) << f.message;
  EXPECT_EQ(f.report.to_string(), "u1/2024/acc");
}

TEST_F(CheckTest, ToleranceIsConfigurable) {
  add("acc", R"({"key": "210", "cells": {"total": "18.19", "basic": "18.19"}},
      {"key": "21011", "cells": {"total": "18.18", "project": "18.18"}})");
  CheckOptions strict;
  strict.rounding_tolerance_wan = Decimal();
  const auto r = run(strict);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].severity, Severity::kError);
}

TEST_F(CheckTest, ARealGapIsAnErrorInChinese) {
  add("acc",
      R"({"key": "2101102", "cells": {"total": "143.00", "basic": "100.00", "project": "40.00"}})");
  const auto r = run();
  const auto found = of(r, "acc.row_total");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].severity, Severity::kError);
  EXPECT_EQ(found[0].expected, "140.00");
  EXPECT_EQ(found[0].difference, "3.00");
  EXPECT_NE(found[0].message.find("「2101102 事业单位医疗」的合计填报 143.00"), std::string::npos)
      << found[0].message;
  EXPECT_NE(found[0].message.find("基本支出"), std::string::npos);
  EXPECT_NE(found[0].message.find("合计 = 基本支出 + 项目支出"), std::string::npos);
}

TEST_F(CheckTest, HierarchySkipsAbsentLevels) {
  // 210 with only 项 rows present: they count as its children directly.
  add("acc",
      R"({"key": "total", "cells": {"total": "300"}}, {"key": "210", "cells": {"total": "300"}},
      {"key": "2101102", "cells": {"total": "100"}}, {"key": "2101103", "cells": {"total": "250"}})");
  const auto found = of(run(), "acc.hierarchy");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].row, "210");
  EXPECT_EQ(found[0].expected, "350.00");
}

TEST_F(CheckTest, BlankTotalWithNonZeroPartsIsANoticeOfferingTheValue) {
  add("acc", R"({"key": "2101102", "cells": {"total": "", "basic": "5", "project": "0"}})");
  const auto found = of(run(), "acc.row_total");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].severity, Severity::kNotice);
  EXPECT_EQ(found[0].stated, "");
  EXPECT_EQ(found[0].expected, "5.00");
  EXPECT_NE(found[0].message.find("未填写，按“合计 = 基本支出 + 项目支出”应为 5.00"),
            std::string::npos)
      << found[0].message;
}

TEST_F(CheckTest, CrossTableRulesNeedTheOtherReport) {
  add_consistent_accounts();
  EXPECT_TRUE(of(run(), "acc.vs_sum").empty());  // no 总表 yet: nothing to compare
  add("summary",
      R"({"key": "income", "cells": {"amount": "1,300.00"}}, {"key": "spend", "cells": {"amount": "1,300.00"}},
      {"key": "plan", "cells": {"amount": "1300"}})");
  const auto found = of(run(), "acc.vs_sum");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].stated, "1,343.00");
  EXPECT_EQ(found[0].expected, "1,300.00");
  EXPECT_NE(found[0].message.find("总表"), std::string::npos) << found[0].message;
}

TEST_F(CheckTest, BalanceAndRequired) {
  add("summary",
      R"({"key": "income", "cells": {"amount": "10"}}, {"key": "spend", "cells": {"amount": "12"}})");
  const auto r = run();
  ASSERT_EQ(of(r, "summary.balance").size(), 1u);
  const auto required = of(r, "summary.required");
  ASSERT_EQ(required.size(), 1u);
  EXPECT_EQ(required[0].row, "plan");
  EXPECT_NE(required[0].message.find("未填写"), std::string::npos);
}

TEST_F(CheckTest, ARateAgainstTheWrongBaseIsExplained) {
  add("summary",
      R"({"key": "income", "cells": {"amount": "2299.31"}}, {"key": "spend", "cells": {"amount": "2299.31"}},
      {"key": "plan", "cells": {"amount": "2299.31"}}, {"key": "initial", "cells": {"amount": "1022.77"}},
      {"key": "exec", "cells": {"value": "224.81%"}})");
  const auto found = of(run(), "summary.rate");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].stated, "224.81%");
  EXPECT_EQ(found[0].expected, "100.00");
  EXPECT_NE(found[0].message.find("可能用错了计算基数"), std::string::npos) << found[0].message;
  EXPECT_NE(found[0].message.find("年初预算"), std::string::npos);
}

TEST_F(CheckTest, ARateIsComparedAtTheStatedPrecision) {
  add("summary",
      R"({"key": "income", "cells": {"amount": "10"}}, {"key": "spend", "cells": {"amount": "10"}},
      {"key": "plan", "cells": {"amount": "30"}}, {"key": "exec", "cells": {"value": "33.3%"}})");
  EXPECT_TRUE(of(run(), "summary.rate").empty());
}

TEST_F(CheckTest, ScoresAreRecomputedNeverOverwritten) {
  add("scored", R"({"key": "header", "cells": {"name": "2024年修缮费"}},
      {"key": "funds_total", "cells": {"budget": "4.88", "spent": "4.88", "weight": "10", "score": "6.10"}},
      {"key": "i1", "cells": {"level1": "产出指标（20分）", "level3": "办公用房面积", "target": "=1569平方米",
                              "actual": "1430平方米", "weight": "10", "score": "9.11", "deviation": "-8.86"}},
      {"key": "i2", "cells": {"level3": "征缴宣传开展次数", "target": "≥30次", "actual": "40次", "weight": "10",
                              "score": "9.81", "deviation": "3.33"}},
      {"key": "satisfaction", "cells": {"level1": "满意度（5分）", "level3": "满意度", "weight": "5", "score": "5",
                                        "measured": "93"}},
      {"key": "total", "cells": {"score": "30.02"}})",
      "p03");
  const auto r = run();
  const auto exec = of(r, "scored.score.execution");
  ASSERT_EQ(exec.size(), 1u);
  EXPECT_EQ(exec[0].stated, "6.10");
  EXPECT_EQ(exec[0].expected, "10.00");
  EXPECT_NE(exec[0].message.find("项目自评表（2024年修缮费）"), std::string::npos)
      << exec[0].message;
  const auto ind = of(r, "scored.score.indicator");
  ASSERT_EQ(ind.size(), 1u);  // 9.11 is right; 9.81 should be 10
  EXPECT_EQ(ind[0].row, "i2");
  EXPECT_EQ(ind[0].expected, "10.00");
  const auto dev = of(r, "scored.score.deviation");
  ASSERT_EQ(dev.size(), 1u);
  EXPECT_EQ(dev[0].expected, "33.33");
  const auto std_findings = of(r, "scored.score.standard");
  ASSERT_EQ(std_findings.size(), 1u);  // 93% is in the 85–95 band: 3, not 5
  EXPECT_EQ(std_findings[0].stated, "5");
  EXPECT_EQ(std_findings[0].expected, "3.00");
  EXPECT_TRUE(of(r, "scored.total").empty());  // 6.10 + 9.11 + 9.81 + 5 = 30.02 as stated
  ASSERT_EQ(r.scores.size(), 1u);
  EXPECT_EQ(r.scores[0].grade, "差");
  EXPECT_EQ(r.scores[0].name, "2024年修缮费");
  // The stated values are still what the person entered.
  EXPECT_EQ(reports_[0].cell("funds_total", "score")->raw, "6.10");
}

// A score left blank while what it is computed from is filled: a notice
// offering the score its rule gives (the UI's 改为), never an error.
TEST_F(CheckTest, BlankScoresAreNoticesOfferingTheScoreTheirRuleGives) {
  add("scored", R"({"key": "header", "cells": {"name": "2024年修缮费"}},
      {"key": "funds_total", "cells": {"budget": "4.88", "spent": "4.88", "weight": "10", "score": ""}},
      {"key": "i1", "cells": {"level1": "产出指标（20分）", "level3": "办公用房面积", "target": "=1569平方米",
                              "actual": "1430平方米", "weight": "10", "score": "", "deviation": "-8.00"}},
      {"key": "i2", "cells": {"level3": "征缴宣传开展次数", "target": "≥30次", "actual": "40次", "weight": "10",
                              "score": "10"}},
      {"key": "total", "cells": {"score": "30"}})",
      "p03");
  const auto r = run();
  const auto exec = of(r, "scored.score.execution");
  ASSERT_EQ(exec.size(), 1u);
  EXPECT_EQ(exec[0].severity, Severity::kNotice);
  EXPECT_EQ(exec[0].expected, "10.00");
  EXPECT_NE(exec[0].message.find("得分未填写；按“得分 = 分值 × 执行率"), std::string::npos)
      << exec[0].message;
  const auto ind = of(r, "scored.score.indicator");
  ASSERT_EQ(ind.size(), 1u);
  EXPECT_EQ(ind[0].row, "i1");
  EXPECT_EQ(ind[0].severity, Severity::kNotice);
  EXPECT_EQ(ind[0].expected, "9.11");
  EXPECT_EQ(ind[0].message.find("空白"), std::string::npos) << ind[0].message;
  // The form states no rule for a shortfall: the offered score says so.
  EXPECT_NE(ind[0].message.find("本表未规定未达标时如何计分"), std::string::npos) << ind[0].message;
  // A blank score does not excuse the row's 偏差度: -8.00 is still wrong (-8.86).
  const auto dev = of(r, "scored.score.deviation");
  ASSERT_EQ(dev.size(), 1u);
  EXPECT_EQ(dev[0].expected, "-8.86");
}

TEST_F(CheckTest, CapsGroupWeightsAndDuplicates) {
  add("scored",
      R"({"key": "i1", "cells": {"level1": "产出指标（30分）", "level3": "甲", "weight": "10", "score": "12"}},
      {"key": "i2", "cells": {"level3": "甲", "weight": "10", "score": "10"}})",
      "p01");
  const auto r = run();
  const auto cap = of(r, "scored.cap");
  ASSERT_EQ(cap.size(), 1u);
  EXPECT_EQ(cap[0].row, "i1");
  const auto groups = of(r, "scored.groups");
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].stated, "30");
  EXPECT_EQ(groups[0].expected, "20");
  const auto dup = of(r, "scored.unique");
  ASSERT_EQ(dup.size(), 1u);
  EXPECT_EQ(dup[0].severity, Severity::kWarning);
  EXPECT_EQ(dup[0].row, "i2");
}

TEST_F(CheckTest, ResultCountsErrorsAndWarnings) {
  add("acc",
      R"({"key": "210", "cells": {"total": "18.19"}}, {"key": "21011", "cells": {"total": "18.18"}},
      {"key": "2101102", "cells": {"total": "5", "basic": "1", "project": "1"}})");
  const auto r = run();
  EXPECT_EQ(r.warnings(), 1u);
  EXPECT_GE(r.errors(), 1u);
  EXPECT_EQ(r.errors() + r.warnings(), r.findings.size());
}

TEST_F(CheckTest, ReportsAreReadByColumnTypeAndRefusedWhenMalformed) {
  auto bad =
      parse_report(R"({"format": "budgetsync-report/1", "unit": "u1", "year": 2024, "form": "acc",
      "rows": [{"key": "210", "cells": {"total": "12o.5"}}]})",
                   "bad.json", catalog_);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(
                "bad.json：rows[0]（行 210），栏 total：“12o.5”不是以万元为单位的金额"),
            std::string::npos)
      << bad.status().message();
  auto unknown_form =
      parse_report(R"({"format": "budgetsync-report/1", "unit": "u1", "year": 2024, "form": "nope",
      "rows": []})",
                   "bad.json", catalog_);
  ASSERT_FALSE(unknown_form.ok());
  EXPECT_NE(unknown_form.status().message().find("不认识的表“nope”"), std::string::npos);
  auto number_not_text =
      parse_report(R"({"format": "budgetsync-report/1", "unit": "u1", "year": 2024, "form": "acc",
      "rows": [{"key": "210", "cells": {"total": 12.5}}]})",
                   "bad.json", catalog_);
  ASSERT_FALSE(number_not_text.ok());
  EXPECT_NE(number_not_text.status().message().find("数字也写成字符串"), std::string::npos);
  auto missing_instance =
      parse_report(R"({"format": "budgetsync-report/1", "unit": "u1", "year": 2024,
      "form": "scored", "rows": []})",
                   "bad.json", catalog_);
  ASSERT_FALSE(missing_instance.ok());
  EXPECT_NE(missing_instance.status().message().find("请写明项目（instance）"), std::string::npos);
}

TEST(ReportKey, ParsesAndPrints) {
  auto k = ReportKey::parse("411325-ybj/2024/perf-project:p03");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->unit, "411325-ybj");
  EXPECT_EQ(k->year, 2024);
  EXPECT_EQ(k->form, "perf-project");
  EXPECT_EQ(k->instance, "p03");
  EXPECT_EQ(k->to_string(), "411325-ybj/2024/perf-project:p03");
  for (const char* bad :
       {"411325-ybj", "411325-ybj/24x/final01", "/2024/final01", "u/2024/", "u/2024/f:"}) {
    EXPECT_FALSE(ReportKey::parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace budgetsync
