#include "shared/check.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "shared/narrative.h"
#include "shared/scoring.h"
#include "shared/standard_text.h"
#include "shared/text.h"

namespace budgetsync {
namespace {

const Decimal kHundred = Decimal::from_int(100);

// The weight a group label states at its end: "投入 (15分)", "产出指标 (50 分)",
// "自评报告 70分", "满意度指标（10分）". Nothing when the label states none.
std::optional<Decimal> weight_in_label(std::string_view label) {
  std::string_view t = trim(label);
  auto strip_suffix = [&](std::string_view suffix) {
    if (t.size() >= suffix.size() && t.substr(t.size() - suffix.size()) == suffix) {
      t = trim(t.substr(0, t.size() - suffix.size()));
      return true;
    }
    return false;
  };
  const bool closed = strip_suffix(")") || strip_suffix("）");
  if (!strip_suffix("分")) return std::nullopt;
  size_t start = t.size();
  while (start > 0 &&
         (std::isdigit(static_cast<unsigned char>(t[start - 1])) || t[start - 1] == '.'))
    --start;
  if (start == t.size()) return std::nullopt;
  const std::string_view number = t.substr(start);
  std::string_view before = trim(t.substr(0, start));
  if (closed) {
    if (before.size() >= 1 && before.back() == '(') {
      before.remove_suffix(1);
    } else if (before.size() >= 3 && before.substr(before.size() - 3) == "（") {
      before.remove_suffix(3);
    } else {
      return std::nullopt;
    }
  } else if (!before.empty() && start > 0 && t[start - 1] != ' ') {
    return std::nullopt;  // "得5分" inside a sentence is not a group weight
  }
  auto d = Decimal::parse(number);
  if (!d.ok()) return std::nullopt;
  return *d;
}

std::string without_brackets(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool skip = false;
    for (std::string_view mark : {" ", "(", ")", "（", "）", "\u3000"}) {
      if (s.substr(i).starts_with(mark)) {
        i += mark.size();
        skip = true;
        break;
      }
    }
    if (!skip) out += s[i++];
  }
  return out;
}

// A number read from one cell for a rule.
struct Num {
  bool present = false;  // the cell exists and is neither blank nor n/a
  bool gap = false;      // a whole-section sum with some rows blank
  Decimal value;         // 0 when not present
  std::string raw;
};

// Where a resolved reference points.
struct Target {
  const Report* report = nullptr;
  const FormTemplate* form = nullptr;
  std::string row;
  std::string column;
};

class Checker {
 public:
  Checker(const std::vector<Report>& reports, const Catalog& catalog, const CheckOptions& options)
      : reports_(reports), catalog_(catalog), options_(options) {
    for (const auto& r : reports_) by_key_[r.key] = &r;
  }

  CheckResult run() {
    for (const auto& report : reports_) {
      const FormTemplate* t = catalog_.form(report.key.form, report.template_version);
      if (!t) continue;
      report_ = &report;
      form_ = t;
      unit_ = report.unit_in(*t);
      for (const auto& rule : t->rules) {
        try {
          run_rule(rule);
        } catch (const DecimalOverflow&) {
          add_overflow(rule.id);
        }
      }
      for (auto [id, step] : {std::pair{"codes", &Checker::check_codes},
                              std::pair{"text.numbers", &Checker::check_narrative},
                              std::pair{"text.tables", &Checker::check_mentions}}) {
        try {
          (this->*step)();
        } catch (const DecimalOverflow&) {
          add_overflow(id);
        }
      }
      try {
        run_scoring();
      } catch (const DecimalOverflow&) {
        add_overflow("score");
      }
    }
    return std::move(result_);
  }

 private:
  // ---- reading cells -------------------------------------------------------

  const Section* section_of(const FormTemplate& t, const Report* r, std::string_view row) const {
    if (r) {
      if (const ReportRow* rr = r->row(row)) return t.section(rr->section);
    }
    return t.section_for_row(row);
  }

  Num read(const Report* r, const FormTemplate& t, std::string_view row,
           std::string_view col) const {
    Num n;
    if (!r) return n;
    const ReportCell* c = r->cell(row, col);
    if (!c) return n;
    n.raw = c->raw;
    // Amounts are compared in the unit of the report being checked.
    if (auto v = c->value.number(unit_)) {
      n.present = true;
      n.value = *v;
    }
    (void)t;
    return n;
  }

  Target resolve(const CellRef& ref, const std::string& row, const std::string& col) const {
    Target tg;
    tg.row = ref.row.empty() ? row : ref.row;
    tg.column = ref.column.empty() ? col : ref.column;
    if (ref.form.empty()) {
      tg.report = report_;
      tg.form = form_;
    } else {
      ReportKey k = report_->key;
      k.form = ref.form;
      auto it = by_key_.find(k);
      tg.report = it == by_key_.end() ? nullptr : it->second;
      tg.form = catalog_.form(ref.form, tg.report ? tg.report->template_version : 0,
                              report_->key.year);
    }
    return tg;
  }

  // The value a reference stands for; a whole-section reference sums its column.
  Num value_of(const CellRef& ref, const std::string& row, const std::string& col) const {
    const Target tg = resolve(ref, row, col);
    if (!tg.form) return {};
    Num n;
    if (ref.whole_section) {
      if (!tg.report) return n;
      for (const auto& rr : tg.report->rows) {
        if (rr.section != ref.row) continue;
        const Num part = read(tg.report, *tg.form, rr.key, tg.column);
        if (part.present) {
          n.present = true;
          n.value += part.value;
        } else {
          n.gap = true;
        }
      }
    } else {
      n = read(tg.report, *tg.form, tg.row, tg.column);
    }
    if (ref.negate) n.value = -n.value;
    return n;
  }

  // True when the source document does not have the cell (a cut-off table, a
  // layout without that row or column): a rule touching it is never judged.
  bool omitted(const CellRef& ref, const std::string& row, const std::string& col) const {
    const Target tg = resolve(ref, row, col);
    if (!tg.report || !tg.form || tg.report->not_in_source.empty()) return false;
    if (ref.whole_section) return tg.report->not_in_source.cuts_section(ref.row, tg.column);
    const Section* s = section_of(*tg.form, tg.report, tg.row);
    return s && tg.report->not_in_source.covers(*tg.form, s->key, tg.row, tg.column);
  }
  bool omitted_cell(const std::string& row, const std::string& col) const {
    return omitted(CellRef{"", row, col, false, false}, row, col);
  }

  // ---- labels for messages -------------------------------------------------

  std::string row_label(const FormTemplate& t, const Report* r, std::string_view row) const {
    const Section* s = section_of(t, r, row);
    if (s) {
      if (const RowDef* d = s->row(row)) return d->label.empty() ? std::string(row) : d->label;
      if (r && !s->label_column.empty()) {
        if (const ReportCell* c = r->cell(row, s->label_column); c && !c->raw.empty()) {
          return is_classification_code(row) ? fmt::format("{} {}", row, c->raw) : c->raw;
        }
      }
      if (is_classification_code(row) && !s->code_list.empty()) {
        if (const CodeList* codes = catalog_.code_list(s->code_list, r ? r->key.year : 0)) {
          if (const CodeEntry* e = codes->find(row)) return fmt::format("{} {}", row, e->name);
        }
      }
    }
    return std::string(row);
  }

  std::string column_label(const FormTemplate& t, const Report* r, std::string_view row,
                           std::string_view col) const {
    const Section* s = section_of(t, r, row);
    if (s) {
      if (const Column* c = s->column(col)) return c->label;
    }
    return std::string(col);
  }

  ColumnType column_type(const FormTemplate& t, const Report* r, std::string_view row,
                         std::string_view col) const {
    const Section* s = section_of(t, r, row);
    if (s) {
      if (const Column* c = s->column(col)) return c->type;
    }
    return ColumnType::kNumber;
  }

  std::string cell_name(const Target& tg) const {
    const std::string form_prefix = tg.form == form_ ? "" : tg.form->display_name() + " ";
    const Section* s = section_of(*tg.form, tg.report, tg.row);
    const bool single_column = s && s->columns.size() == 1;
    const std::string col =
        single_column ? "" : column_label(*tg.form, tg.report, tg.row, tg.column);
    return fmt::format("{}「{}」{}", form_prefix, row_label(*tg.form, tg.report, tg.row),
                       col.empty() ? "" : "的" + col);
  }

  std::string ref_name(const CellRef& ref, const std::string& row, const std::string& col) const {
    const Target tg = resolve(ref, row, col);
    if (!tg.form) return ref.to_string();
    if (ref.whole_section) {
      const Section* s = tg.form->section(ref.row);
      const Column* c = s ? s->column(tg.column) : nullptr;
      return fmt::format("「{}」各行的{}", s && !s->title.empty() ? s->title : ref.row,
                         c ? c->label : tg.column);
    }
    return cell_name(tg);
  }

  // ---- findings ------------------------------------------------------------

  // "项目支出绩效自评表（2024年修缮费）" for forms filed once per project.
  std::string report_title() const {
    std::string title = form_->display_name();
    if (const ReportCell* c = report_->cell("header", "name"); c && !c->raw.empty()) {
      title += "（" + c->raw + "）";
    }
    return title;
  }

  // Two places as the tables print them, more when the value has them: an
  // expected 89.974 is never shown as 89.97.
  std::string fmt_num(const Decimal& d, ColumnType type) const {
    const int places = std::max(2, d.normalized().scale());
    switch (type) {
      case ColumnType::kAmount:
        return d.format(places, true);
      case ColumnType::kRate:
      case ColumnType::kScore:
        return d.format(places);
      default:
        return d.normalized().to_string();
    }
  }

  std::string unit_suffix(ColumnType type) const {
    if (type == ColumnType::kAmount) return std::string(unit_name(unit_));
    if (type == ColumnType::kRate) return "个百分点";
    if (type == ColumnType::kScore) return "分";
    return "";
  }

  Finding& add(const std::string& rule_id, Severity sev, const std::string& row,
               const std::string& col) {
    Finding f;
    f.rule_id = fmt::format("{}.{}", form_->id, rule_id);
    f.severity = sev;
    f.report = report_->key;
    f.unit_name = report_->unit_name;
    f.source = report_->source;
    f.form_title = form_->display_name();
    f.row = row;
    f.row_label = row.empty() ? "" : row_label(*form_, report_, row);
    f.column = col;
    f.column_label = col.empty() ? "" : column_label(*form_, report_, row, col);
    result_.findings.push_back(std::move(f));
    return result_.findings.back();
  }

  void set_numbers(Finding& f, const std::string& stated, const Decimal& stated_value,
                   const Decimal& expected, ColumnType type) {
    f.stated = stated;
    f.expected = fmt_num(expected, type);
    f.expected_exact = expected.to_string();
    f.difference = fmt_num(stated_value - expected, type);
  }

  void add_overflow(const std::string& rule_id) {
    Finding& f = add(rule_id, Severity::kError, "", "");
    f.message = fmt::format("{}：数值过大，无法精确计算规则 {}，请检查是否录入了异常大的金额。",
                            report_title(), rule_id);
  }

  // ---- rules ---------------------------------------------------------------

  template <typename Fn>
  void for_each_position(const Rule& rule, Fn fn) {
    std::vector<std::string> rows{""};
    if (!rule.for_rows.empty()) {
      rows.clear();
      for (const auto& rr : report_->rows) {
        if (rr.section == rule.for_rows) rows.push_back(rr.key);
      }
    }
    const std::vector<std::string> cols =
        rule.for_columns.empty() ? std::vector<std::string>{""} : rule.for_columns;
    for (const auto& r : rows) {
      for (const auto& c : cols) fn(r, c);
    }
  }

  void run_rule(const Rule& rule) {
    switch (rule.kind) {
      case RuleKind::kSum:
      case RuleKind::kComposition:
      case RuleKind::kBalance:
      case RuleKind::kCrossTable:
        for_each_position(
            rule, [&](const std::string& r, const std::string& c) { check_sum(rule, r, c); });
        break;
      case RuleKind::kHierarchy:
        check_hierarchy(rule);
        break;
      case RuleKind::kRate:
        for_each_position(
            rule, [&](const std::string& r, const std::string& c) { check_rate(rule, r, c); });
        break;
      case RuleKind::kRequired:
        for_each_position(
            rule, [&](const std::string& r, const std::string& c) { check_required(rule, r, c); });
        break;
      case RuleKind::kScoreCap:
        for_each_position(
            rule, [&](const std::string& r, const std::string& c) { check_cap(rule, r, c); });
        break;
      case RuleKind::kGroupWeight:
        check_group_weight(rule);
        break;
      case RuleKind::kUnique:
        check_unique(rule);
        break;
      case RuleKind::kPoints:
        check_points(rule);
        break;
    }
  }

  // The 尾差 allowance exists only where amounts were rounded to 万元; a table
  // kept in 元 is exact, and any gap in it is an error.
  Decimal tolerance() const {
    return unit_ == MoneyUnit::kWanYuan ? options_.rounding_tolerance_wan : Decimal();
  }

  // Reports stated ≠ expected for an equality rule; rounding-sized gaps on
  // amounts are warnings. `explain` builds the middle of the message; it runs
  // only when there is a finding, since naming cells costs far more than
  // comparing numbers.
  template <typename Explain>
  void report_mismatch(const Rule& rule, const Target& tg, const Num& stated,
                       const Decimal& expected, Explain explain) {
    const ColumnType type = column_type(*tg.form, tg.report, tg.row, tg.column);
    const Decimal diff = stated.value - expected;
    if (diff.is_zero()) return;
    const std::string explanation = explain();
    const bool rounding = type == ColumnType::kAmount && diff.abs() <= tolerance();
    Finding& f = add(rule.id, rounding ? Severity::kWarning : rule.severity, tg.row, tg.column);
    set_numbers(f, stated.present ? stated.raw : "", stated.value, expected, type);
    const std::string stated_text = stated.present ? stated.raw : "空白";
    std::string msg = fmt::format("{}：{}填报 {}，{}，相差 {} {}", report_title(), cell_name(tg),
                                  stated_text, explanation, fmt_num(diff, type), unit_suffix(type));
    if (rounding) {
      msg += fmt::format("。差额不超过 {} 万元，属换算为万元时四舍五入造成的尾差，请核对。",
                         options_.rounding_tolerance_wan.normalized().to_string());
    } else {
      msg += rule.title.empty() ? "。请核对这些数字。"
                                : fmt::format("，不符合“{}”。请核对这些数字。", rule.title);
    }
    f.message = msg;
  }

  // A blank stated total whose parts are filled: a notice offering the value.
  template <typename Names>
  void offer_value(const Rule& rule, const Target& tg, const Decimal& expected, Names names) {
    const ColumnType type = column_type(*tg.form, tg.report, tg.row, tg.column);
    Finding& f = add(rule.id, Severity::kNotice, tg.row, tg.column);
    f.expected = fmt_num(expected, type);
    f.expected_exact = expected.to_string();
    f.message = fmt::format("{}：{}未填写，按“{}”应为 {}{}（{}）。", report_title(), cell_name(tg),
                            rule.title.empty() ? "规则" : rule.title, f.expected,
                            type == ColumnType::kRate ? "%" : "", names());
  }

  // A blank score whose inputs are filled: a notice offering the score its rule
  // gives (a person enters the score; the program never does).
  void offer_score(const std::string& rule_id, const Target& tg, const Decimal& expected,
                   const std::string& detail, const std::string& basis) {
    Finding& f = add(rule_id, Severity::kNotice, tg.row, tg.column);
    f.expected = fmt_num(expected, ColumnType::kScore);
    f.expected_exact = expected.to_string();
    f.message = fmt::format("{}：{}{}未填写；{}，应为 {} 分。", report_title(), cell_name(tg), detail,
                            basis, f.expected);
  }

  // A rule with blank inputs whose filled ones do not already agree: not
  // checkable, a notice naming the blank cells.
  void not_checkable(const Rule& rule, const Target& tg, const Num& stated, const Decimal& partial,
                     const std::vector<std::string>& blanks) {
    const ColumnType type = column_type(*tg.form, tg.report, tg.row, tg.column);
    std::string list;
    for (size_t i = 0; i < blanks.size() && i < 6; ++i) list += (i ? "、" : "") + blanks[i];
    if (blanks.size() > 6) list += fmt::format(" 等 {} 处", blanks.size());
    Finding& f = add(rule.id, Severity::kNotice, tg.row, tg.column);
    f.stated = stated.raw;
    f.message = fmt::format(
        "{}：{}未填写，无法核对“{}”：{}填报 {}，已填部分合计 {}。空白不按 0 计，请补填后再核对。",
        report_title(), list, rule.title.empty() ? "规则" : rule.title, cell_name(tg), stated.raw,
        fmt_num(partial, type));
  }

  void check_sum(const Rule& rule, const std::string& row, const std::string& col) {
    if (omitted(rule.target, row, col)) return;
    const Num target = value_of(rule.target, row, col);
    Decimal sum;
    bool any_term = false;
    std::vector<std::string> blanks;  // parts not filled, where a blank is not 0
    for (const auto& term : rule.terms) {
      if (!term.form.empty() && !resolve(term, row, col).report)
        return;  // the other table is not here
      if (omitted(term, row, col)) return;
      const Num n = value_of(term, row, col);
      any_term = any_term || n.present;
      sum += n.value;
      if (!form_->blank_is_zero && (!n.present || n.gap) && term_in_report(term, row, col))
        blanks.push_back(ref_name(term, row, col));
    }
    if (!target.present && !any_term) return;
    const Target tg = resolve(rule.target, row, col);
    auto part_names = [&] {
      std::string joined;
      for (const auto& term : rule.terms) {
        if (!term_in_report(term, row, col)) continue;
        joined += (joined.empty() ? "" : term.negate ? " − " : " + ") + ref_name(term, row, col);
      }
      return joined;
    };
    if (!target.present) {
      if (blanks.empty()) offer_value(rule, tg, sum, part_names);
      return;
    }
    if (!blanks.empty()) {
      if (sum != target.value) not_checkable(rule, tg, target, sum, blanks);
      return;
    }
    report_mismatch(rule, tg, target, sum, [&] {
      std::vector<std::string> names;
      for (const auto& term : rule.terms) {
        if (!term_in_report(term, row, col)) continue;
        names.push_back((term.negate ? "减 " : "") + ref_name(term, row, col));
      }
      if (names.empty()) names.push_back(ref_name(rule.terms.front(), row, col));
      const ColumnType type = column_type(*tg.form, tg.report, tg.row, tg.column);
      if (rule.kind == RuleKind::kBalance || rule.kind == RuleKind::kCrossTable) {
        return fmt::format("而{}为 {}，两者应相等", names.front(), fmt_num(sum, type));
      }
      if (names.size() <= 6) {
        std::string joined;
        for (const auto& n : names) joined += (joined.empty() ? "" : " + ") + n;
        return fmt::format("应等于 {} = {}", joined, fmt_num(sum, type));
      }
      return fmt::format("应等于{}等 {} 项之和 {}", names.front(), names.size(),
                         fmt_num(sum, type));
    });
  }

  void check_hierarchy(const Rule& rule) {
    const Section* sec = form_->section(rule.section);
    const CodeList* codes = catalog_.code_list(sec->code_list, report_->key.year);
    std::vector<std::string> present;
    for (const auto& rr : report_->rows) {
      if (rr.section == sec->key && is_classification_code(rr.key)) present.push_back(rr.key);
    }
    const std::set<std::string> present_set(present.begin(), present.end());
    // The nearest present ancestor of each code.
    // A code the list does not know hangs under its longest present prefix
    // (2010601 under 20106 even when neither is listed).
    auto parent_present = [&](const std::string& code) -> std::string {
      if (!codes || !codes->find(code)) {
        for (size_t len = code.size(); len-- > 1;) {
          if (present_set.count(code.substr(0, len))) return code.substr(0, len);
        }
        if (!codes) return std::string();
      }
      std::string p = codes->parent_of(code);
      while (!p.empty() && !present_set.count(p)) p = codes->parent_of(p);
      return p;
    };
    std::map<std::string, std::vector<std::string>> children;
    std::vector<std::string> top;
    for (const auto& code : present) {
      const std::string p = parent_present(code);
      (p.empty() ? top : children[p]).push_back(code);
    }
    const NotInSource& gaps = report_->not_in_source;
    auto check_parent = [&](const std::string& parent, const std::vector<std::string>& kids,
                            const std::string& what) {
      // A code whose sub-codes the source cuts off cannot be judged.
      if (gaps.cuts_into(sec->key, parent)) return;
      for (const auto& col : rule.columns) {
        if (omitted_cell(parent, col)) continue;
        if (std::any_of(kids.begin(), kids.end(),
                        [&](const std::string& k) { return omitted_cell(k, col); }))
          continue;
        if (parent == rule.total_row && gaps.cuts_section(sec->key, col)) continue;
        Num stated = read(report_, *form_, parent, col);
        Decimal sum;
        bool any = false;
        for (const auto& k : kids) {
          const Num n = read(report_, *form_, k, col);
          any = any || n.present;
          sum += n.value;
        }
        if (!stated.present && !any) continue;
        Target tg{report_, form_, parent, col};
        std::string kid_list;
        for (size_t i = 0; i < kids.size() && i < 6; ++i) kid_list += (i ? "、" : "") + kids[i];
        if (kids.size() > 6) kid_list += fmt::format(" 等 {} 个", kids.size());
        if (!stated.present) {
          offer_value(rule, tg, sum, [&] { return fmt::format("其{}{}之和", what, kid_list); });
          continue;
        }
        report_mismatch(rule, tg, stated, sum, [&] {
          return fmt::format("其{}（{}）合计为 {}，两者应相等", what, kid_list,
                             fmt_num(sum, column_type(*form_, report_, parent, col)));
        });
      }
    };
    for (const auto& [parent, kids] : children) check_parent(parent, kids, "下级科目");
    if (!rule.total_row.empty() && !top.empty() && report_->row(rule.total_row)) {
      check_parent(rule.total_row, top, "各类级科目");
    }
  }

  void check_rate(const Rule& rule, const std::string& row, const std::string& col) {
    if (omitted(rule.target, row, col) || omitted(rule.numerator, row, col) ||
        omitted(rule.denominator, row, col))
      return;
    const Num stated = value_of(rule.target, row, col);
    const Num num = value_of(rule.numerator, row, col);
    const Num den = value_of(rule.denominator, row, col);
    if (!num.present || !den.present) return;
    if (!stated.present) {
      // A blank rate over filled amounts, on the row whose score is computed
      // from it: a notice offering the rate (never over a zero base, where
      // there is none). The breakdown rows' rates are often left blank on
      // paper, and nothing hangs on them.
      if (den.value.is_zero()) return;
      const Target tg = resolve(rule.target, row, col);
      const auto& ex = form_->scoring.execution;
      if (tg.report != report_ || !ex || ex->budget.row != tg.row) return;
      offer_value(rule, tg, Decimal::divide(num.value * kHundred, den.value, 2), [&] {
        return fmt::format("{} ÷ {} = {} ÷ {}", ref_name(rule.numerator, row, col),
                           ref_name(rule.denominator, row, col), num.value.normalized().to_string(),
                           den.value.normalized().to_string());
      });
      return;
    }
    if (den.value.is_zero()) {
      // 0 ÷ 0 is no rate: a stated one (even "100%") has nothing under it. A
      // row with nothing in it written 0/0/0.00% is the tables' convention.
      if (num.value.is_zero() && stated.value.is_zero()) return;
      const Target tg = resolve(rule.target, row, col);
      Finding& f = add(rule.id, rule.severity, tg.row, tg.column);
      f.stated = stated.raw;
      f.message = fmt::format(
          "{}：{}填报 {}，但{}为 0，{}无法计算（{}为 {}）。请核对资金数据。", report_title(),
          cell_name(tg), stated.raw, ref_name(rule.denominator, row, col),
          column_label(*tg.form, tg.report, tg.row, tg.column), ref_name(rule.numerator, row, col),
          num.value.normalized().to_string());
      return;
    }
    const int places = std::clamp(stated.value.scale(), 0, 6);
    const Decimal expected = Decimal::divide(num.value * kHundred, den.value, places);
    if (expected == stated.value) return;
    const Target tg = resolve(rule.target, row, col);
    Finding& f = add(rule.id, rule.severity, tg.row, tg.column);
    set_numbers(f, stated.raw, stated.value, expected, ColumnType::kRate);
    std::string msg =
        fmt::format("{}：{}填报 {}，按 {} ÷ {} = {} ÷ {} 应为 {}%", report_title(), cell_name(tg),
                    stated.raw, ref_name(rule.numerator, row, col),
                    ref_name(rule.denominator, row, col), num.value.normalized().to_string(),
                    den.value.normalized().to_string(), expected.to_string());
    for (const auto& alt : rule.alternate_denominators) {
      const Num a = value_of(alt, row, col);
      if (!a.present || a.value.is_zero()) continue;
      if (Decimal::divide(num.value * kHundred, a.value, places) == stated.value) {
        msg += fmt::format("；填报值恰好等于 {} ÷ {}（{} ÷ {}），可能用错了计算基数",
                           ref_name(rule.numerator, row, col), ref_name(alt, row, col),
                           num.value.normalized().to_string(), a.value.normalized().to_string());
        break;
      }
    }
    f.message = msg + "。";
  }

  void check_required(const Rule& rule, const std::string& row, const std::string& col) {
    for (const auto& ref : rule.terms) {
      const Target tg = resolve(ref, row, col);
      if (!tg.report || omitted(ref, row, col)) continue;
      const ReportCell* c = tg.report->cell(tg.row, tg.column);
      if (c && !c->value.is_blank()) continue;
      Finding& f = add(rule.id, rule.severity, tg.row, tg.column);
      f.message = fmt::format("{}：{}未填写，这是必填项。", report_title(), cell_name(tg));
    }
  }

  void check_cap(const Rule& rule, const std::string& row, const std::string& col) {
    if (omitted(rule.target, row, col)) return;
    const Num score = value_of(rule.target, row, col);
    const Num weight = value_of(rule.terms.front(), row, col);
    if (!score.present || !weight.present || score.value <= weight.value) return;
    const Target tg = resolve(rule.target, row, col);
    Finding& f = add(rule.id, rule.severity, tg.row, tg.column);
    set_numbers(f, score.raw, score.value, weight.value, ColumnType::kScore);
    f.message = fmt::format("{}：{}为 {} 分，超过了分值 {} 分。得分不能高于分值。", report_title(),
                            cell_name(tg), score.raw, weight.raw);
  }

  // A whole-section term over a section this report has no rows in names a
  // block the table does not print: it is left out of messages.
  bool term_in_report(const CellRef& term, const std::string& row, const std::string& col) const {
    if (!term.whole_section) return true;
    const Target tg = resolve(term, row, col);
    if (!tg.report) return false;
    return std::any_of(tg.report->rows.begin(), tg.report->rows.end(),
                       [&](const ReportRow& rr) { return rr.section == term.row; });
  }

  // The parts' weights sum to the form's full marks, and the total's weight is
  // those marks. An added indicator that breaks the sum is fixed by
  // re-weighting the indicators, never by raising the total.
  void check_points(const Rule& rule) {
    if (omitted(rule.target, "", "")) return;
    for (const auto& term : rule.terms) {
      if (omitted(term, "", "")) return;
    }
    const Num stated = value_of(rule.target, "", "");
    Decimal sum;
    bool any = false;
    std::string parts;
    for (const auto& term : rule.terms) {
      const Num n = value_of(term, "", "");
      if (!n.present) continue;
      any = true;
      sum += n.value;
      parts += fmt::format("{}{} {} 分", parts.empty() ? "" : " + ", ref_name(term, "", ""),
                           n.value.normalized().to_string());
    }
    const std::string full = rule.points.normalized().to_string();
    const Target tg = resolve(rule.target, "", "");
    const bool total_wrong = stated.present && stated.value != rule.points;
    if (any && sum != rule.points) {
      Finding& f = add(rule.id, rule.severity, tg.row, tg.column);
      f.stated = sum.normalized().to_string();
      f.expected = full;
      f.expected_exact = rule.points.to_string();
      f.difference = (sum - rule.points).normalized().to_string();
      std::string msg = fmt::format(
          "{}：各部分分值合计为 {} 分（{}），本表满分为 {} 分，相差 {} 分。请调整各指标的分值，"
          "使其合计为 {} 分；总分的分值是本表满分，不能为凑数而改动",
          report_title(), f.stated, parts, full, f.difference, full);
      if (total_wrong) {
        msg += fmt::format("（{}填报 {} 分，也应为 {} 分）", cell_name(tg), stated.raw, full);
      }
      f.message = msg + "。";
      return;
    }
    if (!total_wrong) return;
    Finding& f = add(rule.id, rule.severity, tg.row, tg.column);
    set_numbers(f, stated.raw, stated.value, rule.points, ColumnType::kScore);
    f.message = fmt::format("{}：{}填报 {} 分，本表满分为 {} 分，总分的分值{}。", report_title(),
                            cell_name(tg), stated.raw, full,
                            stated.value > rule.points ? "不能超过满分" : "应为满分");
  }

  void check_group_weight(const Rule& rule) {
    if (report_->not_in_source.cuts_section(rule.section, rule.weight_column)) return;
    struct Group {
      std::string label;
      std::string first_row;
      Decimal stated;
      Decimal sum;
    };
    for (size_t level = 0; level < rule.group_columns.size(); ++level) {
      std::vector<std::string> carried(rule.group_columns.size());
      std::map<std::string, Group> groups;
      std::vector<std::string> order;
      for (const auto& rr : report_->rows) {
        if (rr.section != rule.section) continue;
        for (size_t k = 0; k <= level; ++k) {
          auto it = rr.cells.find(rule.group_columns[k]);
          if (it != rr.cells.end() && !trim(it->second.raw).empty()) {
            carried[k] = std::string(trim(it->second.raw));
            for (size_t j = k + 1; j < carried.size(); ++j) carried[j].clear();
          }
        }
        const std::string& label = carried[level];
        const std::optional<Decimal> stated_weight = weight_in_label(label);
        if (!stated_weight) continue;
        std::string key;
        for (size_t k = 0; k <= level; ++k) key += carried[k] + "\x1f";
        auto [it, inserted] = groups.try_emplace(key);
        if (inserted) {
          it->second.label = label;
          it->second.first_row = rr.key;
          it->second.stated = *stated_weight;
          order.push_back(key);
        }
        const Num w = read(report_, *form_, rr.key, rule.weight_column);
        it->second.sum += w.value;
      }
      for (const auto& key : order) {
        const Group& g = groups[key];
        if (g.stated == g.sum) continue;
        Finding& f = add(rule.id, rule.severity, g.first_row, rule.group_columns[level]);
        f.stated = g.stated.normalized().to_string();
        f.expected = g.sum.normalized().to_string();
        f.difference = (g.stated - g.sum).normalized().to_string();
        f.message = fmt::format(
            "{}：「{}」标注 {} 分，但其下各指标分值合计为 {} 分，相差 {} "
            "分。请调整其下各指标的分值，使其合计为 {} 分；若是标注的分数写错了（各组标注之和"
            "应为本表满分），请更正标注。",
            report_title(), g.label, f.stated, f.expected, f.difference, f.stated);
      }
    }
  }

  // Rows keyed by classification codes: a code the year's list does not know,
  // or a printed name that is not the list's name for its code, is a warning.
  // The row is kept and checked like any other (a list is never complete).
  void check_codes() {
    for (const auto& sec : form_->sections) {
      if (sec.code_list.empty()) continue;
      const CodeList* codes = catalog_.code_list(sec.code_list, report_->key.year);
      if (!codes) continue;
      const std::string list_name = fmt::format("{} 年{}", report_->key.year,
                                                codes->title().empty() ? "科目表" : codes->title());
      for (const auto& rr : report_->rows) {
        if (rr.section != sec.key || sec.row(rr.key) || !is_classification_code(rr.key)) continue;
        const ReportCell* name_cell =
            sec.label_column.empty() ? nullptr : report_->cell(rr.key, sec.label_column);
        const std::string printed = name_cell ? std::string(trim(name_cell->raw)) : "";
        const CodeEntry* entry = codes->find(rr.key);
        if (!entry) {
          Finding& f = add("codes.unknown", Severity::kWarning, rr.key, sec.label_column);
          f.stated = rr.key;
          f.message = fmt::format(
              "{}：科目编码 {}{}不在 {}中。该行已按填报数据参与检查，请核对编码是否有误；"
              "若是当年新设的科目，可用 budgetsync codes import 载入当年的科目表。",
              report_title(), rr.key, printed.empty() ? "" : "「" + printed + "」", list_name);
          continue;
        }
        if (printed.empty() ||
            normalize_numeric_text(printed) == normalize_numeric_text(entry->name))
          continue;
        Finding& f = add("codes.name", Severity::kWarning, rr.key, sec.label_column);
        f.stated = printed;
        f.expected = entry->name;
        f.message = fmt::format(
            "{}：科目编码 {} 在{}中的名称是「{}」，表中写的是「{}」。请核对编码或名称。",
            report_title(), rr.key, list_name, entry->name, printed);
      }
    }
  }

  // Numbers in explanations and reports against their own arithmetic
  // (shared/narrative.h): a warning quoting the sentence.
  void check_narrative() {
    for (const auto& rr : report_->rows) {
      const Section* sec = form_->section(rr.section);
      if (!sec) continue;
      for (const auto& [col, cell] : rr.cells) {
        const Column* c = sec->column(col);
        if (!c || c->type != ColumnType::kText || cell.raw.size() < 5) continue;
        if (omitted_cell(rr.key, col)) continue;
        for (const NarrativeIssue& issue : check_narrative_numbers(cell.raw)) {
          Finding& f = add("text.numbers", Severity::kWarning, rr.key, col);
          f.stated = issue.stated;
          f.expected = issue.expected;
          switch (issue.kind) {
            case NarrativeIssue::Kind::kSum:
              f.message = fmt::format("{}：{}中写道“{}”，但按式中各数相加应为 {}，不是 {}。",
                                      report_title(), cell_name({report_, form_, rr.key, col}),
                                      issue.sentence, issue.expected, issue.stated);
              break;
            case NarrativeIssue::Kind::kShare:
              f.message =
                  fmt::format("{}：{}中写道“{}”，但按文中的决算数 ÷ 预算数计算应为 {}，不是 {}。",
                              report_title(), cell_name({report_, form_, rr.key, col}),
                              issue.sentence, issue.expected, issue.stated);
              break;
            case NarrativeIssue::Kind::kShareOfZero:
              f.message = fmt::format(
                  "{}：{}中写道“{}”，但文中的预算数为 0，完成比例 {} 无从计算。", report_title(),
                  cell_name({report_, form_, rr.key, col}), issue.sentence, issue.stated);
              break;
          }
        }
      }
    }
  }

  // Numbers in the texts against the table cells the template's mentions name
  // (shared/narrative.h find_mentions): a warning quoting the sentence and the cell.
  void check_mentions() {
    std::vector<const Mention*> active;
    std::vector<MentionPattern> patterns;
    for (const Mention& m : form_->mentions) {
      if (!m.instances.empty() && std::find(m.instances.begin(), m.instances.end(),
                                            report_->key.instance) == m.instances.end())
        continue;
      active.push_back(&m);
      patterns.push_back({m.phrase, m.context, m.named_row.has_value()});
    }
    if (active.empty()) return;
    for (const auto& rr : report_->rows) {
      const Section* sec = form_->section(rr.section);
      if (!sec) continue;
      for (const auto& [col, cell] : rr.cells) {
        const Column* c = sec->column(col);
        if (!c || c->type != ColumnType::kText || cell.raw.empty()) continue;
        if (omitted_cell(rr.key, col)) continue;
        for (const MentionHit& hit : find_mentions(cell.raw, patterns)) {
          const Mention& m = *active[hit.pattern];
          if (m.named_row) {
            compare_mention(hit, named_target(*m.named_row, hit.names), rr.key, col);
            continue;
          }
          const Report* in = nullptr;
          if (m.project) {
            in = project_named(*m.project, hit.before);
            if (!in) continue;
          }
          for (const CellRef& ref : m.cells) {
            Target tg;
            tg.report = in ? in : other_report(ref.form, "");
            tg.form = catalog_.form(ref.form, tg.report ? tg.report->template_version : 0,
                                    report_->key.year);
            tg.row = ref.row;
            tg.column = ref.column;
            compare_mention(hit, tg, rr.key, col);
          }
        }
      }
    }
  }

  // The report of `form` (and instance) of the unit and year being checked.
  const Report* other_report(const std::string& form, const std::string& instance) const {
    ReportKey k = report_->key;
    k.form = form;
    k.instance = instance;
    auto it = by_key_.find(k);
    return it == by_key_.end() ? nullptr : it->second;
  }

  // The project report whose name (the `name` cell) is written in `before`; of
  // several, the one written nearest the phrase, then the longest name. Spaces,
  // brackets and the width of digits do not count: a name printed
  // “资金（医疗保障服务能力建设部分）” is written “资金医疗保障服务能力建设部分”.
  const Report* project_named(const CellRef& name, const std::string& before) const {
    const std::string written = without_brackets(normalize_numeric_text(before));
    const Report* best = nullptr;
    size_t best_end = 0;
    size_t best_size = 0;
    for (const auto& [key, r] : by_key_) {
      if (key.unit != report_->key.unit || key.year != report_->key.year || key.form != name.form)
        continue;
      const ReportCell* c = r->cell(name.row, name.column);
      if (!c) continue;
      const std::string n = without_brackets(normalize_numeric_text(c->raw));
      if (n.empty()) continue;
      const size_t at = written.rfind(n);
      if (at == std::string::npos) continue;
      const size_t end = at + n.size();
      if (end > best_end || (end == best_end && n.size() > best_size)) {
        best = r;
        best_end = end;
        best_size = n.size();
      }
    }
    return best;
  }

  // The row of a coded section named by a paragraph's 类/款/项: the class whose
  // name is the one written (with or without 支出), then its 款 and 项 by name.
  Target named_target(const CellRef& where, const ClassifiedNames& names) const {
    Target tg;
    tg.report = other_report(where.form, "");
    if (!tg.report || names.empty()) return {};
    tg.form = catalog_.form(where.form, tg.report->template_version);
    if (!tg.form) return {};
    const Section* sec = tg.form->section(where.row);
    if (!sec) return {};
    auto name_of = [&](const ReportRow& rr) -> std::string {
      if (auto c = rr.cells.find(sec->label_column); c != rr.cells.end() && !c->second.raw.empty())
        return std::string(trim(c->second.raw));
      if (const CodeList* codes = catalog_.code_list(sec->code_list, report_->key.year)) {
        if (const CodeEntry* e = codes->find(rr.key)) return e->name;
      }
      return "";
    };
    auto find = [&](const std::string& parent, size_t digits,
                    const std::string& name) -> const ReportRow* {
      for (const auto& rr : tg.report->rows) {
        if (rr.section != sec->key || rr.key.size() != digits || !rr.key.starts_with(parent))
          continue;
        const std::string n = name_of(rr);
        if (n == name || (digits == 3 && (n == name + "支出" || n + "支出" == name))) return &rr;
      }
      return nullptr;
    };
    const ReportRow* row = find("", 3, names.class_name);
    if (row && !names.kuan.empty()) row = find(row->key, 5, names.kuan);
    if (row && !names.xiang.empty()) row = find(row->key, 7, names.xiang);
    if (!row) return {};
    tg.row = row->key;
    tg.column = where.column;
    return tg;
  }

  void compare_mention(const MentionHit& hit, const Target& tg, const std::string& row,
                       const std::string& col) {
    if (!tg.report || !tg.form) return;
    const ReportCell* c = tg.report->cell(tg.row, tg.column);
    if (!c) return;
    const Section* s = section_of(*tg.form, tg.report, tg.row);
    if (!s || tg.report->not_in_source.covers(*tg.form, s->key, tg.row, tg.column)) return;
    const ColumnType type = column_type(*tg.form, tg.report, tg.row, tg.column);
    std::optional<Decimal> value;
    if (type == ColumnType::kAmount && (hit.unit == "万元" || hit.unit == "元")) {
      value = c->value.number(hit.unit == "元" ? MoneyUnit::kYuan : MoneyUnit::kWanYuan);
    } else if ((type == ColumnType::kRate && hit.unit == "%") ||
               (type == ColumnType::kScore && hit.unit == "分")) {
      value = c->value.number(unit_);
    }
    if (!value || value->rounded(std::max(hit.value.scale(), 0)) == hit.value) return;
    std::string where = cell_name(tg);
    if (!tg.report->key.instance.empty()) {
      if (const ReportCell* name = tg.report->cell("header", "name"); name && !name->raw.empty())
        where = fmt::format("{}（{}）{}", tg.form->display_name(), name->raw,
                            where.substr(where.find("「")));
    }
    Finding& f = add("text.tables", Severity::kWarning, row, col);
    const std::string shown = fmt_num(*value, type) + hit.unit;
    f.stated = hit.stated;
    f.expected = shown;
    f.expected_exact = value->to_string();
    f.message = fmt::format("{}：{}中写道“{}”，其中 {} 与{}的 {} 不一致，请核对文字或表格。",
                            report_title(), cell_name({report_, form_, row, col}), hit.sentence,
                            hit.stated, where, shown);
  }

  void check_unique(const Rule& rule) {
    std::map<std::string, std::pair<std::string, size_t>>
        seen;  // values -> first row, its position
    size_t position = 0;
    for (const auto& rr : report_->rows) {
      if (rr.section != rule.section) continue;
      ++position;
      std::string key;
      bool any = false;
      for (const auto& c : rule.group_columns) {
        auto it = rr.cells.find(c);
        const std::string v = it == rr.cells.end() ? "" : std::string(trim(it->second.raw));
        any = any || !v.empty();
        key += v + "\x1f";
      }
      if (!any) continue;
      auto [it, inserted] = seen.try_emplace(key, rr.key, position);
      if (inserted) continue;
      Finding& f = add(rule.id, rule.severity, rr.key, rule.group_columns.front());
      f.message =
          fmt::format("{}：第 {} 行「{}」与第 {} 行重复。{}", report_title(), position,
                      row_label(*form_, report_, rr.key), it->second.second,
                      rule.title.empty() ? "请确认是否重复填报。"
                                         : "不符合“" + rule.title + "”，请确认是否重复填报。");
    }
  }

  // ---- scoring -------------------------------------------------------------

  void run_scoring() {
    const Scoring& sc = form_->scoring;
    if (!sc.indicators && !sc.execution && !sc.total) return;
    if (sc.total) {
      const ReportCell* c = report_->cell(sc.total->row, sc.total->column);
      if (!c || c->value.is_blank()) return;  // not scored yet: nothing to summarise
    }
    ScoreSummary summary;
    summary.report = report_->key;
    summary.form_title = form_->display_name();
    if (const ReportCell* c = report_->cell("header", "name")) summary.name = c->raw;
    if (sc.execution) score_execution(*sc.execution, summary);
    if (sc.indicators) score_indicators(sc, summary);
    if (sc.total) {
      const Num total = value_of(*sc.total, "", "");
      if (total.present) {
        summary.stated_total = total.value;
        summary.grade = grade_for(total.value, sc.grades);
      }
    }
    result_.scores.push_back(std::move(summary));
  }

  void score_execution(const ExecutionScoring& ex, ScoreSummary& summary) {
    const Num budget = value_of(ex.budget, "", "");
    const Num spent = value_of(ex.spent, "", "");
    const Num weight = value_of(ex.weight, "", "");
    const Num stated = value_of(ex.score, "", "");
    if (!budget.present || !spent.present || !weight.present) return;
    for (const CellRef* ref : {&ex.budget, &ex.spent, &ex.weight, &ex.score}) {
      if (omitted(*ref, "", "")) return;
    }
    if (budget.value.is_zero()) {
      // No rate, so no score from it: a stated score has nothing under it, and
      // a zero total over components that carry money hides them.
      if (!stated.present) return;
      const Target tg = resolve(ex.score, "", "");
      std::vector<std::string> funded;
      if (const Section* funds = section_of(*form_, report_, ex.budget.row)) {
        for (const auto& rr : report_->rows) {
          if (rr.section != funds->key || rr.key == ex.budget.row) continue;
          for (const CellRef* ref : {&ex.budget, &ex.spent}) {
            const Num n = read(report_, *form_, rr.key, ref->column);
            if (n.present && !n.value.is_zero()) {
              funded.push_back(
                  fmt::format("{}为 {}", cell_name({report_, form_, rr.key, ref->column}), n.raw));
              break;
            }
          }
        }
      }
      if (stated.value.is_zero() && funded.empty()) return;
      Finding& f = add("score.execution", Severity::kError, tg.row, tg.column);
      f.stated = stated.raw;
      std::string msg =
          fmt::format("{}：{}为 0，执行率无法计算，预算执行{}填报 {} 无从计算", report_title(),
                      ref_name(ex.budget, "", ""), cell_name(tg), stated.raw);
      if (!funded.empty()) {
        std::string list;
        for (size_t i = 0; i < funded.size() && i < 4; ++i) list += (i ? "、" : "") + funded[i];
        msg += fmt::format("；而其下资金来源有数：{}，年度资金总额不应为 0", list);
      }
      f.message = msg + "。";
      return;
    }
    ++summary.recomputed;
    const Decimal rate = Decimal::divide(spent.value * kHundred, budget.value, 2);
    const Decimal expected = execution_score(weight.value, rate);
    const bool agrees = stated.present && agrees_at_stated_precision(stated.value, expected);
    summary.items.push_back({ex.score.row, "预算执行率", "分值 × 执行率", rate.to_string() + "%",
                             weight.raw, stated.raw, expected, agrees});
    if (agrees) return;
    const Target tg = resolve(ex.score, "", "");
    if (!stated.present) {
      offer_score("score.execution", tg, expected, "",
                  fmt::format("按“得分 = 分值 × 执行率（全年执行数 ÷ 全年预算数）”= {} × {}%",
                              weight.value.normalized().to_string(), rate.to_string()));
      return;
    }
    Finding& f = add("score.execution", Severity::kError, tg.row, tg.column);
    set_numbers(f, stated.present ? stated.raw : "", stated.value, expected, ColumnType::kScore);
    f.message = fmt::format(
        "{}：预算执行{}填报 {}，按“得分 = 分值 × 执行率（全年执行数 ÷ 全年预算数）”= {} × {}% 应为 "
        "{} 分。",
        report_title(), cell_name(tg), stated.present ? stated.raw : "空白",
        weight.value.normalized().to_string(), rate.to_string(), expected.to_string());
  }

  void score_indicators(const Scoring& sc, ScoreSummary& summary) {
    const IndicatorScoring& ind = *sc.indicators;
    std::map<std::string, const StandardRule*> standards;
    for (const auto& s : sc.standards) standards[s.row] = &s;
    for (const auto& rr : report_->rows) {
      if (rr.section != ind.section) continue;
      const Num weight = read(report_, *form_, rr.key, ind.weight);
      const Num stated = read(report_, *form_, rr.key, ind.score);
      if (!weight.present || omitted_cell(rr.key, ind.score)) continue;
      auto text = [&](const std::string& col) -> std::string {
        const ReportCell* c = report_->cell(rr.key, col);
        return c ? std::string(trim(c->raw)) : std::string();
      };
      if (!ind.standard_text.empty()) check_standard(rr.key, text(ind.standard_text), weight);
      if (auto st = standards.find(rr.key); st != standards.end()) {
        score_by_standard(*st->second, rr.key, weight, stated, summary);
        continue;
      }
      const std::string target = text(ind.target);
      const std::string actual = text(ind.actual);
      IndicatorScore s = score_indicator(target, actual, weight.value, sc.qualitative);
      const bool shortfall = s.score && s.basis != IndicatorScore::Basis::kMet;
      if (shortfall && sc.convention == ScoringConvention::kFullOrNothing) s.score = Decimal();
      const std::string name = row_label(*form_, report_, rr.key);
      const bool agrees =
          s.score && stated.present && agrees_at_stated_precision(stated.value, *s.score);
      summary.items.push_back(
          {rr.key, name, target, actual, weight.raw, stated.raw, s.score, agrees || !s.score});
      if (!s.score) {
        ++summary.by_hand;
        continue;
      }
      ++summary.recomputed;
      // Meeting the target earns full marks everywhere; how a shortfall is
      // scored is a convention, an error only where the form declares one.
      const bool declared = sc.convention != ScoringConvention::kUnstated;
      const std::string basis = sc.convention == ScoringConvention::kFullOrNothing && shortfall
                                    ? "未达到指标值，按本表“达标得满分、未达标不得分”的计分规则"
                                    : basis_text(s, target, actual, weight);
      if (!stated.present) {
        offer_score("score.indicator", {report_, form_, rr.key, ind.score}, *s.score,
                    fmt::format("（指标值 {}，实际完成 {}，分值 {}）", target, actual, weight.raw),
                    shortfall && !declared ? "本表未规定未达标时如何计分，" + basis : basis);
      } else if (!agrees) {
        const bool error = !shortfall || declared;
        Finding& f = add("score.indicator", error ? Severity::kError : Severity::kWarning, rr.key,
                         ind.score);
        set_numbers(f, stated.present ? stated.raw : "", stated.value, *s.score,
                    ColumnType::kScore);
        const std::string stated_text = stated.present ? stated.raw : "空白";
        if (error) {
          f.message = fmt::format(
              "{}：指标「{}」（指标值 {}，实际完成 {}，分值 {}）得分填报 {}，{}，应为 {} 分。",
              report_title(), name, target, actual, weight.raw, stated_text, basis,
              s.score->to_string());
        } else {
          f.message = fmt::format(
              "{}：指标「{}」（指标值 {}，实际完成 {}，分值 {}）得分填报 {}；本表未规定未达标时"
              "如何计分，{}，应为 {} 分。请按本地区的计分规则核对。",
              report_title(), name, target, actual, weight.raw, stated_text, basis,
              s.score->to_string());
        }
      }
      if (!ind.deviation.empty() && s.deviation) {
        const Num dev = read(report_, *form_, rr.key, ind.deviation);
        if (!dev.present) continue;
        const bool ok = agrees_at_stated_precision(dev.value, *s.deviation) ||
                        (s.zero_deviation_accepted && dev.value.is_zero());
        if (ok) continue;
        Finding& f = add("score.deviation", Severity::kError, rr.key, ind.deviation);
        set_numbers(f, dev.raw, dev.value, *s.deviation, ColumnType::kScore);
        f.message = fmt::format(
            "{}：指标「{}」偏差度填报 {}，按（实际完成值 − 年度指标值）÷ 年度指标值 × 100 "
            "计算应为 {}（指标值 {}，实际完成 {}）{}。",
            report_title(), name, dev.raw, s.deviation->to_string(), target, actual,
            s.zero_deviation_accepted ? "；已达到目标时也可填 0.00" : "");
      }
    }
  }

  // The printed 评分标准 as a rule definition: its full marks and its bands.
  void check_standard(const std::string& row, const std::string& standard, const Num& weight) {
    if (standard.empty()) return;
    const std::string col = form_->scoring.indicators->standard_text;
    for (const StandardTextIssue& issue : check_standard_text(standard, weight.value)) {
      Finding& f = add("score.standard_text", Severity::kWarning, row, col);
      const std::string name = row_label(*form_, report_, row);
      switch (issue.kind) {
        case StandardTextIssue::Kind::kFullMarks:
          f.stated = issue.named;
          f.expected = weight.raw;
          f.message = fmt::format(
              "{}：指标「{}」的评分标准“{}”写明最高得 {} 分，但该指标分值为 {} "
              "分。请核对评分标准或分值。",
              report_title(), name, standard, issue.named, weight.raw);
          break;
        case StandardTextIssue::Kind::kGap:
          f.message = fmt::format(
              "{}：指标「{}」的评分标准“{}”在 {} 与 {} 之间没有规定得分（各档之间有空档）。"
              "请补全评分档次。",
              report_title(), name, standard, issue.from, issue.to);
          break;
        case StandardTextIssue::Kind::kOverlap:
          f.message = fmt::format(
              "{}：指标「{}」的评分标准“{}”中各档在 {}{} 处重叠，同一数值可落入两档。"
              "请核对评分档次。",
              report_title(), name, standard, issue.from, issue.to.empty() ? "" : "–" + issue.to);
          break;
      }
    }
  }

  std::string basis_text(const IndicatorScore& s, const std::string& target,
                         const std::string& actual, const Num& weight) const {
    (void)target;
    (void)actual;
    switch (s.basis) {
      case IndicatorScore::Basis::kMet:
        return "已达到指标值，应得满分";
      case IndicatorScore::Basis::kProportional:
        return fmt::format("未达到指标值，按比例计分：分值 {} × 实际完成值 ÷ 指标值", weight.raw);
      case IndicatorScore::Basis::kReverse:
        return fmt::format("超出反向指标上限，按比例计分：分值 {} × 指标值 ÷ 实际完成值",
                           weight.raw);
      case IndicatorScore::Basis::kQualitativeRate:
        return fmt::format("定性指标按完成程度计分：分值 {} × 完成率", weight.raw);
      case IndicatorScore::Basis::kManual:
        break;
    }
    return "";
  }

  void score_by_standard(const StandardRule& rule, const std::string& row, const Num& weight,
                         const Num& stated, ScoreSummary& summary) {
    const Num input = read(report_, *form_, row, rule.input_column);
    const std::string label = row_label(*form_, report_, row);
    if (!input.present) {
      ++summary.by_hand;  // the measured value the standard needs was not entered
      summary.items.push_back(
          {row, label, "评分标准", "", weight.raw, stated.raw, std::nullopt, true});
      return;
    }
    ++summary.recomputed;
    const Decimal expected = apply_standard(rule, weight.value, input.value).rounded(2);
    const bool agrees = stated.present && agrees_at_stated_precision(stated.value, expected);
    summary.items.push_back(
        {row, label, "评分标准", input.raw, weight.raw, stated.raw, expected, agrees});
    if (agrees) return;
    const std::string col = form_->scoring.indicators->score;
    if (!stated.present) {
      offer_score("score.standard", {report_, form_, row, col}, expected,
                  fmt::format("（实际值 {}）", input.raw), "按评分标准");
      return;
    }
    Finding& f = add("score.standard", Severity::kError, row, col);
    set_numbers(f, stated.present ? stated.raw : "", stated.value, expected, ColumnType::kScore);
    f.message = fmt::format("{}：指标「{}」按评分标准，实际值 {} 应得 {} 分，填报 {} 分。",
                            report_title(), row_label(*form_, report_, row), input.raw,
                            expected.to_string(), stated.raw);
  }

  const std::vector<Report>& reports_;
  const Catalog& catalog_;
  const CheckOptions& options_;
  std::map<ReportKey, const Report*> by_key_;
  const Report* report_ = nullptr;
  const FormTemplate* form_ = nullptr;
  MoneyUnit unit_ = MoneyUnit::kWanYuan;  // the report's 金额单位
  CheckResult result_;
};

}  // namespace

size_t CheckResult::errors() const {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(), [](const Finding& f) {
    return f.severity == Severity::kError;
  }));
}

size_t CheckResult::warnings() const {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(), [](const Finding& f) {
    return f.severity == Severity::kWarning;
  }));
}

size_t CheckResult::notices() const {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(), [](const Finding& f) {
    return f.severity == Severity::kNotice;
  }));
}

CheckResult check_reports(const std::vector<Report>& reports, const Catalog& catalog,
                          const CheckOptions& options) {
  return Checker(reports, catalog, options).run();
}

std::map<ReportKey, FindingCounts> counts_by_report(const CheckResult& result) {
  std::map<ReportKey, FindingCounts> out;
  for (const auto& f : result.findings) {
    FindingCounts& c = out[f.report];
    switch (f.severity) {
      case Severity::kError:
        ++c.errors;
        break;
      case Severity::kWarning:
        ++c.warnings;
        break;
      case Severity::kNotice:
        ++c.notices;
        break;
    }
  }
  return out;
}

}  // namespace budgetsync
