#include "client/report_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>

#include "client/paper_layout.h"
#include "client/text_table.h"
#include "shared/csv.h"
#include "shared/text.h"

namespace budgetsync::client {
namespace {

constexpr std::string_view kNotInSourceMark = "来源中无";

std::string display_value(const ReportCell* cell, const Column& col, MoneyUnit unit) {
  if (!cell) return "";
  if (col.type == ColumnType::kAmount && cell->value.kind() == CellValue::Kind::kMoney) {
    return cell->value.as_money().format(unit, 2, true);
  }
  return cell->raw;
}

bool is_numeric(ColumnType t) {
  return t == ColumnType::kAmount || t == ColumnType::kRate || t == ColumnType::kScore ||
         t == ColumnType::kNumber;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

bool has_amounts(const FormTemplate& form) {
  for (const auto& s : form.sections) {
    for (const auto& c : s.columns) {
      if (c.type == ColumnType::kAmount) return true;
    }
  }
  return false;
}

std::string heading(const Report& report, const FormTemplate& form) {
  std::string name;
  if (const ReportCell* c = report.cell("header", "name"); c && !c->raw.empty())
    name = "（" + c->raw + "）";
  return fmt::format("{}{}\n{}  {} 年度  {}", form.display_name(), name,
                     report.unit_name.empty() ? report.key.unit : report.unit_name, report.key.year,
                     report.key.to_string());
}

// A cell as shown: its value, or 来源中无 where the source document does not
// have it (a cut-off table, a layout without that row or column).
std::string shown_value(const Report& report, const FormTemplate& form, const Section& section,
                        const ReportRow& row, const Column& col) {
  auto it = row.cells.find(col.key);
  const ReportCell* cell = it == row.cells.end() ? nullptr : &it->second;
  if ((!cell || trim(cell->raw).empty()) &&
      report.not_in_source.covers(form, section.key, row.key, col.key))
    return std::string(kNotInSourceMark);
  return display_value(cell, col, report.unit_in(form));
}

}  // namespace

std::string row_display_label(const Report& report, const FormTemplate& form,
                              const Catalog& catalog, const ReportRow& row) {
  const Section* s = form.section(row.section);
  if (!s) return row.key;
  if (const RowDef* d = s->row(row.key))
    return std::string(static_cast<size_t>(d->indent) * 2, ' ') + d->label;
  if (!s->label_column.empty()) {
    if (auto it = row.cells.find(s->label_column);
        it != row.cells.end() && !it->second.raw.empty()) {
      return it->second.raw;
    }
  }
  if (!s->code_list.empty()) {
    if (const CodeList* codes = catalog.code_list(s->code_list, report.key.year)) {
      if (const CodeEntry* e = codes->find(row.key)) return e->name;
    }
  }
  return "";
}

namespace {

// 类 flush left, 款 and 项 indented under it, as the printed tables do.
std::string indented_label(const ReportRow& row, std::string label) {
  if (!is_classification_code(row.key)) return label;
  const size_t depth = row.key.size() <= 3 ? 0 : (row.key.size() <= 5 ? 1 : 2);
  return std::string(depth * 2, ' ') + label;
}

}  // namespace

std::string render_report_text(const Report& report, const FormTemplate& form,
                               const Catalog& catalog) {
  std::string out =
      heading(report, form) +
      (has_amounts(form) ? fmt::format("  单位：{}", unit_name(report.unit_in(form))) : "") + "\n";
  bool any_computed = false;
  std::deque<ReportRow> blanks;
  for (const auto& section : form.sections) {
    const std::vector<const ReportRow*> rows = rows_to_show(report, section, blanks);
    if (rows.empty() && !section.dynamic) continue;
    out += '\n';
    if (!section.title.empty()) out += fmt::format("【{}】\n", section.title);
    if (rows.empty()) {
      // Nothing to lay out yet: say how to add the first row.
      std::string columns;
      for (const auto& c : section.columns)
        columns += fmt::format("{}{}（{}）", columns.empty() ? "" : "、", c.key, c.label);
      out +=
          fmt::format("（还没有{}；用 budgetsync add-row {} --section {} 栏=值… 添加。栏：{}）\n",
                      section.row_label.empty() ? "行" : section.row_label, report.key.to_string(),
                      section.key, columns);
      continue;
    }
    std::vector<std::string> headers{"行", "项目"};
    std::vector<TextTable::Align> align{TextTable::Align::kLeft, TextTable::Align::kLeft};
    std::vector<const Column*> cols;
    for (const auto& c : section.columns) {
      if (c.key == section.label_column) continue;
      std::string h = c.label;
      if (!c.col_no.empty()) h += "(" + c.col_no + ")";
      if (c.computed) {
        h += "※";
        any_computed = true;
      }
      headers.push_back(h);
      align.push_back(is_numeric(c.type) ? TextTable::Align::kRight : TextTable::Align::kLeft);
      cols.push_back(&c);
    }
    TextTable table(headers, align);
    for (const ReportRow* r : rows) {
      std::vector<std::string> line{
          r->key, indented_label(*r, row_display_label(report, form, catalog, *r))};
      for (const Column* c : cols) line.push_back(shown_value(report, form, section, *r, *c));
      table.add_row(std::move(line));
    }
    out += table.render(40);
  }
  if (any_computed) out += "\n※ 由规则计算的栏：程序会复核，但保留填报值。\n";
  return out;
}

std::string render_report_csv(const Report& report, const FormTemplate& form,
                              const Catalog& catalog) {
  // A report kept in another unit than its form's says so above the header, as
  // the import reads it.
  std::string out =
      report.money_unit ? fmt::format("金额单位：{}\n", unit_name(*report.money_unit)) : "";
  out += "section,row,row_label,column,column_label,value\n";
  for (const auto& row : report.rows) {
    const Section* s = form.section(row.section);
    if (!s) continue;
    const std::string label = row_display_label(report, form, catalog, row);
    for (const auto& c : s->columns) {
      auto it = row.cells.find(c.key);
      if (it == row.cells.end()) continue;
      out += fmt::format("{},{},{},{},{},{}\n", csv_field(s->key), csv_field(row.key),
                         csv_field(std::string(trim(label))), csv_field(c.key), csv_field(c.label),
                         csv_field(it->second.raw));
    }
  }
  return out;
}

namespace {

// A cell as the table-shaped CSV writes it: amounts plain in the report's unit
// (two decimals at least), everything else as entered.
std::string table_csv_value(const Report& report, const FormTemplate& form, const ReportRow& row,
                            const Column& col) {
  auto it = row.cells.find(col.key);
  if (it == row.cells.end()) return "";
  const CellValue& v = it->second.value;
  if (v.kind() == CellValue::Kind::kMoney) {
    Decimal d = v.as_money().in(report.unit_in(form)).normalized();
    return (d.scale() < 2 ? d.rounded(2) : d).to_string();
  }
  return std::string(trim(it->second.raw));
}

}  // namespace

std::string render_report_table_csv(const Report& report, const FormTemplate& form,
                                    const Catalog& catalog) {
  const PaperLayout layout = paper_layout(report, form, catalog);
  std::vector<std::vector<std::string>> lines;
  lines.push_back({layout.title});
  std::vector<std::string> meta{"单位：" + layout.unit_name, fmt::format("{}年度", layout.year)};
  if (layout.money_unit) meta.push_back("金额单位：" + std::string(unit_name(*layout.money_unit)));
  lines.push_back(meta);
  for (const PaperBand& band : layout.bands) {
    lines.emplace_back();  // a blank line before each block
    bool grouped = false, numbered = false;
    for (const auto& p : band.parts) {
      grouped = grouped || p.grouped();
      numbered = numbered || p.numbered();
    }
    if (band.parts.size() == 1 && layout.bands.size() > 1 && !band.parts.front().title.empty())
      lines.push_back({band.parts.front().title});
    std::vector<std::string> top, bottom, numbers;
    std::vector<std::vector<std::string>> body(band.body_rows());
    for (const PaperPart& part : band.parts) {
      for (const PaperColumn& pc : part.columns) {
        if (pc.kind == PaperColumnKind::kRowKey) continue;  // a program's, not a clerk's
        top.push_back(pc.group.empty() ? pc.heading : pc.group);
        bottom.push_back(pc.group.empty() ? "" : pc.heading);
        const bool label = pc.kind == PaperColumnKind::kCode || pc.kind == PaperColumnKind::kLabel;
        numbers.push_back(label ? "栏次" : pc.col_no);
        for (size_t r = 0; r < body.size(); ++r) {
          if (r >= part.rows.size()) {
            body[r].emplace_back();
            continue;
          }
          const PaperRow& pr = part.rows[r];
          switch (pc.kind) {
            case PaperColumnKind::kCode:
              body[r].push_back(pr.code);
              break;
            case PaperColumnKind::kLabel:
              body[r].push_back(pr.label);
              break;
            case PaperColumnKind::kLineNo:
              body[r].push_back(pr.line_no);
              break;
            case PaperColumnKind::kCell:
              body[r].push_back(table_csv_value(report, form, *pr.row, *pc.column));
              break;
            case PaperColumnKind::kRowKey:
              break;
          }
        }
      }
    }
    lines.push_back(top);
    if (grouped) lines.push_back(bottom);
    if (numbered) lines.push_back(numbers);
    for (auto& b : body) lines.push_back(std::move(b));
  }
  std::string out = "\xEF\xBB\xBF";
  for (const auto& line : lines) {
    for (size_t i = 0; i < line.size(); ++i) out += (i ? "," : "") + csv_field(line[i]);
    out += "\r\n";
  }
  return out;
}

namespace {

// A cell of the printed page: its value, or nothing (a shaded cell) where the
// source document does not have it.
std::string printed_value(const Report& report, const FormTemplate& form, const Section& section,
                          const ReportRow& row, const Column& col) {
  const std::string v = shown_value(report, form, section, row, col);
  return v == kNotInSourceMark ? "" : v;
}

// Down a self-evaluation's indicator block, a blank 一级/二级指标 under a filled
// one continues it, as the printed table merges it: how many rows each cell
// spans (0: covered by the one above).
std::vector<int> row_spans(const PaperPart& part, const Column& col) {
  std::vector<int> spans(part.rows.size(), 1);
  const Section& s = *part.section;
  if (!s.dynamic || s.label_column.empty() || col.key == s.label_column ||
      col.type != ColumnType::kText)
    return spans;
  // Only the text columns before the label column (一级, 二级 before 三级).
  for (const auto& c : s.columns) {
    if (c.key == s.label_column) return spans;
    if (c.key == col.key) break;
  }
  auto blank = [&](const PaperRow& r) {
    auto it = r.row->cells.find(col.key);
    return it == r.row->cells.end() || trim(it->second.raw).empty();
  };
  for (size_t i = 0; i < part.rows.size(); ++i) {
    if (spans[i] == 0 || blank(part.rows[i])) continue;
    size_t j = i + 1;
    while (j < part.rows.size() && blank(part.rows[j])) {
      spans[j] = 0;
      ++j;
    }
    spans[i] = static_cast<int>(j - i);
  }
  return spans;
}

}  // namespace

std::string render_report_html(const Report& report, const FormTemplate& form,
                               const Catalog& catalog) {
  const PaperLayout layout = paper_layout(report, form, catalog);
  const std::string unit_line =
      fmt::format("<span>单位：{}</span><span>{} 年度</span><span>{}</span>",
                  html_escape(layout.unit_name), layout.year,
                  layout.money_unit ? "金额单位：" + std::string(unit_name(*layout.money_unit))
                                    : std::string());
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>{0}</title>\n<style>\n"
      "@page{{size:A4 {1};margin:12mm 10mm 14mm 10mm;"
      "@bottom-center{{content:\"第 \" counter(page) \" 页 共 \" counter(pages) \" 页\";"
      "font-size:9pt}}}}\n"
      "body{{font-family:\"Noto Serif CJK SC\",\"Songti SC\",SimSun,serif;margin:2em;"
      "font-size:10.5pt}}\n"
      "h1{{text-align:center;font-size:16pt;margin:0 0 .3em}}\n"
      "table{{border-collapse:collapse;width:100%;margin-bottom:1.2em;page-break-inside:auto}}\n"
      "th,td{{border:1px solid #000;padding:.2em .35em;font-size:9.5pt}}\n"
      "th{{background:#f2f2f2;font-weight:bold;text-align:center}}\n"
      "thead tr.meta th{{border:none;background:none;font-weight:normal;padding:0 0 .3em}}\n"
      ".meta div{{display:flex;justify-content:space-between}}\n"
      "tr{{page-break-inside:avoid}}\n"
      "td.num{{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}}\n"
      "td.no,th.no{{text-align:center;white-space:nowrap}}\n"
      "td.absent{{background:#d9d9d9}}\n"
      "caption{{text-align:left;font-weight:bold;padding:.3em 0}}\n"
      "@media print{{body{{margin:0}} th{{background:none}}}}\n</style>\n</head>\n<body>\n"
      "<h1>{0}</h1>\n",
      html_escape(layout.title), layout.wide ? "landscape" : "portrait");
  for (const PaperBand& band : layout.bands) {
    bool grouped = false, numbered = false;
    int width = 0;
    for (const auto& p : band.parts) {
      grouped = grouped || p.grouped();
      numbered = numbered || p.numbered();
      for (const auto& c : p.columns) width += c.kind != PaperColumnKind::kRowKey;
    }
    const bool side_by_side = band.parts.size() > 1;
    out += "<table>\n";
    if (!side_by_side && layout.bands.size() > 1 && !band.parts.front().title.empty())
      out += "<caption>" + html_escape(band.parts.front().title) + "</caption>\n";
    // The 单位 / 年度 / 金额单位 line heads every table, so every printed page has it.
    out += fmt::format("<thead>\n<tr class=\"meta\"><th colspan=\"{}\"><div>{}</div></th></tr>\n",
                       width, unit_line);
    if (side_by_side) {
      out += "<tr>";
      for (const auto& p : band.parts) {
        int n = 0;
        for (const auto& c : p.columns) n += c.kind != PaperColumnKind::kRowKey;
        out += fmt::format("<th colspan=\"{}\">{}</th>", n, html_escape(p.title));
      }
      out += "</tr>\n";
    }
    std::string top = "<tr>", bottom = "<tr>", numbers = "<tr>";
    for (const auto& p : band.parts) {
      for (size_t i = 0; i < p.columns.size(); ++i) {
        const PaperColumn& pc = p.columns[i];
        if (pc.kind == PaperColumnKind::kRowKey) continue;
        if (!pc.group.empty()) {
          if (i == 0 || p.columns[i - 1].group != pc.group) {
            size_t j = i;
            while (j + 1 < p.columns.size() && p.columns[j + 1].group == pc.group) ++j;
            top += fmt::format("<th colspan=\"{}\">{}</th>", j - i + 1, html_escape(pc.group));
          }
          bottom += "<th>" + html_escape(pc.heading) + "</th>";
        } else {
          top += fmt::format("<th{}>{}</th>", grouped ? " rowspan=\"2\"" : "",
                             html_escape(pc.heading));
        }
        const bool label = pc.kind == PaperColumnKind::kCode || pc.kind == PaperColumnKind::kLabel;
        numbers += fmt::format("<th class=\"no\">{}</th>", label ? "栏次" : html_escape(pc.col_no));
      }
    }
    out += top + "</tr>\n";
    if (grouped) out += bottom + "</tr>\n";
    if (numbered) out += numbers + "</tr>\n";
    out += "</thead>\n<tbody>\n";
    // Spans of the merged indicator cells, per part and column.
    std::vector<std::vector<std::vector<int>>> spans(band.parts.size());
    for (size_t pi = 0; pi < band.parts.size(); ++pi) {
      for (const auto& pc : band.parts[pi].columns) {
        spans[pi].push_back(pc.column ? row_spans(band.parts[pi], *pc.column)
                                      : std::vector<int>(band.parts[pi].rows.size(), 1));
      }
    }
    for (size_t r = 0; r < band.body_rows(); ++r) {
      out += "<tr>";
      for (size_t pi = 0; pi < band.parts.size(); ++pi) {
        const PaperPart& p = band.parts[pi];
        for (size_t ci = 0; ci < p.columns.size(); ++ci) {
          const PaperColumn& pc = p.columns[ci];
          if (pc.kind == PaperColumnKind::kRowKey) continue;
          if (r >= p.rows.size()) {
            out += "<td></td>";
            continue;
          }
          const PaperRow& pr = p.rows[r];
          switch (pc.kind) {
            case PaperColumnKind::kCode:
              out += fmt::format("<td style=\"padding-left:{}em\">{}</td>", 0.35 + pr.indent,
                                 html_escape(pr.code));
              break;
            case PaperColumnKind::kLabel:
              out += fmt::format("<td style=\"padding-left:{}em\">{}</td>", 0.35 + pr.indent,
                                 html_escape(pr.label));
              break;
            case PaperColumnKind::kLineNo:
              out += "<td class=\"no\">" + html_escape(pr.line_no) + "</td>";
              break;
            case PaperColumnKind::kCell: {
              const int span = spans[pi][ci][r];
              if (span == 0) break;
              const Column& col = *pc.column;
              const std::string v = printed_value(report, form, *p.section, *pr.row, col);
              const bool absent = v.empty() && report.not_in_source.covers(form, p.section->key,
                                                                           pr.row->key, col.key);
              std::string cls = is_numeric(col.type) ? "num" : "";
              if (absent) cls += cls.empty() ? "absent" : " absent";
              out += "<td";
              if (!cls.empty()) out += " class=\"" + cls + "\"";
              if (span > 1) out += fmt::format(" rowspan=\"{}\"", span);
              out += ">" + html_escape(v) + "</td>";
              break;
            }
            case PaperColumnKind::kRowKey:
              break;
          }
        }
      }
      out += "</tr>\n";
    }
    out += "</tbody>\n</table>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

std::string render_report_json(const Report& report) {
  nlohmann::ordered_json doc;
  doc["format"] = "budgetsync-report/1";
  doc["unit"] = report.key.unit;
  doc["unit_name"] = report.unit_name;
  doc["year"] = report.key.year;
  doc["form"] = report.key.form;
  if (!report.key.instance.empty()) doc["instance"] = report.key.instance;
  doc["template_version"] = report.template_version;
  if (!report.source.empty()) doc["source"] = report.source;
  if (report.money_unit) doc["money_unit"] = std::string(unit_name(*report.money_unit));
  if (!report.not_in_source.empty())
    doc["not_in_source"] =
        nlohmann::ordered_json::parse(encode_not_in_source(report.not_in_source));
  doc["rows"] = nlohmann::ordered_json::array();
  for (const auto& row : report.rows) {
    nlohmann::ordered_json r;
    r["key"] = row.key;
    r["section"] = row.section;
    r["cells"] = nlohmann::ordered_json::object();
    for (const auto& [col, cell] : row.cells) r["cells"][col] = cell.raw;
    doc["rows"].push_back(std::move(r));
  }
  return doc.dump(2) + "\n";
}

Result<Report> parse_report_csv(std::string_view text, std::string_view source,
                                const ReportKey& key, const Catalog& catalog) {
  text = csv_text(text);
  if (Status s = check_csv_utf8(text, source); !s.ok()) return s;
  auto records = split_csv(text, source);
  if (!records.ok()) return records.status();
  if (records->empty()) return Status::InvalidArgument(fmt::format("{}：文件是空的", source));
  // A table's 金额单位 line above the header ("金额单位：元", "单位：万元").
  std::optional<MoneyUnit> money_unit;
  {
    std::string first;
    for (const auto& f : records->front().fields) first += std::string(trim(f));
    for (std::string_view prefix : {"金额单位：", "金额单位:", "单位：", "单位:"}) {
      if (first.rfind(prefix, 0) != 0) continue;
      auto unit = parse_money_unit(trim(std::string_view(first).substr(prefix.size())));
      if (!unit.ok()) {
        return Status::InvalidArgument(
            fmt::format("{}：第 1 行：“{}”没有写明金额单位；请写 金额单位：元 或 金额单位：万元",
                        source, first));
      }
      money_unit = *unit;
      records->erase(records->begin());
      break;
    }
    if (records->empty()) return Status::InvalidArgument(fmt::format("{}：文件没有表头行", source));
  }
  const auto& header = records->front().fields;
  std::map<std::string, size_t> col_index;
  for (size_t i = 0; i < header.size(); ++i) col_index[std::string(trim(header[i]))] = i;
  for (const char* need : {"row", "column", "value"}) {
    if (!col_index.count(need)) {
      return Status::InvalidArgument(
          fmt::format("{}：第 1 行：表头必须有 row、column 和 value 三栏（现有：{}）", source,
                      fmt::join(header, ", ")));
    }
  }
  // Build the import document and let the one report parser check it.
  nlohmann::json doc;
  doc["format"] = "budgetsync-report/1";
  doc["unit"] = key.unit;
  doc["year"] = key.year;
  doc["form"] = key.form;
  if (!key.instance.empty()) doc["instance"] = key.instance;
  doc["source"] = std::string(source);
  if (money_unit) doc["money_unit"] = std::string(unit_name(*money_unit));
  doc["rows"] = nlohmann::json::array();
  std::map<std::string, size_t> row_pos;
  std::map<std::pair<std::string, std::string>, size_t> seen;
  for (size_t r = 1; r < records->size(); ++r) {
    const CsvRecord& rec = (*records)[r];
    auto field = [&](const char* name) -> std::string {
      const size_t i = col_index[name];
      return i < rec.fields.size() ? std::string(trim(rec.fields[i])) : std::string();
    };
    const std::string row = field("row");
    const std::string column = field("column");
    if (row.empty())
      return Status::InvalidArgument(
          fmt::format("{}：第 {} 行：row（行）是空的", source, rec.line));
    if (column.empty())
      return Status::InvalidArgument(
          fmt::format("{}：第 {} 行：column（栏）是空的", source, rec.line));
    if (auto [it, fresh] = seen.emplace(std::pair{row, column}, rec.line); !fresh) {
      return Status::InvalidArgument(fmt::format("{}：第 {} 行：行 {}、栏 {} 已在第 {} 行给出",
                                                 source, rec.line, row, column, it->second));
    }
    auto [it, fresh] = row_pos.emplace(row, doc["rows"].size());
    if (fresh) {
      nlohmann::json jr;
      jr["key"] = row;
      if (col_index.count("section") && !field("section").empty()) jr["section"] = field("section");
      jr["cells"] = nlohmann::json::object();
      doc["rows"].push_back(std::move(jr));
    }
    doc["rows"][it->second]["cells"][column] = field("value");
  }
  // The key and the file name may hold bytes that are not UTF-8 (a file name
  // in GBK): they are shown replaced rather than refused by the JSON writer.
  CellProblem problem;
  auto report = parse_report(doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                             source, catalog, &problem);
  if (!report.ok()) {
    // Point at the CSV line of the cell the parser refused, when it was one cell.
    if (auto at = seen.find({problem.row, problem.column}); at != seen.end()) {
      return Status::InvalidArgument(fmt::format("{}：第 {} 行（行 {}，栏 {}）：{}", source,
                                                 at->second, problem.row, problem.column,
                                                 problem.reason));
    }
    return report.status();
  }
  return report;
}

}  // namespace budgetsync::client
