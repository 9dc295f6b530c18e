#include "shared/consolidate.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "shared/check.h"

namespace budgetsync {
namespace {

bool additive(ColumnType t) {
  return t == ColumnType::kAmount || t == ColumnType::kNumber;
}

// Rule kinds whose target is computed from cells of the same report.
bool derives_within_form(RuleKind k) {
  return k == RuleKind::kSum || k == RuleKind::kComposition || k == RuleKind::kHierarchy ||
         k == RuleKind::kRate;
}

const Rule* rule_by_id(const FormTemplate& form, const std::string& id) {
  for (const auto& r : form.rules) {
    if (r.id == id || form.id + "." + r.id == id) return &r;
  }
  return nullptr;
}

// Put in every rate cell before the rules run: no real rate has this value,
// so each rate a rule can compute shows up as a mismatch and is replaced.
constexpr std::string_view kRatePlaceholder = "-999999.99";

}  // namespace

Result<Consolidated> consolidate(const std::vector<const Report*>& sources, const ReportKey& target,
                                 const Catalog& catalog) {
  if (sources.empty()) return Status::InvalidArgument("nothing to consolidate: no source reports");
  const FormTemplate* form = catalog.form(target.form);
  if (!form) return Status::NotFound(fmt::format("form {} is not known", target.form));
  Consolidated out;
  Report& r = out.report;
  r.key = target;
  r.template_version = form->version;

  struct Acc {
    std::optional<Decimal> sum;
    std::string text;
    bool any = false;
  };
  std::map<std::string, size_t> row_index;
  std::vector<std::map<std::string, Acc>> accs;
  for (const Report* src : sources) {
    if (src->key.form != target.form) {
      return Status::InvalidArgument(fmt::format("report {} is form {}, not {}",
                                                 src->key.to_string(), src->key.form, target.form));
    }
    for (const auto& row : src->rows) {
      const Section* sec = form->section(row.section);
      if (!sec) continue;
      if (sec->dynamic && !sec->row(row.key)) {
        out.left_out.push_back(fmt::format("{} {}", src->key.unit, row.key));
        continue;
      }
      auto [it, fresh] = row_index.try_emplace(row.key, r.rows.size());
      if (fresh) {
        r.rows.push_back({row.key, row.section, {}});
        accs.emplace_back();
      }
      auto& acc = accs[it->second];
      for (const auto& [col_key, cell] : row.cells) {
        const Column* col = sec->column(col_key);
        if (!col || cell.value.is_blank()) continue;
        Acc& a = acc[col_key];
        if (additive(col->type)) {
          auto n = cell.value.number(form->unit);
          if (!n) continue;  // n/a
          a.sum = a.sum ? *a.sum + *n : *n;
          a.any = true;
        } else if (col->type == ColumnType::kRate || col->type == ColumnType::kScore) {
          a.any = true;  // derived: recomputed below, never summed
        } else if (a.text.empty()) {
          a.text = cell.raw;
          a.any = true;
        }
      }
    }
  }
  for (size_t i = 0; i < r.rows.size(); ++i) {
    ReportRow& row = r.rows[i];
    const Section* sec = form->section(row.section);
    for (const auto& [col_key, a] : accs[i]) {
      const Column* col = sec->column(col_key);
      std::string raw;
      if (additive(col->type)) {
        if (!a.sum) continue;
        raw = a.sum->to_string();
      } else if (col->type == ColumnType::kRate) {
        raw = kRatePlaceholder;
      } else if (col->type == ColumnType::kScore) {
        continue;
      } else {
        raw = a.text;
      }
      auto v = parse_cell(raw, col->type, form->unit);
      if (!v.ok()) return v.status();
      row.cells.insert_or_assign(col_key, ReportCell{raw, std::move(*v)});
    }
  }
  r.reindex();

  // Derived cells take their rules' values. A hierarchy fixes one level per
  // pass (项 before 款 before 类), so repeat until nothing changes.
  std::set<std::string> recomputed;
  for (int pass = 0; pass < 8; ++pass) {
    const CheckResult check = check_reports({r}, catalog);
    bool changed = false;
    for (const auto& f : check.findings) {
      const Rule* rule = rule_by_id(*form, f.rule_id);
      if (!rule || !derives_within_form(rule->kind) || f.row.empty() || f.column.empty()) continue;
      if (!rule->target.form.empty()) continue;
      ReportRow* row = nullptr;
      for (auto& candidate : r.rows) {
        if (candidate.key == f.row) row = &candidate;
      }
      const Section* sec = row ? form->section(row->section) : form->section_for_row(f.row);
      const Column* col = sec ? sec->column(f.column) : nullptr;
      if (!col || f.expected_exact.empty()) continue;
      const std::string raw = f.expected_exact;
      auto v = parse_cell(raw, col->type, form->unit);
      if (!v.ok()) continue;
      if (!row) {
        r.rows.push_back({f.row, sec->key, {}});
        row = &r.rows.back();
      }
      row->cells.insert_or_assign(f.column, ReportCell{raw, std::move(*v)});
      recomputed.insert(f.row + ":" + f.column);
      changed = true;
    }
    r.reindex();
    if (!changed) break;
  }
  // A rate no rule could compute (a zero or missing base) stays blank rather
  // than showing the placeholder.
  for (auto& row : r.rows) {
    std::erase_if(row.cells, [](const auto& kv) { return kv.second.raw == kRatePlaceholder; });
  }
  r.reindex();
  out.recomputed.assign(recomputed.begin(), recomputed.end());
  return out;
}

}  // namespace budgetsync
