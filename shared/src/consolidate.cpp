#include "shared/consolidate.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "shared/check.h"
#include "shared/text.h"

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

// The offset that removes a source's own cell (row, col), for a source that is
// the parent or a child.
const Offset* removing_offset(const FormTemplate& form, const std::string& row,
                              const std::string& col, bool is_parent) {
  for (const auto& o : form.offsets) {
    if (o.amount || o.cell.column != col) continue;
    if (!o.cell.row.empty() && o.cell.row != row) continue;
    if (offset_removes_parent(o.pair, o.side) != is_parent) continue;
    return &o;
  }
  return nullptr;
}

}  // namespace

Result<Consolidated> consolidate(const std::vector<const Report*>& sources, const ReportKey& target,
                                 const Catalog& catalog, const ConsolidateOptions& options) {
  if (sources.empty()) return Status::InvalidArgument("没有可汇总的报表");
  const FormTemplate* form = catalog.form_for_year(target.form, target.year);
  if (!form) return Status::NotFound(fmt::format("不认识的表 {}", target.form));
  if (!options.parent.empty() && std::none_of(sources.begin(), sources.end(), [&](const Report* s) {
        return s->key.unit == options.parent;
      })) {
    return Status::InvalidArgument(
        fmt::format("本级单位 {} 不在 {} 的汇总来源中", options.parent, target.form));
  }
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
  auto acc_for = [&](const std::string& key,
                     const std::string& section) -> std::map<std::string, Acc>& {
    auto [it, fresh] = row_index.try_emplace(key, r.rows.size());
    if (fresh) {
      r.rows.push_back({key, section, {}});
      accs.emplace_back();
    }
    return accs[it->second];
  };
  // Dynamic rows: (section, name) -> the consolidated row's key.
  std::map<std::pair<std::string, std::string>, std::string> dynamic_keys;
  auto key_in_target = [&](const Section& sec, const ReportRow& row) {
    if (!sec.dynamic || sec.row(row.key)) return row.key;
    std::string name;
    if (!sec.label_column.empty()) {
      if (auto it = row.cells.find(sec.label_column); it != row.cells.end()) {
        name = normalize_label(it->second.raw);
      }
    }
    if (name.empty()) name = "\x01" + row.key;  // no name: merged by key
    auto [it, fresh] = dynamic_keys.try_emplace({sec.key, name});
    if (fresh) {
      std::string key = row.key;
      for (int n = 2; row_index.count(key); ++n) key = fmt::format("{}-{}", row.key, n);
      it->second = key;
      row_index.try_emplace(key, r.rows.size());
      r.rows.push_back({key, sec.key, {}});
      accs.emplace_back();
    }
    return it->second;
  };
  const bool offsetting = !options.parent.empty();
  for (const Report* src : sources) {
    if (src->key.form != target.form) {
      return Status::InvalidArgument(fmt::format("报表 {} 是表 {}，不是 {}", src->key.to_string(),
                                                 src->key.form, target.form));
    }
    const bool is_parent = src->key.unit == options.parent;
    for (const auto& row : src->rows) {
      const Section* sec = form->section(row.section);
      if (!sec) continue;
      const std::string key = key_in_target(*sec, row);
      auto& acc = acc_for(key, row.section);
      for (const auto& [col_key, cell] : row.cells) {
        const Column* col = sec->column(col_key);
        if (!col || cell.value.is_blank()) continue;
        Acc& a = acc[col_key];
        if (additive(col->type)) {
          auto n = cell.value.number(form->unit);
          if (!n) continue;  // n/a
          if (const Offset* o =
                  offsetting ? removing_offset(*form, row.key, col_key, is_parent) : nullptr) {
            // Shown as 0 (at the cell's precision), not blank: the amount was offset.
            if (!a.sum) a.sum = *n - *n;
            a.any = true;
            if (!n->is_zero()) {
              out.offsets.push_back({o->pair, o->side, key, col_key, src->key.unit, *n, ""});
            }
            continue;
          }
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
  // Offsets whose amount is read from another cell (another form's).
  for (const auto& o : offsetting ? form->offsets : std::vector<Offset>{}) {
    if (!o.amount) continue;
    const Section* sec = form->section_for_row(o.cell.row);
    if (!sec) continue;
    for (const Report* src : sources) {
      if ((src->key.unit == options.parent) != offset_removes_parent(o.pair, o.side)) continue;
      const Report* from = src;
      if (!o.amount->form.empty()) {
        from = options.other_form ? options.other_form(src->key.unit, o.amount->form) : nullptr;
        if (!from) continue;
      }
      const ReportCell* c = from->cell(o.amount->row, o.amount->column);
      // A money cell is held in 分: read in this form's unit whatever the other's.
      auto n = c ? c->value.number(form->unit) : std::nullopt;
      if (!n || n->is_zero()) continue;
      Acc& a = acc_for(o.cell.row, sec->key)[o.cell.column];
      a.sum = (a.sum ? *a.sum : Decimal()) - *n;
      a.any = true;
      out.offsets.push_back(
          {o.pair, o.side, o.cell.row, o.cell.column, src->key.unit, *n, o.amount->to_string()});
    }
  }
  // Both sides of a pair in single cells of this form: their totals must agree.
  for (OffsetPair pair : {OffsetPair::kSubsidy, OffsetPair::kRemit}) {
    auto declared = [&](OffsetSide side) {
      return std::any_of(form->offsets.begin(), form->offsets.end(), [&](const Offset& o) {
        return o.pair == pair && o.side == side && !o.cell.row.empty();
      });
    };
    if (!offsetting || !declared(OffsetSide::kPaid) || !declared(OffsetSide::kReceived)) continue;
    Decimal paid, received;
    for (const auto& made : out.offsets) {
      if (made.pair != pair) continue;
      const bool single =
          std::any_of(form->offsets.begin(), form->offsets.end(), [&](const Offset& o) {
            return o.pair == pair && o.side == made.side && o.cell.row == made.row &&
                   o.cell.column == made.column;
          });
      if (!single) continue;
      (made.side == OffsetSide::kPaid ? paid : received) += made.amount;
    }
    if (paid != received) out.mismatches.push_back({pair, paid, received});
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
