// Form templates: a form described as data (docs/template-format.md).
//
// A template has one or more sections; each section has columns and rows. Rows
// are fixed (listed in the template), keyed by a classification code, or dynamic
// (projects, indicators, team members, added by the user). A cell is named by
// (row key, column key); row keys are unique across the whole form.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/cell_value.h"
#include "shared/decimal.h"
#include "shared/money.h"
#include "shared/status.h"

namespace budgetsync {

struct Column {
  std::string key;
  std::string label;
  std::string col_no;  // 栏次 as printed, may be empty
  ColumnType type = ColumnType::kText;
  bool computed = false;  // derived by a rule; shown marked, still typed by people
  // A heading printed over this and the adjacent columns of the same group
  // (公开09表's 预算数 over 合计, 因公出国（境）费…); the column's own heading is then
  // its label without the group's words in front.
  std::string group;
};

struct RowDef {
  std::string key;
  std::string label;
  std::string line_no;  // 行次 or 序号 as printed, may be empty
  int indent = 0;
};

struct Section {
  std::string key;
  std::string title;
  std::vector<Column> columns;
  std::vector<RowDef> rows;  // fixed rows, in printed order
  std::string code_list;     // when not empty, rows keyed by codes of this list
  bool dynamic = false;      // rows with user-chosen keys allowed
  std::string row_label;     // what one dynamic row is called (项目, 指标, 成员)
  std::string label_column;  // the column that names a row in messages (科目名称, 三级指标)
  // The section printed to the left of this one on the paper form (公开01表's
  // 支出 beside its 收入); it is the section just before, or one beside it.
  std::string beside;
  // Blocks the paper form prints this section's rows in, side by side (公开06表's
  // 人员经费 | 公用经费): a block takes the codes under its prefixes and its fixed
  // rows; a row no block takes goes in the first.
  struct PrintBlock {
    std::string title;
    std::vector<std::string> codes;  // code prefixes: "301" takes 301, 30101, ...
    std::vector<std::string> rows;   // fixed rows
  };
  std::vector<PrintBlock> print_blocks;

  const Column* column(std::string_view key) const;
  const RowDef* row(std::string_view key) const;
};

// kError blocks 上报; kWarning is recorded with it; kNotice says what could not
// be checked (blank inputs) or offers a value for a blank cell, and blocks nothing.
enum class Severity { kError, kWarning, kNotice };
std::string_view severity_name(Severity s);

// A reference to one cell, or to a whole column of a section ("*section:col",
// the sum of that column over every row of the section). `form` is empty for the
// form the rule belongs to. An empty row or column is filled in by the rule's
// iteration (for_rows / for_columns).
struct CellRef {
  std::string form;
  std::string row;
  std::string column;
  bool negate = false;
  bool whole_section = false;  // row names a section: sum over its rows

  std::string to_string() const;
};
// Parses "row:col", "-row:col", "form!row:col", "*section:col", ":col", "row:".
Result<CellRef> parse_cell_ref(std::string_view text);

enum class RuleKind {
  kSum,          // target = Σ terms
  kComposition,  // the same, named for 合计 = 基本 + 项目 and the like
  kBalance,      // target = the one term (收入总计 = 支出总计)
  kCrossTable,   // target = a cell of another form of the same unit and year
  kHierarchy,    // 合计 = Σ类, 类 = Σ款, 款 = Σ项, by classification code
  kRate,         // target% = numerator / denominator × 100
  kRequired,     // the cells must not be blank
  kScoreCap,     // score ≤ weight (得分 ≤ 分值)
  kGroupWeight,  // a group's "(N分)" label = Σ the weights of its rows
  kUnique,       // no two rows of a section share the values of these columns
  kPoints,       // the parts' weights sum to the form's full marks, and so does the total's
};
std::string_view rule_kind_name(RuleKind k);

struct Rule {
  std::string id;
  RuleKind kind = RuleKind::kSum;
  Severity severity = Severity::kError;
  std::string title;  // how a clerk names the rule, used in messages

  CellRef target;
  std::vector<CellRef> terms;
  std::vector<std::string> for_columns;  // repeat for each listed column
  std::string for_rows;                  // repeat for each row of this section

  // hierarchy
  std::string section;
  std::string total_row;
  std::vector<std::string> columns;

  // rate: target = numerator / denominator, in percent points. Alternates name
  // other denominators a clerk might wrongly have used, to explain a mismatch.
  CellRef numerator;
  CellRef denominator;
  std::vector<CellRef> alternate_denominators;

  // group_weight; unique (the columns that must not repeat)
  std::vector<std::string> group_columns;
  std::string weight_column;

  // points: the form's full marks (100); `target` is the total's 分值 and
  // `terms` the parts' 分值.
  Decimal points;
};

// Scoring configuration (docs/template-format.md, "scoring").
struct IndicatorScoring {
  std::string section;
  std::string target;     // column holding "≥95%" etc.
  std::string actual;     // column holding the measured value
  std::string weight;     // 分值
  std::string score;      // 得分 as stated
  std::string deviation;  // 偏差度 as stated; empty when the form has none
  // The column holding each indicator's printed 评分标准, checked as a rule
  // definition (shared/standard_text.h); empty when the form prints none.
  std::string standard_text;
};

struct ExecutionScoring {
  CellRef budget;  // 全年预算数
  CellRef spent;   // 全年执行数
  CellRef weight;  // 分值
  CellRef score;   // 得分
};

struct Band {
  std::optional<Decimal> min;  // inclusive lower bound; none = everything below
  Decimal score;
};

// A scoring standard for one row (seed 001's 评分标准).
struct StandardRule {
  enum class Kind { kThresholdDeduction, kBands, kChecklist };
  std::string row;
  Kind kind = Kind::kBands;
  std::string input_column;  // the measured value (a rate, or a count of failed items)
  // threshold_deduction: full marks while input ≤ threshold (or ≥ when
  // `higher_is_better`), minus `per_point` for each percentage point beyond it.
  Decimal threshold;
  Decimal per_point;
  bool higher_is_better = false;
  std::vector<Band> bands;  // bands, highest first
  Decimal per_item;         // checklist: deduction per failed item
};

struct GradeBand {
  Decimal min;  // inclusive
  std::string grade;
};

// How a shortfall on an indicator target is scored, when the form or region
// says. Unstated: the engine recomputes proportionally, and a disagreement is
// a warning naming that convention, never an error.
enum class ScoringConvention { kUnstated, kProportional, kFullOrNothing };

struct Scoring {
  ScoringConvention convention = ScoringConvention::kUnstated;
  std::optional<IndicatorScoring> indicators;
  std::optional<ExecutionScoring> execution;
  std::vector<StandardRule> standards;
  std::optional<CellRef> total;                // 总分 得分, for the grade
  std::map<std::string, Decimal> qualitative;  // actual text -> percent of weight
  std::vector<GradeBand> grades;               // highest first
};

// Consolidation (汇总) offsets (冲抵): transfers between the bureau's 本级 unit
// (the parent) and its affiliated units that a consolidated table removes on
// both sides. kSubsidy: the parent's 对附属单位补助支出 against the children's
// 上级补助收入; kRemit: the children's 上缴上级支出 against the parent's
// 附属单位上缴收入.
enum class OffsetPair { kSubsidy, kRemit };
enum class OffsetSide { kPaid, kReceived };
std::string_view offset_pair_name(OffsetPair p);  // "subsidy", "remit"
// Which sources' amounts an offset removes: the parent's, or the children's.
bool offset_removes_parent(OffsetPair pair, OffsetSide side);

struct Offset {
  OffsetPair pair = OffsetPair::kSubsidy;
  OffsetSide side = OffsetSide::kReceived;
  // The cell of this form that loses the amount: "row:col", or ":col" for that
  // column in every row (a table keyed by codes).
  CellRef cell;
  // Where each removed unit's amount is read when not from `cell` itself: a
  // cell of another form of the same unit ("final03!210:subsidy": 公开01表's
  // 卫生健康支出 loses the parent's subsidies booked under class 210).
  std::optional<CellRef> amount;
};

// A phrase in a text form's paragraphs that stands for a table cell
// (shared/narrative.h find_mentions): the number written after it must agree
// with the cell. "cells" name the cells of another form of the same unit and
// year; with "named_row" (form!section:column) the row is the 类/款/项 the
// paragraph names; with "project" (form!row:column) the report is the one of
// that form whose name cell the sentence writes before the phrase.
struct Mention {
  std::vector<std::string> instances;  // the text reports it applies to; empty: all
  std::string phrase;
  std::string context;
  std::vector<CellRef> cells;
  std::optional<CellRef> named_row;
  std::optional<CellRef> project;
};

struct FormTemplate {
  std::string id;
  int version = 1;
  // The first report year this version is for (0: every year). The official
  // layout of a table changes between years (rows, line numbers); a report's year
  // picks the version (Catalog::form_for_year), and a report keeps the version it
  // was made with.
  int from_year = 0;
  std::string title;
  std::string family;    // 预算, 决算, 绩效, 基础数据, 审核, 文字
  std::string table_no;  // as printed: "公开01表"
  int order = 0;         // position within the family's table set
  MoneyUnit unit = MoneyUnit::kWanYuan;
  bool instances = false;  // a unit files several per year (one per project)
  // Whether a blank amount counts as 0 in a sum. Published 预算 and 决算 tables
  // leave zero rows empty (their default); elsewhere a blank is "not filled",
  // and a rule with a blank input is not checkable.
  bool blank_is_zero = false;
  std::vector<Section> sections;
  std::vector<Rule> rules;
  Scoring scoring;
  std::vector<Offset> offsets;    // 冲抵 when the form is consolidated
  std::vector<Mention> mentions;  // numbers in its texts that tables hold
  std::string source;             // file it was loaded from

  const Section* section(std::string_view key) const;
  // The section that lists `row_key` as a fixed row, if any.
  const Section* section_of_fixed_row(std::string_view row_key) const;
  // The section a row key can belong to without being told: the one listing it
  // as a fixed row, else, for a classification code, the section keyed by codes.
  const Section* section_for_row(std::string_view row_key) const;
  std::string display_name() const;  // "公开01表 收入支出决算总表"
};

// Parses and checks a template file (format "budgetsync-form/1"). Every reference
// in rules and scoring must name a section, row and column of this form (or, for
// cross-table references, be well-formed). Errors name `source` and the field,
// e.g. "final01.json: rules[3].target: no row “in_totl” in this form".
Result<FormTemplate> parse_form_template(std::string_view json_text, std::string_view source);

}  // namespace budgetsync
