#include "client/paper_layout.h"

#include <algorithm>

#include "shared/code_list.h"
#include "shared/text.h"

namespace budgetsync::client {
namespace {

// Where a row goes among a section's rows, as the replica places new ones:
// the first fixed row (合计), then codes and added rows, then the other fixed
// rows in the form's order.
std::pair<int, size_t> row_rank(const Section& section, const std::string& key) {
  for (size_t i = 0; i < section.rows.size(); ++i) {
    if (section.rows[i].key == key) return {i == 0 ? 0 : 2, i};
  }
  return {1, 0};
}

bool has_amounts(const FormTemplate& form) {
  for (const auto& s : form.sections) {
    for (const auto& c : s.columns) {
      if (c.type == ColumnType::kAmount) return true;
    }
  }
  return false;
}

// 类 flush left, 款 and 项 under it, as the printed tables do.
int code_depth(std::string_view code) {
  return code.size() <= 3 ? 0 : (code.size() <= 5 ? 1 : 2);
}

PaperPart part_of(const Report& report, const Catalog& catalog, const Section& section,
                  std::deque<ReportRow>& blanks) {
  PaperPart part;
  part.section = &section;
  part.title = section.title;
  const bool coded = !section.code_list.empty();
  const bool any_line_no = std::any_of(section.rows.begin(), section.rows.end(),
                                       [](const RowDef& r) { return !r.line_no.empty(); });
  part.columns.push_back({PaperColumnKind::kRowKey, nullptr, "行键", "", ""});
  if (coded) part.columns.push_back({PaperColumnKind::kCode, nullptr, "科目编码", "", ""});
  if (section.label_column.empty() && (coded || !section.rows.empty()))
    part.columns.push_back({PaperColumnKind::kLabel, nullptr, coded ? "科目名称" : "项目", "", ""});
  if (any_line_no) part.columns.push_back({PaperColumnKind::kLineNo, nullptr, "行次", "", ""});
  for (const auto& c : section.columns) {
    PaperColumn pc{PaperColumnKind::kCell, &c, c.label, c.group, c.col_no};
    if (!c.group.empty() && c.label.size() > c.group.size() && c.label.rfind(c.group, 0) == 0)
      pc.heading = c.label.substr(c.group.size());
    part.columns.push_back(std::move(pc));
  }
  const CodeList* codes = coded ? catalog.code_list(section.code_list, report.key.year) : nullptr;
  for (const ReportRow* r : rows_to_show(report, section, blanks)) {
    PaperRow pr;
    pr.row = r;
    if (const RowDef* def = section.row(r->key)) {
      pr.label = def->label;
      pr.indent = def->indent;
      pr.line_no = def->line_no;
      if (coded) pr.code = def->label;
    } else if (coded) {
      pr.code = r->key;
      pr.indent = code_depth(r->key);
      if (codes) {
        if (const CodeEntry* e = codes->find(r->key)) pr.label = e->name;
      }
    }
    part.rows.push_back(std::move(pr));
  }
  return part;
}

}  // namespace

bool PaperPart::grouped() const {
  return std::any_of(columns.begin(), columns.end(),
                     [](const PaperColumn& c) { return !c.group.empty(); });
}

bool PaperPart::numbered() const {
  return std::any_of(columns.begin(), columns.end(),
                     [](const PaperColumn& c) { return !c.col_no.empty(); });
}

size_t PaperBand::body_rows() const {
  size_t n = 0;
  for (const auto& p : parts) n = std::max(n, p.rows.size());
  return n;
}

std::vector<const ReportRow*> rows_to_show(const Report& report, const Section& section,
                                           std::deque<ReportRow>& blanks) {
  std::vector<const ReportRow*> rows;
  for (const auto& r : report.rows) {
    if (r.section == section.key) rows.push_back(&r);
  }
  for (const auto& def : section.rows) {
    if (report.row(def.key)) continue;
    blanks.push_back(ReportRow{def.key, section.key, {}});
    const auto mine = row_rank(section, def.key);
    auto at = std::find_if(rows.begin(), rows.end(),
                           [&](const ReportRow* r) { return row_rank(section, r->key) > mine; });
    rows.insert(at, &blanks.back());
  }
  return rows;
}

PaperLayout paper_layout(const Report& report, const FormTemplate& form, const Catalog& catalog) {
  PaperLayout layout;
  layout.title = form.display_name();
  if (const ReportCell* c = report.cell("header", "name"); c && !trim(c->raw).empty())
    layout.title += "（" + std::string(trim(c->raw)) + "）";
  layout.unit_name = report.unit_name.empty() ? report.key.unit : report.unit_name;
  layout.year = report.key.year;
  if (has_amounts(form)) layout.money_unit = report.unit_in(form);
  for (const auto& section : form.sections) {
    PaperPart part = part_of(report, catalog, section, layout.blank_rows);
    if (!section.print_blocks.empty()) {
      // The section's rows in the blocks the paper prints side by side.
      layout.bands.push_back(PaperBand{});
      std::vector<PaperPart> blocks;
      for (const auto& b : section.print_blocks) {
        PaperPart block = part;
        block.title = b.title;
        block.rows.clear();
        blocks.push_back(std::move(block));
      }
      for (auto& row : part.rows) {
        size_t at = 0;
        for (size_t i = 0; i < section.print_blocks.size(); ++i) {
          const auto& b = section.print_blocks[i];
          const std::string& key = row.row->key;
          const bool mine =
              std::find(b.rows.begin(), b.rows.end(), key) != b.rows.end() ||
              std::any_of(b.codes.begin(), b.codes.end(),
                          [&](const std::string& prefix) { return key.rfind(prefix, 0) == 0; });
          if (mine) {
            at = i;
            break;
          }
        }
        blocks[at].rows.push_back(std::move(row));
      }
      layout.bands.back().parts = std::move(blocks);
      continue;
    }
    if (!section.beside.empty() && !layout.bands.empty()) {
      layout.bands.back().parts.push_back(std::move(part));
    } else {
      layout.bands.push_back(PaperBand{});
      layout.bands.back().parts.push_back(std::move(part));
    }
  }
  for (const auto& band : layout.bands) {
    int width = 0;
    for (const auto& part : band.parts) {
      for (const auto& pc : part.columns) {
        if (pc.kind == PaperColumnKind::kRowKey) continue;
        int w = display_width(pc.heading);
        for (const auto& pr : part.rows) {
          switch (pc.kind) {
            case PaperColumnKind::kCode:
              w = std::max(w, display_width(pr.code) + 2 * pr.indent);
              break;
            case PaperColumnKind::kLabel:
              w = std::max(w, display_width(pr.label) + 2 * pr.indent);
              break;
            case PaperColumnKind::kLineNo:
              w = std::max(w, display_width(pr.line_no));
              break;
            case PaperColumnKind::kCell:
              if (auto it = pr.row->cells.find(pc.column->key); it != pr.row->cells.end())
                w = std::max(w, display_width(trim(it->second.raw)));
              break;
            case PaperColumnKind::kRowKey:
              break;
          }
        }
        width += std::clamp(w + 2, 8, 48);
      }
    }
    layout.wide = layout.wide || width > 100;
  }
  return layout;
}

}  // namespace budgetsync::client
