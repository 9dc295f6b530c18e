// The checker's test fixture: small forms in the shapes of the seeds' tables
// (a coded 支出表, a 总表 with a balance and a rate, a project self-evaluation)
// and a 2024 function code list; tests add reports and run the checker.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "shared/check.h"

namespace budgetsync::check_testing {

// A form with a total row, a coded section, a cross-table rule and a rate, in 万元.
constexpr const char* kAccounts = R"({
  "format": "budgetsync-form/1", "id": "acc", "version": 1, "title": "支出表", "family": "决算", "table_no": "测01表",
  "sections": [{"key": "main", "code_list": "function", "label_column": "name",
    "columns": [{"key": "name", "label": "科目名称", "type": "text"},
                {"key": "total", "label": "合计", "type": "amount"},
                {"key": "basic", "label": "基本支出", "type": "amount"},
                {"key": "project", "label": "项目支出", "type": "amount"}],
    "rows": [{"key": "total", "label": "合计"}]}],
  "rules": [
    {"id": "row_total", "kind": "composition", "title": "合计 = 基本支出 + 项目支出", "for_rows": "main",
     "target": ":total", "terms": [":basic", ":project"]},
    {"id": "hierarchy", "kind": "hierarchy", "section": "main", "total_row": "total", "columns": ["total"]},
    {"id": "vs_sum", "kind": "cross_table", "target": "total:total", "terms": ["summary!spend:amount"]}
  ]})";

constexpr const char* kSummary = R"({
  "format": "budgetsync-form/1", "id": "summary", "version": 1, "title": "总表", "family": "决算",
  "sections": [{"key": "main", "columns": [{"key": "amount", "label": "金额", "type": "amount"}],
    "rows": [{"key": "income", "label": "收入"}, {"key": "spend", "label": "支出"}, {"key": "plan", "label": "预算"},
             {"key": "initial", "label": "年初预算"}, {"key": "rate", "label": "执行率"}]},
    {"key": "rates", "columns": [{"key": "value", "label": "比率", "type": "rate"}], "rows": [{"key": "exec", "label": "执行率"}]}],
  "rules": [
    {"id": "balance", "kind": "balance", "title": "收入 = 支出", "target": "income:amount", "terms": ["spend:amount"]},
    {"id": "rate", "kind": "rate", "target": "exec:value", "numerator": "spend:amount", "denominator": "plan:amount",
     "alternate_denominators": ["initial:amount"]},
    {"id": "required", "kind": "required", "cells": ["plan:amount"]}
  ]})";

constexpr const char* kScored = R"({
  "format": "budgetsync-form/1", "id": "scored", "version": 1, "title": "项目自评表", "family": "绩效", "instances": true,
  "sections": [
    {"key": "header", "columns": [{"key": "name", "label": "项目名称", "type": "text"}], "rows": [{"key": "header"}]},
    {"key": "funds", "columns": [{"key": "budget", "label": "全年预算数", "type": "amount"},
       {"key": "spent", "label": "全年执行数", "type": "amount"}, {"key": "weight", "label": "分值", "type": "score"},
       {"key": "score", "label": "得分", "type": "score"}], "rows": [{"key": "funds_total", "label": "年度资金总额"}]},
    {"key": "indicators", "dynamic": true, "label_column": "level3",
     "columns": [{"key": "level1", "label": "一级指标", "type": "text"}, {"key": "level3", "label": "三级指标", "type": "text"},
       {"key": "target", "label": "年度指标值", "type": "target"}, {"key": "actual", "label": "实际完成值", "type": "measure"},
       {"key": "weight", "label": "分值", "type": "score"}, {"key": "score", "label": "得分", "type": "score"},
       {"key": "deviation", "label": "偏差度", "type": "score"}, {"key": "measured", "label": "实际值", "type": "number"}],
     "rows": [{"key": "satisfaction", "label": "满意度"}]},
    {"key": "summary", "columns": [{"key": "score", "label": "得分", "type": "score"}], "rows": [{"key": "total", "label": "总分"}]}],
  "rules": [
    {"id": "cap", "kind": "score_cap", "for_rows": "indicators", "target": ":score", "terms": [":weight"]},
    {"id": "groups", "kind": "group_weight", "section": "indicators", "group_columns": ["level1"], "weight_column": "weight"},
    {"id": "total", "kind": "sum", "target": "total:score", "terms": ["funds_total:score", "*indicators:score"]},
    {"id": "unique", "kind": "unique", "severity": "warning", "section": "indicators", "columns": ["level3"]}
  ],
  "scoring": {
    "indicators": {"section": "indicators", "target": "target", "actual": "actual", "weight": "weight", "score": "score",
                   "deviation": "deviation"},
    "execution": {"budget": "funds_total:budget", "spent": "funds_total:spent", "weight": "funds_total:weight",
                  "score": "funds_total:score"},
    "standards": [{"row": "satisfaction", "kind": "bands", "input": "measured",
                   "bands": [{"min": "95", "score": "5"}, {"min": "85", "score": "3"}, {"score": "0"}]}],
    "total": "total:score"
  }})";

class CheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* text : {kAccounts, kSummary, kScored}) {
      auto t = parse_form_template(text, "test.json");
      ASSERT_TRUE(t.ok()) << t.status().message();
      ASSERT_TRUE(catalog_.add_form(std::move(*t)).ok());
    }
    auto codes = parse_code_list(
        R"({"format": "budgetsync-codes/1", "list": "function", "year": 2024, "entries": [
        {"code": "210", "name": "卫生健康支出"}, {"code": "21011", "name": "行政事业单位医疗"},
        {"code": "2101102", "name": "事业单位医疗"}, {"code": "2101103", "name": "公务员医疗补助"},
        {"code": "21015", "name": "医疗保障管理事务"}]})",
        "codes.json");
    ASSERT_TRUE(codes.ok());
    ASSERT_TRUE(catalog_.add_code_list(std::move(*codes)).ok());
    ASSERT_TRUE(catalog_.check().ok()) << catalog_.check().message();
  }

  void add(const std::string& form, const std::string& rows, const std::string& instance = "") {
    const std::string text =
        R"({"format": "budgetsync-report/1", "unit": "u1", "unit_name": "测试局", "year": 2024,
        "form": ")" +
        form + R"(", "instance": ")" + instance + R"(", "rows": [)" + rows + "]}";
    auto r = parse_report(text, form + ".json", catalog_);
    ASSERT_TRUE(r.ok()) << r.status().message();
    reports_.push_back(std::move(*r));
  }

  CheckResult run(const CheckOptions& options = {}) {
    return check_reports(reports_, catalog_, options);
  }

  // The findings of one rule.
  static std::vector<Finding> of(const CheckResult& r, const std::string& rule_id) {
    std::vector<Finding> out;
    for (const auto& f : r.findings) {
      if (f.rule_id == rule_id) out.push_back(f);
    }
    return out;
  }

  // Accounts whose numbers agree with every rule.
  void add_consistent_accounts() {
    add("acc",
        R"({"key": "total", "cells": {"total": "1,343.00", "basic": "0.00", "project": "1,343.00"}},
        {"key": "210", "cells": {"name": "卫生健康支出", "total": "1,343.00", "basic": "0", "project": "1343"}},
        {"key": "21011", "cells": {"name": "行政事业单位医疗", "total": "1,343.00", "basic": "", "project": "1,343.00"}},
        {"key": "2101102", "cells": {"name": "事业单位医疗", "total": "143.00", "project": "143.00"}},
        {"key": "2101103", "cells": {"name": "公务员医疗补助", "total": "1,200.00", "project": "1,200.00"}})");
  }

  Catalog catalog_;
  std::vector<Report> reports_;
};

}  // namespace budgetsync::check_testing
