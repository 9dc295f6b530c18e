#include "shared/form_template.h"

#include <algorithm>
#include <array>
#include <set>

#include "json_reader.h"
#include "shared/code_list.h"

namespace budgetsync {
namespace {

using detail::child;
using detail::JsonError;
using nlohmann::json;

constexpr std::array<std::pair<RuleKind, std::string_view>, 11> kRuleKinds{{
    {RuleKind::kSum, "sum"},
    {RuleKind::kComposition, "composition"},
    {RuleKind::kBalance, "balance"},
    {RuleKind::kCrossTable, "cross_table"},
    {RuleKind::kHierarchy, "hierarchy"},
    {RuleKind::kRate, "rate"},
    {RuleKind::kRequired, "required"},
    {RuleKind::kScoreCap, "score_cap"},
    {RuleKind::kGroupWeight, "group_weight"},
    {RuleKind::kUnique, "unique"},
    {RuleKind::kPoints, "points"},
}};

CellRef ref_at(const json& obj, std::string_view key, const std::string& path) {
  const std::string text = detail::get_string(obj, key, path);
  auto r = parse_cell_ref(text);
  if (!r.ok()) throw JsonError(child(path, key), r.status().message());
  return *r;
}

std::vector<CellRef> refs_at(const json& obj, std::string_view key, const std::string& path) {
  std::vector<CellRef> out;
  auto it = obj.find(key);
  if (it == obj.end()) return out;
  if (!it->is_array()) throw JsonError(child(path, key), "应是由单元格引用组成的数组");
  for (size_t i = 0; i < it->size(); ++i) {
    if (!(*it)[i].is_string()) throw JsonError(child(child(path, key), i), "应是字符串");
    auto r = parse_cell_ref((*it)[i].get<std::string>());
    if (!r.ok()) throw JsonError(child(child(path, key), i), r.status().message());
    out.push_back(*r);
  }
  return out;
}

std::vector<std::string> strings_at(const json& obj, std::string_view key,
                                    const std::string& path) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end()) return out;
  if (!it->is_array()) throw JsonError(child(path, key), "应是由字符串组成的数组");
  for (size_t i = 0; i < it->size(); ++i) {
    if (!(*it)[i].is_string()) throw JsonError(child(child(path, key), i), "应是字符串");
    out.push_back((*it)[i].get<std::string>());
  }
  return out;
}

Section parse_section(const json& j, const std::string& path) {
  Section s;
  s.key = detail::get_string(j, "key", path);
  s.title = detail::opt_string(j, "title", path);
  s.code_list = detail::opt_string(j, "code_list", path);
  s.dynamic = detail::opt_bool(j, "dynamic", path, false);
  s.row_label = detail::opt_string(j, "row_label", path);
  s.label_column = detail::opt_string(j, "label_column", path);
  s.beside = detail::opt_string(j, "beside", path);
  const auto& cols = detail::get_array(j, "columns", path);
  if (cols.empty()) throw JsonError(child(path, "columns"), "每一部分至少要有一栏");
  std::set<std::string> col_keys;
  for (size_t i = 0; i < cols.size(); ++i) {
    const std::string cp = child(child(path, "columns"), i);
    Column c;
    c.key = detail::get_string(cols[i], "key", cp);
    c.label = detail::get_string(cols[i], "label", cp);
    c.col_no = detail::opt_string(cols[i], "col_no", cp);
    c.computed = detail::opt_bool(cols[i], "computed", cp, false);
    c.group = detail::opt_string(cols[i], "group", cp);
    auto type = parse_column_type(detail::get_string(cols[i], "type", cp));
    if (!type.ok()) throw JsonError(child(cp, "type"), type.status().message());
    c.type = *type;
    if (!col_keys.insert(c.key).second) {
      throw JsonError(child(cp, "key"), fmt::format("栏“{}”定义了两次", c.key));
    }
    s.columns.push_back(std::move(c));
  }
  if (auto it = j.find("rows"); it != j.end()) {
    if (!it->is_array()) throw JsonError(child(path, "rows"), "应是数组（[…]）");
    for (size_t i = 0; i < it->size(); ++i) {
      const std::string rp = child(child(path, "rows"), i);
      RowDef r;
      r.key = detail::get_string((*it)[i], "key", rp);
      r.label = detail::opt_string((*it)[i], "label", rp);
      r.line_no = detail::opt_string((*it)[i], "line_no", rp);
      r.indent = detail::opt_int((*it)[i], "indent", rp, 0);
      if (r.key.empty()) throw JsonError(child(rp, "key"), "不能为空");
      s.rows.push_back(std::move(r));
    }
  }
  if (auto it = j.find("print_blocks"); it != j.end()) {
    if (!it->is_array()) throw JsonError(child(path, "print_blocks"), "应是数组（[…]）");
    for (size_t i = 0; i < it->size(); ++i) {
      const std::string bp = child(child(path, "print_blocks"), i);
      Section::PrintBlock b;
      b.title = detail::get_string((*it)[i], "title", bp);
      b.codes = strings_at((*it)[i], "codes", bp);
      b.rows = strings_at((*it)[i], "rows", bp);
      for (const auto& r : b.rows) {
        if (!std::any_of(s.rows.begin(), s.rows.end(), [&](const RowDef& d) { return d.key == r; }))
          throw JsonError(child(bp, "rows"), fmt::format("这一部分没有固定的“{}”行", r));
      }
      s.print_blocks.push_back(std::move(b));
    }
  }
  if (!s.label_column.empty() && !col_keys.count(s.label_column)) {
    throw JsonError(child(path, "label_column"),
                    fmt::format("这一部分没有“{}”这一栏", s.label_column));
  }
  if (s.rows.empty() && s.code_list.empty() && !s.dynamic) {
    throw JsonError(path, "每一部分要有固定的行（rows）、科目表（code_list）或 \"dynamic\": true");
  }
  return s;
}

std::vector<Band> parse_bands(const json& obj, const std::string& path) {
  std::vector<Band> bands;
  const auto& arr = detail::get_array(obj, "bands", path);
  for (size_t i = 0; i < arr.size(); ++i) {
    const std::string bp = child(child(path, "bands"), i);
    Band b;
    if (arr[i].contains("min")) b.min = detail::get_decimal(arr[i], "min", bp);
    b.score = detail::get_decimal(arr[i], "score", bp);
    if (i > 0 && (!bands.back().min || (b.min && *b.min >= *bands.back().min))) {
      throw JsonError(bp, "分档（bands）应按下限从高到低排列");
    }
    bands.push_back(b);
  }
  if (bands.empty()) throw JsonError(child(path, "bands"), "至少要有一档");
  return bands;
}

Scoring parse_scoring(const json& j, const std::string& path) {
  Scoring s;
  if (auto it = j.find("indicators"); it != j.end()) {
    const std::string p = child(path, "indicators");
    IndicatorScoring ind;
    ind.section = detail::get_string(*it, "section", p);
    ind.target = detail::get_string(*it, "target", p);
    ind.actual = detail::get_string(*it, "actual", p);
    ind.weight = detail::get_string(*it, "weight", p);
    ind.score = detail::get_string(*it, "score", p);
    ind.deviation = detail::opt_string(*it, "deviation", p);
    ind.standard_text = detail::opt_string(*it, "standard_text", p);
    s.indicators = ind;
  }
  if (auto it = j.find("execution"); it != j.end()) {
    const std::string p = child(path, "execution");
    s.execution = ExecutionScoring{ref_at(*it, "budget", p), ref_at(*it, "spent", p),
                                   ref_at(*it, "weight", p), ref_at(*it, "score", p)};
  }
  if (auto it = j.find("standards"); it != j.end()) {
    for (size_t i = 0; i < it->size(); ++i) {
      const std::string p = child(child(path, "standards"), i);
      const json& o = (*it)[i];
      StandardRule r;
      r.row = detail::get_string(o, "row", p);
      r.input_column = detail::get_string(o, "input", p);
      const std::string kind = detail::get_string(o, "kind", p);
      if (kind == "threshold_deduction") {
        r.kind = StandardRule::Kind::kThresholdDeduction;
        r.threshold = detail::get_decimal(o, "threshold", p);
        r.per_point = detail::get_decimal(o, "per_point", p);
        r.higher_is_better = detail::opt_bool(o, "higher_is_better", p, false);
      } else if (kind == "bands") {
        r.kind = StandardRule::Kind::kBands;
        r.bands = parse_bands(o, p);
      } else if (kind == "checklist") {
        r.kind = StandardRule::Kind::kChecklist;
        r.per_item = detail::get_decimal(o, "per_item", p);
      } else {
        throw JsonError(
            child(p, "kind"),
            fmt::format("不认识的评分标准“{}”（应为 threshold_deduction、bands、checklist 之一）",
                        kind));
      }
      s.standards.push_back(std::move(r));
    }
  }
  if (j.contains("total")) s.total = ref_at(j, "total", path);
  if (const std::string c = detail::opt_string(j, "convention", path); !c.empty()) {
    if (c == "proportional") {
      s.convention = ScoringConvention::kProportional;
    } else if (c == "full_or_nothing") {
      s.convention = ScoringConvention::kFullOrNothing;
    } else {
      throw JsonError(child(path, "convention"),
                      fmt::format("不认识的计分规则“{}”（应为 proportional 或 full_or_nothing；"
                                  "分档计分写在 standards 中）",
                                  c));
    }
  }
  if (auto it = j.find("qualitative"); it != j.end()) {
    if (!it->is_object()) throw JsonError(child(path, "qualitative"), "应是一个对象（{…}）");
    for (const auto& [text, pct] : it->items()) {
      s.qualitative[text] = detail::get_decimal(*it, text, child(path, "qualitative"));
    }
  }
  if (auto it = j.find("grades"); it != j.end()) {
    for (size_t i = 0; i < it->size(); ++i) {
      const std::string p = child(child(path, "grades"), i);
      s.grades.push_back(
          {detail::get_decimal((*it)[i], "min", p), detail::get_string((*it)[i], "grade", p)});
    }
  }
  return s;
}

// Checks that a reference names cells of this form, given how the rule iterates.
class RefChecker {
 public:
  explicit RefChecker(const FormTemplate& t) : t_(t) {}

  void check(const CellRef& ref, const std::string& path, const Section* row_iteration,
             const std::vector<std::string>& column_iteration) const {
    if (!ref.form.empty()) return;  // another form's cells: checked by the catalog
    const Section* sec = nullptr;
    if (ref.whole_section) {
      sec = t_.section(ref.row);
      if (!sec) throw JsonError(path, fmt::format("本表没有“{}”这一部分", ref.row));
    } else if (ref.row.empty()) {
      if (!row_iteration) {
        throw JsonError(path, fmt::format("“{}”没有写行，规则也没有 for_rows", ref.to_string()));
      }
      sec = row_iteration;
    } else {
      sec = t_.section_for_row(ref.row);
      if (!sec) throw JsonError(path, fmt::format("本表没有“{}”这一行", ref.row));
    }
    auto check_column = [&](const std::string& col) {
      if (!sec->column(col)) {
        throw JsonError(path, fmt::format("“{}”部分没有“{}”这一栏", sec->key, col));
      }
    };
    if (!ref.column.empty()) {
      check_column(ref.column);
    } else if (column_iteration.empty()) {
      throw JsonError(path, fmt::format("“{}”没有写栏，规则也没有 for_columns", ref.to_string()));
    } else {
      for (const auto& c : column_iteration) check_column(c);
    }
  }

 private:
  const FormTemplate& t_;
};

// A field that takes one of two words: true for the first.
bool either(const json& j, std::string_view key, const std::string& path, std::string_view first,
            std::string_view second) {
  const std::string v = detail::get_string(j, key, path);
  if (v != first && v != second)
    throw JsonError(child(path, key), fmt::format("应是 \"{}\" 或 \"{}\"", first, second));
  return v == first;
}

Offset parse_offset(const json& j, const std::string& path, const FormTemplate& t) {
  Offset o;
  o.pair = either(j, "pair", path, "subsidy", "remit") ? OffsetPair::kSubsidy : OffsetPair::kRemit;
  o.side = either(j, "side", path, "paid", "received") ? OffsetSide::kPaid : OffsetSide::kReceived;
  o.cell = ref_at(j, "cell", path);
  if (!o.cell.form.empty() || o.cell.negate || o.cell.whole_section || o.cell.column.empty()) {
    throw JsonError(child(path, "cell"), "应写成本表的“行:栏”或“:栏”");
  }
  if (o.cell.row.empty()) {
    const bool found = std::any_of(t.sections.begin(), t.sections.end(),
                                   [&](const Section& s) { return s.column(o.cell.column); });
    if (!found) {
      throw JsonError(child(path, "cell"), fmt::format("本表没有“{}”这一栏", o.cell.column));
    }
  } else {
    RefChecker(t).check(o.cell, child(path, "cell"), nullptr, {});
  }
  if (j.contains("amount")) {
    o.amount = ref_at(j, "amount", path);
    if (o.amount->negate || o.amount->whole_section || o.amount->row.empty() ||
        o.amount->column.empty()) {
      throw JsonError(child(path, "amount"), "应指一个单元格，如“final03!210:subsidy”");
    }
    if (o.cell.row.empty())
      throw JsonError(child(path, "cell"), "有“amount”的冲抵项只指一行：“行:栏”");
    RefChecker(t).check(*o.amount, child(path, "amount"), nullptr, {});
  }
  return o;
}

Mention parse_mention(const json& j, const std::string& path) {
  Mention m;
  m.instances = strings_at(j, "instances", path);
  m.phrase = detail::get_string(j, "phrase", path);
  if (m.phrase.empty() || m.phrase.find(' ') != std::string::npos)
    throw JsonError(child(path, "phrase"), "应是不含空格的词语");
  m.context = detail::opt_string(j, "context", path);
  auto other_cell = [&](const CellRef& r, const std::string& where, bool section) {
    if (r.form.empty() || r.negate || r.whole_section || r.row.empty() || r.column.empty()) {
      throw JsonError(where, section ? "应写成“表!部分:栏”，如“final05!main:subtotal”"
                                     : "应指另一张表的单元格，如“final01!in_total:amount”");
    }
  };
  m.cells = refs_at(j, "cells", path);
  for (size_t i = 0; i < m.cells.size(); ++i)
    other_cell(m.cells[i], child(child(path, "cells"), i), false);
  if (j.contains("named_row")) {
    m.named_row = ref_at(j, "named_row", path);
    other_cell(*m.named_row, child(path, "named_row"), true);
  }
  if (j.contains("project")) {
    m.project = ref_at(j, "project", path);
    other_cell(*m.project, child(path, "project"), false);
    for (const auto& c : m.cells) {
      if (c.form != m.project->form)
        throw JsonError(child(path, "cells"), "有“project”时，cells 应是该项目所在表的单元格");
    }
  }
  if (m.cells.empty() == !m.named_row.has_value())
    throw JsonError(path, "文字引用（mention）要有“cells”或“named_row”，二者只能有一个");
  return m;
}

Rule parse_rule(const json& j, const std::string& path, const FormTemplate& t) {
  Rule r;
  r.id = detail::get_string(j, "id", path);
  const std::string kind = detail::get_string(j, "kind", path);
  auto kit =
      std::find_if(kRuleKinds.begin(), kRuleKinds.end(), [&](auto& p) { return p.second == kind; });
  if (kit == kRuleKinds.end())
    throw JsonError(child(path, "kind"), fmt::format("不认识的规则类型“{}”", kind));
  r.kind = kit->first;
  const std::string sev = detail::opt_string(j, "severity", path, "error");
  if (sev == "error") {
    r.severity = Severity::kError;
  } else if (sev == "warning") {
    r.severity = Severity::kWarning;
  } else if (sev == "notice") {
    r.severity = Severity::kNotice;
  } else {
    throw JsonError(child(path, "severity"), "应是 \"error\"、\"warning\" 或 \"notice\"");
  }
  r.title = detail::opt_string(j, "title", path);
  r.for_columns = strings_at(j, "for_columns", path);
  r.for_rows = detail::opt_string(j, "for_rows", path);
  const Section* row_iteration = nullptr;
  if (!r.for_rows.empty()) {
    row_iteration = t.section(r.for_rows);
    if (!row_iteration)
      throw JsonError(child(path, "for_rows"), fmt::format("没有“{}”这一部分", r.for_rows));
  }
  const RefChecker checker(t);
  switch (r.kind) {
    case RuleKind::kSum:
    case RuleKind::kComposition:
    case RuleKind::kBalance:
    case RuleKind::kCrossTable:
    case RuleKind::kScoreCap:
    case RuleKind::kPoints:
      r.target = ref_at(j, "target", path);
      r.terms = refs_at(j, "terms", path);
      if (r.kind == RuleKind::kPoints) {
        auto points = Decimal::parse(detail::get_string(j, "points", path));
        if (!points.ok() || points->is_negative() || points->is_zero())
          throw JsonError(child(path, "points"), "应是正数，如 \"100\"");
        r.points = *points;
      }
      if (r.terms.empty()) throw JsonError(child(path, "terms"), "至少要有一个单元格");
      if ((r.kind == RuleKind::kBalance || r.kind == RuleKind::kScoreCap) && r.terms.size() != 1) {
        throw JsonError(child(path, "terms"), "只能有一个单元格");
      }
      checker.check(r.target, child(path, "target"), row_iteration, r.for_columns);
      for (size_t i = 0; i < r.terms.size(); ++i) {
        checker.check(r.terms[i], child(child(path, "terms"), i), row_iteration, r.for_columns);
      }
      break;
    case RuleKind::kRequired:
      r.terms = refs_at(j, "cells", path);
      if (r.terms.empty()) throw JsonError(child(path, "cells"), "至少要有一个单元格");
      for (size_t i = 0; i < r.terms.size(); ++i) {
        checker.check(r.terms[i], child(child(path, "cells"), i), row_iteration, r.for_columns);
      }
      break;
    case RuleKind::kHierarchy: {
      r.section = detail::get_string(j, "section", path);
      r.total_row = detail::opt_string(j, "total_row", path);
      r.columns = strings_at(j, "columns", path);
      const Section* s = t.section(r.section);
      if (!s) throw JsonError(child(path, "section"), fmt::format("没有“{}”这一部分", r.section));
      if (s->code_list.empty())
        throw JsonError(child(path, "section"), "这一部分没有科目表（code_list）");
      if (r.columns.empty()) throw JsonError(child(path, "columns"), "至少要有一栏");
      for (const auto& c : r.columns) {
        if (!s->column(c))
          throw JsonError(child(path, "columns"), fmt::format("没有“{}”这一栏", c));
      }
      if (!r.total_row.empty() && !s->row(r.total_row)) {
        throw JsonError(child(path, "total_row"),
                        fmt::format("“{}”部分没有“{}”这一行", s->key, r.total_row));
      }
      break;
    }
    case RuleKind::kRate:
      r.target = ref_at(j, "target", path);
      r.numerator = ref_at(j, "numerator", path);
      r.denominator = ref_at(j, "denominator", path);
      r.alternate_denominators = refs_at(j, "alternate_denominators", path);
      checker.check(r.target, child(path, "target"), row_iteration, r.for_columns);
      checker.check(r.numerator, child(path, "numerator"), row_iteration, r.for_columns);
      checker.check(r.denominator, child(path, "denominator"), row_iteration, r.for_columns);
      for (const auto& a : r.alternate_denominators) {
        checker.check(a, child(path, "alternate_denominators"), row_iteration, r.for_columns);
      }
      break;
    case RuleKind::kGroupWeight: {
      r.section = detail::get_string(j, "section", path);
      r.group_columns = strings_at(j, "group_columns", path);
      r.weight_column = detail::get_string(j, "weight_column", path);
      const Section* s = t.section(r.section);
      if (!s) throw JsonError(child(path, "section"), fmt::format("没有“{}”这一部分", r.section));
      for (const auto& c : r.group_columns) {
        if (!s->column(c))
          throw JsonError(child(path, "group_columns"), fmt::format("没有“{}”这一栏", c));
      }
      if (!s->column(r.weight_column)) {
        throw JsonError(child(path, "weight_column"),
                        fmt::format("没有“{}”这一栏", r.weight_column));
      }
      break;
    }
    case RuleKind::kUnique: {
      r.section = detail::get_string(j, "section", path);
      r.group_columns = strings_at(j, "columns", path);
      const Section* s = t.section(r.section);
      if (!s) throw JsonError(child(path, "section"), fmt::format("没有“{}”这一部分", r.section));
      if (r.group_columns.empty()) throw JsonError(child(path, "columns"), "至少要有一栏");
      for (const auto& c : r.group_columns) {
        if (!s->column(c))
          throw JsonError(child(path, "columns"), fmt::format("没有“{}”这一栏", c));
      }
      break;
    }
  }
  return r;
}

void check_scoring(const FormTemplate& t, const std::string& path) {
  const RefChecker checker(t);
  const Scoring& s = t.scoring;
  if (s.indicators) {
    const std::string p = child(path, "indicators");
    const Section* sec = t.section(s.indicators->section);
    if (!sec)
      throw JsonError(child(p, "section"), fmt::format("没有“{}”这一部分", s.indicators->section));
    for (const auto& [name, col] :
         {std::pair{"target", s.indicators->target}, std::pair{"actual", s.indicators->actual},
          std::pair{"weight", s.indicators->weight}, std::pair{"score", s.indicators->score},
          std::pair{"deviation", s.indicators->deviation},
          std::pair{"standard_text", s.indicators->standard_text}}) {
      if (!col.empty() && !sec->column(col)) {
        throw JsonError(child(p, name), fmt::format("“{}”部分没有“{}”这一栏", sec->key, col));
      }
    }
  }
  if (s.execution) {
    const std::string p = child(path, "execution");
    checker.check(s.execution->budget, child(p, "budget"), nullptr, {});
    checker.check(s.execution->spent, child(p, "spent"), nullptr, {});
    checker.check(s.execution->weight, child(p, "weight"), nullptr, {});
    checker.check(s.execution->score, child(p, "score"), nullptr, {});
  }
  for (size_t i = 0; i < s.standards.size(); ++i) {
    const auto& r = s.standards[i];
    const std::string p = child(child(path, "standards"), i);
    const Section* sec = t.section_of_fixed_row(r.row);
    if (!sec) throw JsonError(child(p, "row"), fmt::format("本表没有固定的“{}”行", r.row));
    if (!sec->column(r.input_column)) {
      throw JsonError(child(p, "input"),
                      fmt::format("“{}”部分没有“{}”这一栏", sec->key, r.input_column));
    }
    if (!s.indicators || s.indicators->section != sec->key) {
      throw JsonError(child(p, "row"),
                      "评分标准（standards）只用于 scoring.indicators 所指部分的行");
    }
  }
  if (s.total) checker.check(*s.total, child(path, "total"), nullptr, {});
}

}  // namespace

const Column* Section::column(std::string_view k) const {
  for (const auto& c : columns) {
    if (c.key == k) return &c;
  }
  return nullptr;
}

const RowDef* Section::row(std::string_view k) const {
  for (const auto& r : rows) {
    if (r.key == k) return &r;
  }
  return nullptr;
}

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kNotice:
      break;
  }
  return "notice";
}

std::string_view offset_pair_name(OffsetPair p) {
  return p == OffsetPair::kSubsidy ? "subsidy" : "remit";
}

bool offset_removes_parent(OffsetPair pair, OffsetSide side) {
  // The parent pays subsidies and receives remittances.
  return (pair == OffsetPair::kSubsidy) == (side == OffsetSide::kPaid);
}

std::string_view rule_kind_name(RuleKind k) {
  for (const auto& [kind, name] : kRuleKinds) {
    if (kind == k) return name;
  }
  return "?";
}

std::string CellRef::to_string() const {
  std::string s = negate ? "-" : "";
  if (!form.empty()) s += form + "!";
  if (whole_section) s += "*";
  return s + row + ":" + column;
}

Result<CellRef> parse_cell_ref(std::string_view text) {
  CellRef r;
  std::string_view t = text;
  if (!t.empty() && t.front() == '-') {
    r.negate = true;
    t.remove_prefix(1);
  }
  if (auto bang = t.find('!'); bang != std::string_view::npos) {
    r.form = std::string(t.substr(0, bang));
    t.remove_prefix(bang + 1);
    if (r.form.empty()) return Status::InvalidArgument(fmt::format("“{}”：“!”前面没有写表", text));
  }
  if (!t.empty() && t.front() == '*') {
    r.whole_section = true;
    t.remove_prefix(1);
  }
  const auto colon = t.find(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument(
        fmt::format("“{}”不是单元格引用（写成 行:栏，如 total:amount）", text));
  }
  r.row = std::string(t.substr(0, colon));
  r.column = std::string(t.substr(colon + 1));
  if (r.whole_section && r.row.empty()) {
    return Status::InvalidArgument(fmt::format("“{}”：“*”前面要写部分名", text));
  }
  return r;
}

const Section* FormTemplate::section(std::string_view key) const {
  for (const auto& s : sections) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

const Section* FormTemplate::section_of_fixed_row(std::string_view row_key) const {
  for (const auto& s : sections) {
    if (s.row(row_key)) return &s;
  }
  return nullptr;
}

const Section* FormTemplate::section_for_row(std::string_view row_key) const {
  if (const Section* s = section_of_fixed_row(row_key)) return s;
  if (is_classification_code(row_key)) {
    for (const auto& s : sections) {
      if (!s.code_list.empty()) return &s;
    }
  }
  return nullptr;
}

std::string FormTemplate::display_name() const {
  return table_no.empty() ? title : table_no + " " + title;
}

Result<FormTemplate> parse_form_template(std::string_view json_text, std::string_view source) {
  try {
    const json doc = detail::parse_json_text(json_text);
    detail::expect_format(doc, "budgetsync-form/1");
    FormTemplate t;
    t.source = std::string(source);
    t.id = detail::get_string(doc, "id", "");
    if (t.id.empty() || t.id.find_first_of("/:! ") != std::string::npos) {
      throw JsonError("id", fmt::format("“{}”不能为空，也不能含“/”“:”“!”或空格", t.id));
    }
    t.version = detail::get_int(doc, "version", "");
    if (t.version < 1) throw JsonError("version", fmt::format("版本号应为正整数，而不是 {}", t.version));
    t.from_year = detail::opt_int(doc, "from_year", "", 0);
    if (t.from_year != 0 && (t.from_year < 1990 || t.from_year > 2100)) {
      throw JsonError("from_year", fmt::format("{} 不是适用的年度（1990–2100）", t.from_year));
    }
    t.title = detail::get_string(doc, "title", "");
    t.family = detail::get_string(doc, "family", "");
    t.table_no = detail::opt_string(doc, "table_no", "");
    t.order = detail::opt_int(doc, "order", "", 0);
    auto unit = parse_money_unit(detail::opt_string(doc, "unit", "", "万元"));
    if (!unit.ok()) throw JsonError("unit", unit.status().message());
    t.unit = *unit;
    t.instances = detail::opt_bool(doc, "instances", "", false);
    t.blank_is_zero =
        detail::opt_bool(doc, "blank_is_zero", "", t.family == "预算" || t.family == "决算");
    const auto& secs = detail::get_array(doc, "sections", "");
    if (secs.empty()) throw JsonError("sections", "每张表至少要有一部分");
    std::set<std::string> section_keys, row_keys;
    int coded_sections = 0;
    for (size_t i = 0; i < secs.size(); ++i) {
      const std::string p = child("sections", i);
      Section s = parse_section(secs[i], p);
      if (!section_keys.insert(s.key).second) {
        throw JsonError(child(p, "key"), fmt::format("部分“{}”定义了两次", s.key));
      }
      for (const auto& r : s.rows) {
        if (!row_keys.insert(r.key).second) {
          throw JsonError(p + ".rows", fmt::format("本表的“{}”行定义了两次", r.key));
        }
      }
      if (!s.code_list.empty()) ++coded_sections;
      if (!s.beside.empty() &&
          (t.sections.empty() || t.sections.back().key != s.beside)) {
        throw JsonError(child(p, "beside"),
                        fmt::format("应是紧挨在这一部分之前的那一部分（“{}”不是）", s.beside));
      }
      t.sections.push_back(std::move(s));
    }
    if (coded_sections > 1) throw JsonError("sections", "最多只能有一部分按科目编码排列");
    if (auto it = doc.find("rules"); it != doc.end()) {
      std::set<std::string> ids;
      for (size_t i = 0; i < it->size(); ++i) {
        Rule r = parse_rule((*it)[i], child("rules", i), t);
        if (!ids.insert(r.id).second) {
          throw JsonError(child(child("rules", i), "id"),
                          fmt::format("规则编号“{}”用了两次", r.id));
        }
        t.rules.push_back(std::move(r));
      }
    }
    if (auto it = doc.find("offsets"); it != doc.end()) {
      if (!it->is_array()) throw JsonError("offsets", "应是数组（[…]）");
      for (size_t i = 0; i < it->size(); ++i) {
        t.offsets.push_back(parse_offset((*it)[i], child("offsets", i), t));
      }
    }
    if (auto it = doc.find("mentions"); it != doc.end()) {
      if (!it->is_array()) throw JsonError("mentions", "应是数组（[…]）");
      for (size_t i = 0; i < it->size(); ++i) {
        t.mentions.push_back(parse_mention((*it)[i], child("mentions", i)));
      }
    }
    if (auto it = doc.find("scoring"); it != doc.end()) {
      t.scoring = parse_scoring(*it, "scoring");
      check_scoring(t, "scoring");
    }
    if (t.scoring.grades.empty()) {
      // 90–100 优, 80–90 良, 60–80 中, below 60 差; lower bounds inclusive.
      t.scoring.grades = {{Decimal::from_int(90), "优"},
                          {Decimal::from_int(80), "良"},
                          {Decimal::from_int(60), "中"},
                          {Decimal::from_int(0), "差"}};
    }
    return t;
  } catch (const JsonError& e) {
    return detail::to_status(source, e);
  }
}

}  // namespace budgetsync
