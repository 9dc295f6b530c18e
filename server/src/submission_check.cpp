#include "server/submission_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "shared/check.h"
#include "shared/money.h"
#include "shared/report.h"
#include "sync/report_info.h"

namespace budgetsync::server {

Result<Report> stored_report(sync::ServerStore& store, const Catalog& catalog,
                             const ReportKey& key) {
  const FormTemplate* form = catalog.form_for_year(key.form, key.year);
  if (!form) {
    return Status::NotFound(fmt::format(
        "报表 {} 用的表样 {} 本服务器没有；请安装表样，或用 --forms 指定表样目录启动服务器",
        key.to_string(), key.form));
  }
  BS_ASSIGN_OR_RETURN(info_text, store.report_info(key));
  Report r;
  r.key = key;
  r.template_version = form->version;
  if (info_text) {
    // The document's own 金额单位 and the cells its source cut off, as the
    // import that made the report stated them.
    auto info = sync::parse_report_info(*info_text);
    if (!info.ok()) {
      return Status::Corruption(fmt::format("report {}: its report_info is unreadable ({})",
                                            key.to_string(), info.status().message()));
    }
    r.unit_name = info->unit_name;
    r.source = info->source;
    if (!info->money_unit.empty()) {
      auto unit = parse_money_unit(info->money_unit);
      if (!unit.ok()) return unit.status();
      r.money_unit = *unit;
    }
    // Marks this form cannot read are not honoured: every cell is judged.
    if (!info->not_in_source.empty()) {
      if (auto marks = parse_not_in_source(info->not_in_source, *form); marks.ok())
        r.not_in_source = std::move(*marks);
    }
  }
  const MoneyUnit unit = r.unit_in(*form);
  BS_ASSIGN_OR_RETURN(cells, store.report_cells(key));
  std::map<std::string, size_t> section_rank;
  for (size_t i = 0; i < form->sections.size(); ++i) section_rank[form->sections[i].key] = i;
  struct Placed {
    size_t section = 0;
    std::string sort;
    ReportRow row;
  };
  std::map<std::string, Placed> rows;
  for (const auto& c : cells) {
    auto [it, fresh] = rows.try_emplace(c.row);
    Placed& p = it->second;
    if (fresh) {
      const Section* sec =
          !c.section.empty() ? form->section(c.section) : form->section_for_row(c.row);
      if (!sec) {
        return Status::Corruption(fmt::format("report {}: row {} belongs to no section of form {}",
                                              key.to_string(), c.row, key.form));
      }
      p.row.key = c.row;
      p.row.section = sec->key;
      p.section = section_rank[sec->key];
      p.sort = c.sort_key.empty() ? c.row : c.sort_key;
    }
    const Section* sec = form->section(p.row.section);
    const Column* col = sec->column(c.column);
    if (!col) {
      return Status::Corruption(fmt::format("report {}: column {} is not in section {}",
                                            key.to_string(), c.column, sec->key));
    }
    auto v = parse_cell(*c.cell.value, col->type, unit);
    if (!v.ok()) {
      return Status::Corruption(fmt::format("report {}: the value of {}:{} is unreadable ({})",
                                            key.to_string(), c.row, c.column,
                                            v.status().message()));
    }
    p.row.cells.insert_or_assign(c.column, ReportCell{*c.cell.value, std::move(*v)});
  }
  std::vector<Placed> ordered;
  for (auto& [k, p] : rows) ordered.push_back(std::move(p));
  std::sort(ordered.begin(), ordered.end(), [](const Placed& a, const Placed& b) {
    return std::tie(a.section, a.sort) < std::tie(b.section, b.sort);
  });
  for (auto& p : ordered) r.rows.push_back(std::move(p.row));
  r.reindex();
  // The marks are the importing client's word that its source lacks those
  // cells: honoured only while every cell they cover is blank, so no mark
  // takes a filled cell out of the check.
  const bool covers_a_value = std::any_of(r.rows.begin(), r.rows.end(), [&](const ReportRow& row) {
    return std::any_of(row.cells.begin(), row.cells.end(), [&](const auto& cell) {
      return r.not_in_source.covers(*form, row.section, row.key, cell.first);
    });
  });
  if (covers_a_value) r.not_in_source = {};
  return r;
}

sync::SubmissionCheck validation_gate(sync::ServerStore& store, const Catalog& catalog) {
  return [&store, &catalog](const ReportKey& key) -> std::optional<sync::Refusal> {
    auto keys = store.unit_reports(key.unit, key.year);
    if (!keys.ok()) return sync::refuse(sync::RejectCode::kServerError, keys.status().message());
    if (std::find(keys->begin(), keys->end(), key) == keys->end()) keys->push_back(key);
    std::vector<Report> reports;
    for (const auto& k : *keys) {
      if (!catalog.form(k.form)) continue;  // another form's rules cannot be run here
      auto r = stored_report(store, catalog, k);
      if (!r.ok()) {
        if (k == key)
          return sync::refuse(sync::RejectCode::kValidationFailed, r.status().message());
        continue;
      }
      reports.push_back(std::move(*r));
    }
    const CheckResult result = check_reports(reports, catalog);
    std::vector<const Finding*> errors;
    for (const auto& f : result.findings) {
      if (f.report == key && f.severity == Severity::kError) errors.push_back(&f);
    }
    if (errors.empty()) return std::nullopt;
    std::string text = fmt::format("{} error{} in report {}", errors.size(),
                                   errors.size() == 1 ? "" : "s", key.to_string());
    for (size_t i = 0; i < errors.size() && i < 3; ++i) {
      const Finding& f = *errors[i];
      text += fmt::format("; {} {}:{} ({} {}) is {}, expected {}", f.rule_id, f.row, f.column,
                          f.row_label, f.column_label, f.stated.empty() ? "blank" : f.stated,
                          f.expected);
    }
    if (errors.size() > 3) text += fmt::format("; and {} more", errors.size() - 3);
    return sync::refuse(sync::RejectCode::kValidationFailed, text);
  };
}

}  // namespace budgetsync::server
