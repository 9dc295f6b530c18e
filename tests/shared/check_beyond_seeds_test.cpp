// The checker on tables beyond the four seeds (issue 14): codes the year's list
// does not know, names that disagree with the list, rates over a zero
// denominator, tables kept in 元, the form's full marks, and the precision of
// expected values.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "../client/test_support.h"
#include "check_fixture.h"
#include "files/data_files.h"
#include "shared/check.h"

namespace budgetsync {
namespace {

using check_testing::CheckTest;

TEST_F(CheckTest, AnUnknownCodeImportsAndIsAWarningNamingTheYearsList) {
  add("acc",
      R"({"key": "210", "cells": {"name": "卫生健康支出", "total": "10", "basic": "10"}},
      {"key": "21003", "cells": {"name": "医疗保障", "total": "10", "basic": "10"}})");
  ASSERT_NE(reports_[0].row("21003"), nullptr);  // the row is kept
  const auto r = run();
  const auto unknown = of(r, "acc.codes.unknown");
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].severity, Severity::kWarning);
  EXPECT_EQ(unknown[0].row, "21003");
  EXPECT_NE(unknown[0].message.find("科目编码 21003「医疗保障」不在 2024 年科目表中"),
            std::string::npos)
      << unknown[0].message;
  EXPECT_EQ(r.errors(), 0u);  // and it still takes part: 210 = 21003 holds
}

TEST_F(CheckTest, AnUnknownCodeStillCountsInItsClass) {
  add("acc",
      R"({"key": "210", "cells": {"name": "卫生健康支出", "total": "10"}},
      {"key": "21003", "cells": {"name": "医疗保障", "total": "12"}})");
  const auto h = of(run(), "acc.hierarchy");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].row, "210");
  EXPECT_EQ(h[0].expected, "12.00");
}

TEST_F(CheckTest, APrintedNameThatIsNotTheListsNameIsAWarningNamingBoth) {
  add("acc",
      R"({"key": "210", "cells": {"name": "医疗卫生与计划生育支出", "total": "10", "basic": "10"}},
      {"key": "21011", "cells": {"name": " 行政事业单位医疗 ", "total": "10", "basic": "10"}})");
  const auto r = run();
  const auto names = of(r, "acc.codes.name");
  ASSERT_EQ(names.size(), 1u);  // spaces around a right name are no mistake
  EXPECT_EQ(names[0].row, "210");
  EXPECT_EQ(names[0].severity, Severity::kWarning);
  EXPECT_EQ(names[0].stated, "医疗卫生与计划生育支出");
  EXPECT_EQ(names[0].expected, "卫生健康支出");
  EXPECT_NE(names[0].message.find("名称是「卫生健康支出」，表中写的是「医疗卫生与计划生育支出」"),
            std::string::npos)
      << names[0].message;
  EXPECT_EQ(r.errors(), 0u);
}

TEST_F(CheckTest, ARateOverAZeroDenominatorIsAnError) {
  add("summary",
      R"({"key": "income", "cells": {"amount": "0"}}, {"key": "spend", "cells": {"amount": "0"}},
      {"key": "plan", "cells": {"amount": "0"}}, {"key": "exec", "cells": {"value": "100%"}})");
  const auto found = of(run(), "summary.rate");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].severity, Severity::kError);
  EXPECT_EQ(found[0].stated, "100%");
  EXPECT_NE(found[0].message.find("「预算」为 0，比率无法计算"), std::string::npos)
      << found[0].message;
}

TEST_F(CheckTest, ABlankOrZeroRateOverNothingIsNoFinding) {
  add("summary",
      R"({"key": "income", "cells": {"amount": "0"}}, {"key": "spend", "cells": {"amount": "0"}},
      {"key": "plan", "cells": {"amount": "0"}}, {"key": "exec", "cells": {"value": ""}})");
  EXPECT_TRUE(of(run(), "summary.rate").empty());
  reports_.clear();
  add("summary",
      R"({"key": "income", "cells": {"amount": "0"}}, {"key": "spend", "cells": {"amount": "0"}},
      {"key": "plan", "cells": {"amount": "0"}}, {"key": "exec", "cells": {"value": "0.00%"}})");
  EXPECT_TRUE(of(run(), "summary.rate").empty());  // 0/0/0.00%: the tables' way of saying nothing
}

TEST_F(CheckTest, AnExecutionScoreOverAZeroBudgetIsAnErrorNamingTheFundedSources) {
  add("scored",
      R"({"key": "funds_total", "cells": {"budget": "0", "spent": "0", "weight": "10", "score": "10"}},
      {"key": "total", "cells": {"score": "10"}})",
      "p01");
  const auto stated = of(run(), "scored.score.execution");
  ASSERT_EQ(stated.size(), 1u);
  EXPECT_NE(stated[0].message.find("为 0，执行率无法计算"), std::string::npos) << stated[0].message;
  reports_.clear();
  add("scored",
      R"({"key": "funds_total", "cells": {"budget": "0", "spent": "0", "weight": "10", "score": "0"}},
      {"key": "total", "cells": {"score": "0"}})",
      "p01");
  EXPECT_TRUE(of(run(), "scored.score.execution").empty());  // 0/0/0, 0 分, nothing funded
}

// The 元 form of the same 支出表: nothing there was rounded to 万元.
constexpr const char* kAccountsYuan = R"({
  "format": "budgetsync-form/1", "id": "acc_yuan", "version": 1, "title": "支出表（元）", "family": "决算",
  "unit": "元",
  "sections": [{"key": "main", "code_list": "function", "label_column": "name",
    "columns": [{"key": "name", "label": "科目名称", "type": "text"},
                {"key": "total", "label": "合计", "type": "amount"}],
    "rows": [{"key": "total", "label": "合计"}]}],
  "rules": [{"id": "hierarchy", "kind": "hierarchy", "section": "main", "total_row": "total", "columns": ["total"]}]})";

TEST_F(CheckTest, InAYuanTableAOneYuanGapIsAnErrorInYuan) {
  auto t = parse_form_template(kAccountsYuan, "acc_yuan.json");
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_TRUE(catalog_.add_form(std::move(*t)).ok());
  add("acc_yuan",
      R"({"key": "21011", "cells": {"name": "行政事业单位医疗", "total": "132001"}},
      {"key": "2101102", "cells": {"name": "事业单位医疗", "total": "132000"}})");
  const auto found = of(run(), "acc_yuan.hierarchy");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].severity, Severity::kError);
  EXPECT_EQ(found[0].difference, "1.00");
  EXPECT_NE(found[0].message.find("相差 1.00 元"), std::string::npos) << found[0].message;
  EXPECT_EQ(found[0].message.find("万元"), std::string::npos) << found[0].message;
  EXPECT_EQ(found[0].message.find("尾差"), std::string::npos) << found[0].message;
}

// Seed 003's 公开02表 as the 部门决算 software keeps it, in 元 (金额单位：元), with
// `bump` added to 项 2101506's 本年收入合计 and 财政拨款收入 (in the table's unit).
std::vector<Finding> seed_final02_findings(bool in_yuan, const std::string& bump) {
  auto catalog = load_catalog(testing::data_dir());
  EXPECT_TRUE(catalog.ok());
  auto text = read_file(testing::seeds_dir() / "003_b1779cbacafc7ee6" / "final02.json");
  EXPECT_TRUE(text.ok());
  auto doc = nlohmann::json::parse(*text);
  const MoneyUnit unit = in_yuan ? MoneyUnit::kYuan : MoneyUnit::kWanYuan;
  if (in_yuan) doc["money_unit"] = "元";
  for (auto& row : doc["rows"]) {
    for (auto& [col, v] : row["cells"].items()) {
      auto m = Money::parse(v.get<std::string>(), MoneyUnit::kWanYuan);
      if (col == "name" || !m.ok()) continue;
      Decimal value = m->in(unit);
      if (row["key"] == "2101506" && (col == "total" || col == "fiscal"))
        value += *Decimal::parse(bump);
      v = value.to_string();
    }
  }
  auto report = parse_report(doc.dump(), "final02.json", *catalog);
  EXPECT_TRUE(report.ok()) << report.status().message();
  if (!report.ok()) return {};
  return check_reports({*report}, *catalog).findings;
}

TEST(MoneyUnitOfTheReport, ASeedTableKeptInYuanIsJudgedInYuan) {
  // Re-expressed exactly, it holds as the 万元 table does.
  EXPECT_TRUE(seed_final02_findings(true, "0").empty());
  // One 元 more on a 项: its 款 is 1 元 short, an error in 元, not a 尾差.
  const auto yuan = seed_final02_findings(true, "1");
  ASSERT_EQ(yuan.size(), 2u);
  for (const auto& f : yuan) {
    EXPECT_EQ(f.rule_id, "final02.hierarchy");
    EXPECT_EQ(f.row, "21015");
    EXPECT_EQ(f.severity, Severity::kError);
    EXPECT_NE(f.message.find("1.00 元"), std::string::npos) << f.message;
    EXPECT_EQ(f.message.find("万元"), std::string::npos) << f.message;
    EXPECT_EQ(f.message.find("尾差"), std::string::npos) << f.message;
  }
  // The same 1 元 in the table printed in 万元 is within its rounding.
  const auto wan = seed_final02_findings(false, "0.0001");
  ASSERT_EQ(wan.size(), 2u);
  for (const auto& f : wan) EXPECT_EQ(f.severity, Severity::kWarning) << f.message;
}

TEST_F(CheckTest, AMoneyUnitThatIsNoUnitIsRefusedNamingTheField) {
  auto r = parse_report(
      R"({"format": "budgetsync-report/1", "unit": "u1", "year": 2024, "form": "acc",
          "money_unit": "千元", "rows": []})",
      "acc.json", catalog_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("money_unit"), std::string::npos) << r.status().message();
}

TEST_F(CheckTest, InAWanYuanTableTheSameGapIsStillARoundingWarning) {
  add("acc",
      R"({"key": "21011", "cells": {"total": "13.21"}}, {"key": "2101102", "cells": {"total": "13.20"}})");
  const auto found = of(run(), "acc.hierarchy");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].severity, Severity::kWarning);
}

TEST_F(CheckTest, AnExpectedValueKeepsTheInputsPrecision) {
  add("acc",
      R"({"key": "21011", "cells": {"total": "89.97"}}, {"key": "2101102", "cells": {"total": "59.974"}},
      {"key": "2101103", "cells": {"total": "30"}})");
  const auto found = of(run(), "acc.hierarchy");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].expected, "89.974");
  EXPECT_EQ(found[0].difference, "-0.004");
}

// A self-evaluation whose parts must sum to the form's 100 points.
constexpr const char* kPointsForm = R"({
  "format": "budgetsync-form/1", "id": "pts", "version": 1, "title": "项目自评表", "family": "绩效",
  "sections": [
    {"key": "funds", "columns": [{"key": "weight", "label": "分值", "type": "score"}],
     "rows": [{"key": "funds_total", "label": "预算执行率"}]},
    {"key": "indicators", "title": "绩效指标", "dynamic": true, "label_column": "level3",
     "columns": [{"key": "level1", "label": "一级指标", "type": "text"}, {"key": "level3", "label": "三级指标", "type": "text"},
                 {"key": "weight", "label": "分值", "type": "score"}]},
    {"key": "extra", "title": "资金管理情况", "columns": [{"key": "weight", "label": "分值", "type": "score"}],
     "rows": [{"key": "mgmt", "label": "资金管理"}]},
    {"key": "summary", "columns": [{"key": "weight", "label": "分值", "type": "score"}], "rows": [{"key": "total", "label": "总分"}]}],
  "rules": [
    {"id": "groups", "kind": "group_weight", "section": "indicators", "group_columns": ["level1"], "weight_column": "weight"},
    {"id": "total_weight", "kind": "points", "points": "100", "target": "total:weight",
     "terms": ["funds_total:weight", "*extra:weight", "*indicators:weight"]}
  ]})";

class PointsTest : public CheckTest {
 protected:
  void SetUp() override {
    CheckTest::SetUp();
    auto t = parse_form_template(kPointsForm, "pts.json");
    ASSERT_TRUE(t.ok()) << t.status().message();
    ASSERT_TRUE(catalog_.add_form(std::move(*t)).ok());
  }
  // 10 for execution and 90 over the indicators, plus whatever `more` adds.
  void add_form(const std::string& total, const std::string& more = "") {
    add("pts",
        R"({"key": "funds_total", "cells": {"weight": "10"}},
        {"key": "i1", "cells": {"level1": "产出指标（50分）", "level3": "甲", "weight": "50"}},
        {"key": "i2", "cells": {"level1": "效益指标（40分）", "level3": "乙", "weight": "40"}},)" +
            more + R"({"key": "total", "cells": {"weight": ")" + total + R"("}})");
  }
};

TEST_F(PointsTest, PartsThatMakeTheFullMarksHaveNoFinding) {
  add_form("100");
  EXPECT_TRUE(run().findings.empty());
}

TEST_F(PointsTest, AnAddedIndicatorIsToldToReweightNeverToRaiseTheTotal) {
  add_form("100", R"({"key": "i3", "cells": {"level3": "丙", "weight": "5"}},)");
  const auto r = run();
  const auto found = of(r, "pts.total_weight");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].severity, Severity::kError);
  EXPECT_EQ(found[0].stated, "105");
  EXPECT_EQ(found[0].expected, "100");
  EXPECT_NE(found[0].message.find("请调整各指标的分值，使其合计为 100 分"), std::string::npos)
      << found[0].message;
  EXPECT_EQ(found[0].message.find("应等于"), std::string::npos) << found[0].message;
  // The block the table does not fill is not named among the parts.
  EXPECT_EQ(found[0].message.find("资金管理情况"), std::string::npos) << found[0].message;
  EXPECT_NE(found[0].message.find("「绩效指标」各行的分值 95 分"), std::string::npos)
      << found[0].message;
  // And the group it joined is told to re-weight as well.
  const auto groups = of(r, "pts.groups");
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_NE(groups[0].message.find("请调整其下各指标的分值，使其合计为 40 分"), std::string::npos)
      << groups[0].message;
}

TEST_F(PointsTest, RaisingTheTotalTo105IsStillAnError) {
  add_form("105", R"({"key": "i3", "cells": {"level3": "丙", "weight": "5"}},)");
  const auto found = of(run(), "pts.total_weight");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].message.find("「总分」填报 105 分，也应为 100 分"), std::string::npos)
      << found[0].message;
}

TEST_F(PointsTest, ATotalAboveTheFullMarksIsAnErrorEvenWhenNoPartIsFilled) {
  add("pts", R"({"key": "total", "cells": {"weight": "105"}})");
  const auto found = of(run(), "pts.total_weight");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].message.find("不能超过满分"), std::string::npos) << found[0].message;
}

// ---- a blank is not a zero ------------------------------------------------

// A self-evaluation's funds block, where a blank is "not filled" (blank_is_zero
// is false on 绩效 forms), next to the 决算 支出表 where it is 0.
constexpr const char* kFundsForm = R"({
  "format": "budgetsync-form/1", "id": "funds", "version": 1, "title": "项目自评表", "family": "绩效",
  "sections": [{"key": "funds", "columns": [{"key": "budget", "label": "全年预算数", "type": "amount"}],
    "rows": [{"key": "total", "label": "年度资金总额"}, {"key": "fiscal", "label": "财政拨款"},
             {"key": "other", "label": "其他资金"}]}],
  "rules": [{"id": "funds_total", "kind": "composition", "title": "年度资金总额 = 各资金来源之和",
             "target": "total:budget", "terms": ["fiscal:budget", "other:budget"]}]})";

class BlankTest : public CheckTest {
 protected:
  void SetUp() override {
    CheckTest::SetUp();
    auto t = parse_form_template(kFundsForm, "funds.json");
    ASSERT_TRUE(t.ok()) << t.status().message();
    ASSERT_TRUE(catalog_.add_form(std::move(*t)).ok());
  }
};

TEST_F(BlankTest, ABlankPartMakesTheRuleNotCheckableANoticeNamingIt) {
  add("funds",
      R"({"key": "total", "cells": {"budget": "100"}}, {"key": "fiscal", "cells": {"budget": "80"}},
      {"key": "other", "cells": {"budget": ""}})");
  const auto r = run();
  const auto found = of(r, "funds.funds_total");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].severity, Severity::kNotice);
  EXPECT_NE(found[0].message.find("「其他资金」未填写"), std::string::npos) << found[0].message;
  EXPECT_EQ(r.errors(), 0u);
  EXPECT_EQ(r.warnings(), 0u);
  EXPECT_EQ(r.notices(), 1u);
}

TEST_F(BlankTest, ABlankPartWhereTheFilledOnesAlreadyHoldIsNoFinding) {
  add("funds",
      R"({"key": "total", "cells": {"budget": "80"}}, {"key": "fiscal", "cells": {"budget": "80"}})");
  EXPECT_TRUE(run().findings.empty());
}

TEST_F(BlankTest, FilledPartsThatDisagreeAreStillAnError) {
  add("funds",
      R"({"key": "total", "cells": {"budget": "100"}}, {"key": "fiscal", "cells": {"budget": "80"}},
      {"key": "other", "cells": {"budget": "10"}})");
  const auto found = of(run(), "funds.funds_total");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].severity, Severity::kError);
}

TEST_F(BlankTest, ABlankTotalWithFilledPartsIsANoticeOfferingTheValue) {
  add("funds",
      R"({"key": "total", "cells": {"budget": ""}}, {"key": "fiscal", "cells": {"budget": "80"}},
      {"key": "other", "cells": {"budget": "20"}})");
  const auto found = of(run(), "funds.funds_total");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].severity, Severity::kNotice);
  EXPECT_EQ(found[0].expected, "100.00");
  EXPECT_NE(found[0].message.find("未填写，按“年度资金总额 = 各资金来源之和”应为 100.00"),
            std::string::npos)
      << found[0].message;
}

TEST_F(CheckTest, InAPublishedTableABlankPartIsZero) {
  // 决算 tables leave zero rows empty: 143 = blank + 140 is a real 3.00 gap.
  add("acc",
      R"({"key": "2101102", "cells": {"total": "143.00", "basic": "", "project": "140.00"}})");
  const auto found = of(run(), "acc.row_total");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].severity, Severity::kError);
  EXPECT_EQ(found[0].difference, "3.00");
}

// ---- not in the source ------------------------------------------------------

TEST_F(CheckTest, ACutOffTableIsNeverJudgedOnTheMissingSide) {
  // The document stops after 2101102: 2101103 and the rest are not in it.
  add("acc",
      R"({"key": "total", "cells": {"total": "1,343.00", "basic": "0", "project": "1,343.00"}},
      {"key": "210", "cells": {"total": "1,343.00", "basic": "0", "project": "1343"}},
      {"key": "21011", "cells": {"total": "1,343.00", "project": "1,343.00"}},
      {"key": "2101102", "cells": {"total": "143.00", "project": "143.00"}})");
  reports_[0].not_in_source.from_row = {{"main", "2101103"}};
  EXPECT_TRUE(run().findings.empty());
  reports_[0].not_in_source = {};
  EXPECT_EQ(of(run(), "acc.hierarchy").size(), 1u);  // uncut, 21011 ≠ 2101102 is an error
}

TEST_F(CheckTest, ALayoutWithoutAColumnGetsNoErrorAboutIt) {
  // Shanghai prints no 项目支出 column: 合计 = 基本 + (not printed) is not judged.
  add("acc", R"({"key": "2101102", "cells": {"total": "143.00", "basic": "100.00"}})");
  reports_[0].not_in_source.columns = {{"main", "project"}};
  EXPECT_TRUE(of(run(), "acc.row_total").empty());
}

TEST_F(CheckTest, NotInSourceIsReadFromTheImportFile) {
  auto r =
      parse_report(R"({"format": "budgetsync-report/1", "unit": "u1", "year": 2024, "form": "acc",
      "not_in_source": [{"section": "main", "column": "project"}, {"section": "main", "from_row": "2101103"}],
      "rows": [{"key": "2101102", "cells": {"total": "143.00", "basic": "100.00"}}]})",
                   "cut.json", catalog_);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->not_in_source.covers(*catalog_.form("acc"), "main", "2101103", "total"));
  EXPECT_TRUE(r->not_in_source.covers(*catalog_.form("acc"), "main", "2101102", "project"));
  EXPECT_FALSE(r->not_in_source.covers(*catalog_.form("acc"), "main", "2101102", "total"));
  auto bad =
      parse_report(R"({"format": "budgetsync-report/1", "unit": "u1", "year": 2024, "form": "acc",
      "not_in_source": [{"section": "nope"}], "rows": []})",
                   "cut.json", catalog_);
  EXPECT_FALSE(bad.ok());
}

// ---- scoring conventions ----------------------------------------------------

// The project form with a declared convention, under another id.
std::string scored_with(const std::string& id, const std::string& convention) {
  std::string text = check_testing::kScored;
  const std::string from = R"("id": "scored")";
  text.replace(text.find(from), from.size(), R"("id": ")" + id + R"(")");
  const std::string total = R"("total": "total:score")";
  text.replace(text.find(total), total.size(),
               std::string(total) + R"(, "convention": ")" + convention + R"(")");
  return text;
}

constexpr const char* kShortfall =
    R"({"key": "i1", "cells": {"level3": "满意度指标", "target": "≥98%", "actual": "95%", "weight": "10", "score": "9"}},
    {"key": "total", "cells": {"score": "9"}})";

TEST_F(CheckTest, AShortfallScoredOtherwiseThanByProportionIsAWarningNamingTheConvention) {
  add("scored", kShortfall, "p1");
  const auto r = run();
  const auto found = of(r, "scored.score.indicator");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].severity, Severity::kWarning);
  EXPECT_EQ(found[0].expected, "9.69");
  EXPECT_NE(found[0].message.find("本表未规定未达标时如何计分"), std::string::npos)
      << found[0].message;
  EXPECT_NE(found[0].message.find("按比例计分"), std::string::npos) << found[0].message;
  EXPECT_EQ(r.errors(), 0u);
}

TEST_F(CheckTest, ADeclaredConventionMakesTheDisagreementAnError) {
  auto proportional = parse_form_template(scored_with("scored_p", "proportional"), "p.json");
  ASSERT_TRUE(proportional.ok()) << proportional.status().message();
  ASSERT_TRUE(catalog_.add_form(std::move(*proportional)).ok());
  auto all_or_none = parse_form_template(scored_with("scored_f", "full_or_nothing"), "f.json");
  ASSERT_TRUE(all_or_none.ok()) << all_or_none.status().message();
  ASSERT_TRUE(catalog_.add_form(std::move(*all_or_none)).ok());
  add("scored_p", kShortfall, "p1");
  add("scored_f", kShortfall, "p1");
  const auto r = run();
  const auto p = of(r, "scored_p.score.indicator");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].severity, Severity::kError);
  EXPECT_EQ(p[0].expected, "9.69");
  const auto f = of(r, "scored_f.score.indicator");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].expected, "0.00");  // a missed target scores nothing
  EXPECT_NE(f[0].message.find("未达标不得分"), std::string::npos) << f[0].message;
  EXPECT_FALSE(parse_form_template(scored_with("scored_x", "banded"), "x.json").ok());
}

// ---- numbers in the texts against the tables (narrative mentions) ----------

// Seed 003 (内乡县医疗保障局 2024 决算), every report, with `edit` applied to
// the one whose file is `file` before the check; the findings of the texts
// against the tables.
std::vector<Finding> seed003_text_findings(const std::string& file = "",
                                           const std::function<void(nlohmann::json&)>& edit = {}) {
  auto catalog = load_catalog(testing::data_dir());
  EXPECT_TRUE(catalog.ok());
  std::vector<Report> reports;
  for (const auto& e :
       std::filesystem::directory_iterator(testing::seeds_dir() / "003_b1779cbacafc7ee6")) {
    auto text = read_file(e.path());
    EXPECT_TRUE(text.ok());
    auto doc = nlohmann::json::parse(*text);
    if (e.path().filename() == file) edit(doc);
    auto report = parse_report(doc.dump(), e.path().filename().string(), *catalog);
    EXPECT_TRUE(report.ok()) << report.status().message();
    if (report.ok()) reports.push_back(std::move(*report));
  }
  std::vector<Finding> out;
  for (auto& f : check_reports(reports, *catalog).findings) {
    if (f.rule_id == "narrative.text.tables") out.push_back(std::move(f));
  }
  return out;
}

void set_cell(nlohmann::json& doc, const std::string& row, const std::string& col,
              const std::string& value) {
  for (auto& r : doc["rows"]) {
    if (r["key"] == row) r["cells"][col] = value;
  }
}

// The one finding of `found` that quotes `stated` from the text, or null.
const Finding* stating(const std::vector<Finding>& found, const std::string& stated) {
  const auto it = std::find_if(found.begin(), found.end(),
                               [&](const Finding& f) { return f.stated == stated; });
  return it == found.end() ? nullptr : &*it;
}

TEST(TextAgainstTables, TheSeedsNotesDisagreeWithTheirProjectTablesExactlyThreeTimes) {
  // 情况说明 quotes each project's self-evaluation: two 执行率 and one score
  // differ from the project tables (公开 p065, p064). Everything else it
  // quotes — totals, 基本/项目支出, each 项, 三公 — agrees.
  const auto found = seed003_text_findings();
  std::vector<std::string> got;
  for (const auto& f : found) {
    EXPECT_EQ(f.severity, Severity::kWarning);
    got.push_back(f.stated + " / " + f.expected);
  }
  EXPECT_EQ(
      got, (std::vector<std::string>{"99.99分 / 99.90分", "97.41% / 100.00%", "92.31% / 100.00%"}));
  ASSERT_EQ(found.size(), 3u);
  EXPECT_NE(found[2].message.find("2024年公务员医疗补助项目自评得分为97.48分，预算执行率为92.31%"),
            std::string::npos)
      << found[2].message;
  EXPECT_NE(
      found[2].message.find("项目支出绩效自评表（2024年公务员医疗补助）「年度资金总额」的执行率"),
      std::string::npos)
      << found[2].message;
}

TEST(TextAgainstTables, ATotalChangedInTheTableIsFoundInEverySentenceQuotingIt) {
  const auto found = seed003_text_findings(
      "final01.json", [](nlohmann::json& doc) { set_cell(doc, "in_grand", "amount", "2,945.86"); });
  ASSERT_EQ(found.size(), 4u);  // the three project ones and 收、支总计
  EXPECT_EQ(found[0].stated, "2,945.68万元");
  EXPECT_EQ(found[0].expected, "2,945.86万元");
  EXPECT_NE(found[0].message.find("“2024年度收、支总计均为2,945.68万元”"), std::string::npos)
      << found[0].message;
  EXPECT_NE(found[0].message.find("公开01表 收入支出决算总表 「总计」"), std::string::npos)
      << found[0].message;
}

TEST(TextAgainstTables, AnItemNamedByItsClassAndItemIsComparedWithItsRow) {
  const auto found = seed003_text_findings("final05.json", [](nlohmann::json& doc) {
    set_cell(doc, "2101103", "subtotal", "1,100.00");
  });
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].stated, "1,200.00万元");
  EXPECT_EQ(found[0].expected, "1,100.00万元");
  EXPECT_NE(found[0].message.find("「2101103 公务员医疗补助」的小计"), std::string::npos)
      << found[0].message;
}

TEST(TextAgainstTables, ANumberInYuanIsComparedInYuanAndRoundingToTheTextsPlacesHolds) {
  // "三公" 决算 10.83 万元 written as 108,300 元 agrees; the table's 10.834 万元
  // agrees with a text written to two places.
  EXPECT_EQ(seed003_text_findings("narrative_final-notes.json",
                                  [](nlohmann::json& doc) {
                                    set_cell(doc, "p037", "text",
                                             "2024年度“三公”经费财政拨款支出预算为250,000元，"
                                             "支出决算为108,300元。");
                                  })
                .size(),
            3u);
  // …and 108,400 元 is found, in 元.
  const auto off = seed003_text_findings("narrative_final-notes.json", [](nlohmann::json& doc) {
    set_cell(doc, "p037", "text", "2024年度“三公”经费财政拨款支出决算为108,400元。");
  });
  ASSERT_EQ(off.size(), 4u);
  const Finding* yuan = stating(off, "108,400元");
  ASSERT_NE(yuan, nullptr);
  EXPECT_NE(yuan->expected.find("108,300"), std::string::npos) << yuan->expected;
  EXPECT_EQ(seed003_text_findings(
                "final09.json",
                [](nlohmann::json& doc) { set_cell(doc, "sangong", "final_total", "10.834"); })
                .size(),
            3u);
}

// What a 情况说明 writes beyond the seeds' own sentences, each compared with the
// cell it means: the seed's three real disagreements stay, nothing is added.
std::vector<Finding> seed003_with_sentence(const std::string& text) {
  return seed003_text_findings("narrative_final-notes.json", [&](nlohmann::json& doc) {
    set_cell(doc, "p037", "text", text);
  });
}

TEST(TextAgainstTables, BasicAndProjectSpendingOfAFundAreComparedWithThatFundsColumns) {
  // Not the fund's whole 支出决算 (2,945.68): its 基本支出 column.
  EXPECT_EQ(seed003_with_sentence("2024年度一般公共预算财政拨款基本支出决算为590.45万元，"
                                  "项目支出决算为2,355.23万元。")
                .size(),
            3u);
  const auto off = seed003_with_sentence("2024年度一般公共预算财政拨款基本支出决算为590.46万元。");
  ASSERT_EQ(off.size(), 4u);
  const Finding* basic = stating(off, "590.46万元");
  ASSERT_NE(basic, nullptr);
  EXPECT_EQ(basic->expected, "590.45万元");
  EXPECT_NE(basic->message.find("公开05表"), std::string::npos) << basic->message;
}

TEST(TextAgainstTables, AClassItemAndSubitemNamedAfterTheFundDecideTheRow) {
  // The fund is written first, the 类/款/项 after it, nearer the number.
  EXPECT_EQ(seed003_with_sentence("一般公共预算财政拨款支出决算中，卫生健康支出（类）行政事业单位医疗"
                                  "（款）公务员医疗补助（项）支出决算为1,200.00万元。")
                .size(),
            3u);
  const auto off = seed003_with_sentence(
      "一般公共预算财政拨款支出决算中，卫生健康支出（类）行政事业单位医疗（款）公务员医疗补助（项）"
      "支出决算为1,100.00万元。");
  ASSERT_EQ(off.size(), 4u);
  const Finding* row = stating(off, "1,100.00万元");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->expected, "1,200.00万元");
}

TEST(TextAgainstTables, BasicSpendingOfANamedItemIsThatItemsBasicColumn) {
  // 2101102 事业单位医疗: 0.00 basic, 143.00 project — not the unit's 590.45.
  EXPECT_EQ(seed003_with_sentence("卫生健康支出（类）行政事业单位医疗（款）事业单位医疗（项）："
                                  "基本支出决算为0.00万元，项目支出决算为143.00万元。")
                .size(),
            3u);
  const auto off = seed003_with_sentence(
      "卫生健康支出（类）行政事业单位医疗（款）事业单位医疗（项）：项目支出决算为140.00万元。");
  ASSERT_EQ(off.size(), 4u);
  const Finding* row = stating(off, "140.00万元");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->expected, "143.00万元");
}

TEST(TextAgainstTables, OfTwoProjectsNamedTheOneWrittenNearestThePhraseIsMeant) {
  // p01 (国有破产企业退休人员医疗补助) scores otherwise; p10 scores 97.48.
  EXPECT_EQ(seed003_with_sentence("2024年国有破产企业退休人员医疗补助和2024年公务员医疗补助项目均已"
                                  "完成，2024年公务员医疗补助项目自评得分为97.48分。")
                .size(),
            3u);
  EXPECT_EQ(seed003_with_sentence(
                "与2024年国有破产企业退休人员医疗补助一样，2024年公务员医疗补助项目自评得分为97.48分。")
                .size(),
            3u);
  // …and it is compared: a score that is not p10's is found against p10.
  const auto off = seed003_with_sentence(
      "与2024年国有破产企业退休人员医疗补助一样，2024年公务员医疗补助项目自评得分为96.00分。");
  ASSERT_EQ(off.size(), 4u);
  const Finding* p10 = stating(off, "96.00分");
  ASSERT_NE(p10, nullptr);
  EXPECT_EQ(p10->expected, "97.48分");
}

TEST(TextAgainstTables, AProjectNamePrintedWithFullWidthDigitsIsStillFound) {
  const auto found = seed003_text_findings("perf-project_p10.json", [](nlohmann::json& doc) {
    set_cell(doc, "header", "name", "２０２４年公务员医疗补助");
  });
  std::vector<std::string> got;
  for (const auto& f : found) got.push_back(f.stated + " / " + f.expected);
  EXPECT_EQ(
      got, (std::vector<std::string>{"99.99分 / 99.90分", "97.41% / 100.00%", "92.31% / 100.00%"}));
}

// The 自评报告 quotes the whole-department table's 总分 (seed 001: “自评得分为 95
// 分”, as the table states): in agreement nothing is said; a table that says
// otherwise is found, quoting the sentence.
TEST(TextAgainstTables, TheSelfEvaluationReportsScoreIsTheDepartmentTablesTotal) {
  auto catalog = load_catalog(testing::data_dir());
  ASSERT_TRUE(catalog.ok());
  auto findings = [&](const std::string& total) {
    std::vector<Report> reports;
    for (const auto& e :
         std::filesystem::directory_iterator(testing::seeds_dir() / "001_5c11e5d911459f7e")) {
      auto text = read_file(e.path());
      EXPECT_TRUE(text.ok());
      auto doc = nlohmann::json::parse(*text);
      if (e.path().filename() == "perf-dept-sn.json") set_cell(doc, "total", "score", total);
      auto report = parse_report(doc.dump(), e.path().filename().string(), *catalog);
      EXPECT_TRUE(report.ok()) << report.status().message();
      if (report.ok()) reports.push_back(std::move(*report));
    }
    std::vector<Finding> out;
    for (auto& f : check_reports(reports, *catalog).findings) {
      if (f.rule_id == "narrative.text.tables") out.push_back(std::move(f));
    }
    return out;
  };
  EXPECT_TRUE(findings("95").empty());
  const auto off = findings("94");
  ASSERT_EQ(off.size(), 1u);
  EXPECT_EQ(off[0].stated, "95分");
  EXPECT_EQ(off[0].expected, "94.00分");
  EXPECT_NE(off[0].message.find("自评得分为 95 分"), std::string::npos) << off[0].message;
}

}  // namespace
}  // namespace budgetsync
