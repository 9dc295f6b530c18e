// The validation and scoring engine: runs a form's rules and scoring over
// reports and returns findings. Pure: no files, no clock, no database.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shared/catalog.h"
#include "shared/decimal.h"
#include "shared/form_template.h"
#include "shared/report.h"

namespace budgetsync {

// One disagreement between a number and its rule.
struct Finding {
  std::string rule_id;  // "<form>.<rule>", or "<form>.score.<what>" for scoring
  Severity severity = Severity::kError;
  ReportKey report;
  std::string unit_name;
  std::string form_title;  // "公开06表 一般公共预算财政拨款基本支出决算明细表"
  std::string row;         // row key
  std::string row_label;
  std::string column;  // column key
  std::string column_label;
  std::string stated;          // as written in the report ("" when blank)
  std::string expected;        // what the rule gives, as shown (2 places for amounts)
  std::string expected_exact;  // what the rule gives, every digit ("" when not a number)
  std::string difference;      // stated − expected
  std::string message;         // in Chinese, for a finance clerk
  std::string source;          // where the report came from (its file or document)
};

struct CheckOptions {
  // A sum that misses by no more than this (in 万元) is a rounding difference
  // (尾差) and reported as a warning; the tables' own note allows 0.01 万元.
  Decimal rounding_tolerance_wan = Decimal::from_units(1, 2);
};

// One scored part of a report, as stated and as recomputed.
struct ScoredItem {
  std::string row;
  std::string label;
  std::string target;  // 年度指标值, or the rule applied ("分值 × 执行率")
  std::string actual;  // 实际完成值 or the measured input
  std::string weight;
  std::string stated;
  std::optional<Decimal> computed;  // none: scored by hand
  bool agrees = true;
};

// Score overview of one scored report.
struct ScoreSummary {
  ReportKey report;
  std::string form_title;
  std::string name;  // project name, when the form has one
  std::optional<Decimal> stated_total;
  std::string grade;   // from the stated total
  int recomputed = 0;  // scored parts the engine recomputed
  int by_hand = 0;     // parts only a person can score (qualitative)
  std::vector<ScoredItem> items;
};

struct CheckResult {
  std::vector<Finding> findings;
  std::vector<ScoreSummary> scores;
  size_t errors() const;
  size_t warnings() const;
  size_t notices() const;  // what could not be checked, values offered for blanks
};

// How many errors and warnings each report has.
struct FindingCounts {
  int errors = 0;
  int warnings = 0;
  int notices = 0;
};
std::map<ReportKey, FindingCounts> counts_by_report(const CheckResult& result);

// Validates and scores every report. Cross-table rules look for the other form
// among `reports` (same unit, year and instance); when it is absent the rule is
// skipped. Reports whose form is not in `catalog` are skipped (the loader has
// already refused them). Findings come in report order, then rule order.
CheckResult check_reports(const std::vector<Report>& reports, const Catalog& catalog,
                          const CheckOptions& options = {});

}  // namespace budgetsync
