#include "client/xlsx_export.h"

#include <fmt/format.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "client/findings_view.h"
#include "client/paper_layout.h"
#include "shared/text.h"

namespace budgetsync::client {
namespace fs = std::filesystem;
namespace {

// ---- numbers at the file's edge ------------------------------------------------
//
// A number in an xlsx file is an IEEE double: the format has no other kind. The
// exact decimal is turned into the nearest double here and nowhere else, by
// reading its decimal text (no arithmetic on a double); a reader gets it back
// by rounding to 15 significant digits, Excel's own precision. A value with
// more significant digits than that is written as text, never rounded.
constexpr int kExcelDigits = 15;

int significant_digits(const Decimal& d) {
  std::string s = d.normalized().to_string();
  std::string digits;
  for (char c : s) {
    if (c >= '0' && c <= '9') digits += c;
  }
  const size_t first = digits.find_first_not_of('0');
  return first == std::string::npos ? 1 : static_cast<int>(digits.size() - first);
}

std::optional<double> excel_number(const Decimal& d) {
  if (significant_digits(d) > kExcelDigits) return std::nullopt;
  const std::string text = d.normalized().to_string();
  return std::strtod(text.c_str(), nullptr);
}

// ---- formats ---------------------------------------------------------------------

struct Style {
  bool bold = false;
  bool border = true;
  bool wrap = false;
  bool gray = false;  // not in the source document
  uint8_t align = LXW_ALIGN_NONE;
  uint8_t indent = 0;
  double size = 0;  // 0: the default
  std::string num_format = {};
  bool link = false;
  auto operator<=>(const Style&) const = default;
};

class Formats {
 public:
  explicit Formats(lxw_workbook* wb) : wb_(wb) {}
  lxw_format* get(const Style& s) {
    auto [it, fresh] = cache_.try_emplace(s, nullptr);
    if (!fresh) return it->second;
    lxw_format* f = workbook_add_format(wb_);
    format_set_font_name(f, "宋体");
    if (s.size > 0) format_set_font_size(f, s.size);
    if (s.bold) format_set_bold(f);
    if (s.border) format_set_border(f, LXW_BORDER_THIN);
    if (s.wrap) format_set_text_wrap(f);
    if (s.align != LXW_ALIGN_NONE) format_set_align(f, s.align);
    format_set_align(f, LXW_ALIGN_VERTICAL_CENTER);
    if (s.indent) format_set_indent(f, s.indent);
    if (s.gray) {
      format_set_pattern(f, LXW_PATTERN_SOLID);
      format_set_bg_color(f, 0xD9D9D9);
    }
    if (!s.num_format.empty()) format_set_num_format(f, s.num_format.c_str());
    if (s.link) {
      format_set_font_color(f, LXW_COLOR_BLUE);
      format_set_underline(f, LXW_UNDERLINE_SINGLE);
    }
    it->second = f;
    return f;
  }

 private:
  lxw_workbook* wb_;
  std::map<Style, lxw_format*> cache_;
};

const char* kAmountFormat = "#,##0.00####";

std::string percent_format(int places) {
  return places <= 0 ? "0%"
                     : "0." + std::string(static_cast<size_t>(std::min(places, 6)), '0') + "%";
}

std::string cell_name(int row, int col) {
  char buf[LXW_MAX_CELL_NAME_LENGTH];
  lxw_rowcol_to_cell(buf, static_cast<lxw_row_t>(row), static_cast<lxw_col_t>(col));
  return buf;
}

// Sheet names: at most 31 characters, none of []:*?/\ , unique ignoring case.
std::string sheet_name_base(std::string name) {
  std::string out;
  for (char c : name) {
    if (std::string_view("[]:*?/\\").find(c) != std::string_view::npos) c = '_';
    out += c;
  }
  return out;
}

std::string cut_chars(const std::string& s, size_t chars) {
  size_t n = 0, i = 0;
  while (i < s.size() && n < chars) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    ++n;
  }
  return s.substr(0, std::min(i, s.size()));
}

std::string lower_ascii(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::vector<std::string> sheet_names(const std::vector<const Report*>& reports,
                                     const Catalog& catalog) {
  std::map<std::string, int> per_form;
  std::set<std::pair<std::string, int>> unit_years;
  for (const Report* r : reports) {
    ++per_form[r->key.form];
    unit_years.insert({r->key.unit, r->key.year});
  }
  std::vector<std::string> names;
  std::set<std::string> taken{lower_ascii(kXlsxMetaSheet), lower_ascii(kXlsxFindingsSheet)};
  for (const Report* r : reports) {
    const FormTemplate* form = catalog.form(r->key.form, r->template_version);
    std::string base = form->display_name();
    if (per_form[r->key.form] > 1) {
      // Several of one form: the table and what tells them apart.
      std::string which = r->key.instance;
      if (unit_years.size() > 1)
        which = fmt::format("{}{}{} {}", which, which.empty() ? "" : " ", r->key.unit, r->key.year);
      base = (form->table_no.empty() ? form->title : form->table_no) + " " + which;
    }
    base = std::string(trim(cut_chars(sheet_name_base(base), 31)));
    std::string name = base;
    for (int n = 2; taken.count(lower_ascii(name)); ++n) {
      const std::string suffix = fmt::format("({})", n);
      name = std::string(trim(cut_chars(base, 31 - suffix.size()))) + suffix;
    }
    taken.insert(lower_ascii(name));
    names.push_back(name);
  }
  return names;
}

// ---- one report's sheet --------------------------------------------------------

struct Placed {
  int row = 0;
  int col = 0;
};

struct CellKey {
  std::string row;
  std::string column;
  auto operator<=>(const CellKey&) const = default;
};

class SheetWriter {
 public:
  SheetWriter(lxw_worksheet* ws, Formats& formats, const Report& report, const FormTemplate& form,
              const Catalog& catalog, const std::set<CellKey>& flagged)
      : ws_(ws),
        formats_(formats),
        report_(report),
        form_(form),
        catalog_(catalog),
        flagged_(flagged) {}

  // Returns the number of formulas written.
  size_t write() {
    PaperLayout layout = paper_layout(report_, form_, catalog_);
    // Columns: each band's parts side by side from column 0; the sheet is as
    // wide as its widest band.
    int width = 0;
    for (const auto& band : layout.bands) {
      int w = 0;
      for (const auto& p : band.parts) w += static_cast<int>(p.columns.size());
      width = std::max(width, w);
    }
    widths_.assign(static_cast<size_t>(width), 0);
    hidden_.assign(static_cast<size_t>(width), true);

    int row = 2;
    int frozen_row = -1, frozen_col = 0, header_end = 1;
    for (size_t b = 0; b < layout.bands.size(); ++b) {
      const PaperBand& band = layout.bands[b];
      if (b > 0) ++row;  // a blank line between blocks
      row = write_band(band, row, layout.bands.size() > 1, b == 0 ? &frozen_col : nullptr,
                       b == 0 ? &header_end : nullptr);
      if (b == 0) frozen_row = header_end + 1;
    }
    // Title and the 单位 / 年度 / 金额单位 line over the visible columns.
    int first = 0;
    while (first < width && hidden_[static_cast<size_t>(first)]) ++first;
    const int last = std::max(first, width - 1);
    merge(0, first, 0, last, layout.title,
          {.bold = true, .border = false, .align = LXW_ALIGN_CENTER, .size = 16});
    const std::string unit_text = "单位：" + layout.unit_name;
    const std::string money_text =
        layout.money_unit ? "金额单位：" + std::string(unit_name(*layout.money_unit)) : "";
    const int span = last - first + 1;
    if (span >= 3) {
      const int left_end = first + std::max(0, span / 2 - 1);
      merge(1, first, 1, left_end, unit_text, {.border = false, .align = LXW_ALIGN_LEFT});
      merge(1, left_end + 1, 1, last - 1, fmt::format("{}年度", layout.year),
            {.border = false, .align = LXW_ALIGN_CENTER});
      write_string(1, last, money_text, {.border = false, .align = LXW_ALIGN_RIGHT});
    } else {
      merge(1, first, 1, last,
            fmt::format("{}    {}年度    {}", unit_text, layout.year, money_text),
            {.border = false, .align = LXW_ALIGN_LEFT});
    }
    worksheet_set_row(ws_, 0, 28, nullptr);
    // Widths, the hidden key columns.
    for (int c = 0; c < width; ++c) {
      const auto i = static_cast<size_t>(c);
      if (hidden_[i]) {
        lxw_row_col_options hide{};
        hide.hidden = 1;
        worksheet_set_column_opt(ws_, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c), 10,
                                 nullptr, &hide);
      } else {
        const double w = std::clamp(widths_[i] + 2, 8, 48);
        worksheet_set_column(ws_, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c), w, nullptr);
      }
    }
    // Page: A4, landscape when wide, one page wide, headings on every page,
    // 第 X 页 共 Y 页 at the foot.
    worksheet_set_paper(ws_, 9);
    if (layout.wide) worksheet_set_landscape(ws_);
    worksheet_fit_to_pages(ws_, 1, 0);
    worksheet_center_horizontally(ws_);
    worksheet_set_margins(ws_, 0.5, 0.5, 0.6, 0.6);
    worksheet_repeat_rows(ws_, 0, static_cast<lxw_row_t>(header_end));
    worksheet_set_footer(ws_, "&C第 &P 页 共 &N 页");
    if (frozen_row > 0 && layout.bands.size() == 1)
      worksheet_freeze_panes(ws_, static_cast<lxw_row_t>(frozen_row),
                             static_cast<lxw_col_t>(frozen_col));
    return write_formulas();
  }

  const std::map<CellKey, Placed>& placed() const { return placed_; }

 private:
  void note_width(int col, const std::string& text) {
    auto& w = widths_[static_cast<size_t>(col)];
    w = std::max(w, display_width(text));
  }

  void write_string(int row, int col, const std::string& text, const Style& s) {
    worksheet_write_string(ws_, static_cast<lxw_row_t>(row), static_cast<lxw_col_t>(col),
                           text.c_str(), formats_.get(s));
  }

  void merge(int r1, int c1, int r2, int c2, const std::string& text, const Style& s) {
    if (r1 == r2 && c1 == c2) {
      write_string(r1, c1, text, s);
      return;
    }
    worksheet_merge_range(ws_, static_cast<lxw_row_t>(r1), static_cast<lxw_col_t>(c1),
                          static_cast<lxw_row_t>(r2), static_cast<lxw_col_t>(c2), text.c_str(),
                          formats_.get(s));
  }

  // Writes a band from `row`; returns the row after it.
  int write_band(const PaperBand& band, int row, bool titled, int* frozen_col, int* header_end) {
    const bool any_title = std::any_of(band.parts.begin(), band.parts.end(),
                                       [](const auto& p) { return !p.title.empty(); });
    const bool side_by_side = band.parts.size() > 1;
    const bool title_row = any_title && (titled || side_by_side);
    int heading_rows = 1;
    bool numbered = false;
    for (const auto& p : band.parts) {
      if (p.grouped()) heading_rows = 2;
      numbered = numbered || p.numbered();
    }
    const int head = row + (title_row ? 1 : 0);
    const int body = head + heading_rows + (numbered ? 1 : 0);
    const Style heading{.bold = true, .wrap = true, .align = LXW_ALIGN_CENTER};
    int col = 0;
    for (const auto& part : band.parts) {
      const int first_col = col;
      int first_visible = -1, last_visible = -1;
      for (size_t i = 0; i < part.columns.size(); ++i) {
        const PaperColumn& pc = part.columns[i];
        const int c = col + static_cast<int>(i);
        if (pc.kind == PaperColumnKind::kRowKey) {
          write_string(head, c, pc.heading, {});
          continue;
        }
        hidden_[static_cast<size_t>(c)] = false;
        if (first_visible < 0) first_visible = c;
        last_visible = c;
        if (frozen_col && !side_by_side &&
            (pc.kind == PaperColumnKind::kCode || pc.kind == PaperColumnKind::kLabel ||
             pc.kind == PaperColumnKind::kLineNo))
          *frozen_col = c + 1;
        // Headings: a group over its run of columns, the rest down both rows.
        if (!pc.group.empty()) {
          const bool starts = i == 0 || part.columns[i - 1].group != pc.group;
          if (starts) {
            size_t j = i;
            while (j + 1 < part.columns.size() && part.columns[j + 1].group == pc.group) ++j;
            merge(head, c, head, col + static_cast<int>(j), pc.group, heading);
          }
          write_string(head + 1, c, pc.heading, heading);
        } else {
          merge(head, c, head + heading_rows - 1, c, pc.heading, heading);
        }
        note_width(c, pc.heading);
        if (numbered) {
          const bool label =
              pc.kind == PaperColumnKind::kCode || pc.kind == PaperColumnKind::kLabel;
          write_string(head + heading_rows, c, label ? "栏次" : pc.col_no,
                       {.align = LXW_ALIGN_CENTER});
        }
      }
      if (title_row && first_visible >= 0) {
        // A block's title over the whole sheet's width (a reader knows a title
        // row by its merged cell), side-by-side titles over their own columns.
        const int last = side_by_side
                             ? last_visible
                             : std::max(last_visible, static_cast<int>(widths_.size()) - 1);
        merge(row, first_visible, row, last, part.title,
              side_by_side ? heading : Style{.bold = true, .border = false});
      }
      for (size_t r = 0; r < part.rows.size(); ++r)
        write_body_row(part, part.rows[r], body + static_cast<int>(r), first_col);
      // A shorter part beside a longer one: its remaining rows ruled, empty.
      for (size_t r = part.rows.size(); r < band.body_rows(); ++r) {
        for (size_t i = 0; i < part.columns.size(); ++i) {
          if (part.columns[i].kind == PaperColumnKind::kRowKey) continue;
          worksheet_write_blank(ws_, static_cast<lxw_row_t>(body + static_cast<int>(r)),
                                static_cast<lxw_col_t>(first_col + static_cast<int>(i)),
                                formats_.get({}));
        }
      }
      col += static_cast<int>(part.columns.size());
    }
    if (header_end) *header_end = body - 1;
    return body + static_cast<int>(band.body_rows());
  }

  void write_body_row(const PaperPart& part, const PaperRow& pr, int row, int first_col) {
    const Section& section = *part.section;
    for (size_t i = 0; i < part.columns.size(); ++i) {
      const PaperColumn& pc = part.columns[i];
      const int c = first_col + static_cast<int>(i);
      switch (pc.kind) {
        case PaperColumnKind::kRowKey:
          write_string(row, c, pr.row->key, {.border = false});
          break;
        case PaperColumnKind::kCode:
          write_string(row, c, pr.code, {.align = LXW_ALIGN_LEFT});
          note_width(c, pr.code);
          break;
        case PaperColumnKind::kLabel:
          write_string(row, c, pr.label,
                       {.indent = static_cast<uint8_t>(std::clamp(pr.indent, 0, 6))});
          note_width(c, std::string(static_cast<size_t>(pr.indent) * 2, ' ') + pr.label);
          break;
        case PaperColumnKind::kLineNo:
          write_string(row, c, pr.line_no, {.align = LXW_ALIGN_CENTER});
          break;
        case PaperColumnKind::kCell:
          write_cell(section, *pr.row, *pc.column, row, c);
          break;
      }
    }
  }

  void write_cell(const Section& section, const ReportRow& rr, const Column& col, int row, int c) {
    placed_[{rr.key, col.key}] = {row, c};
    auto it = rr.cells.find(col.key);
    const ReportCell* cell = it == rr.cells.end() ? nullptr : &it->second;
    const auto r = static_cast<lxw_row_t>(row);
    const auto cc = static_cast<lxw_col_t>(c);
    if (!cell || cell->value.is_blank()) {
      const bool absent = report_.not_in_source.covers(form_, section.key, rr.key, col.key);
      worksheet_write_blank(ws_, r, cc, formats_.get({.gray = absent}));
      return;
    }
    const std::string shown = std::string(trim(cell->raw));
    note_width(c, shown);
    const CellValue& v = cell->value;
    const MoneyUnit unit = report_.unit_in(form_);
    if (v.kind() == CellValue::Kind::kMoney) {
      if (auto d = excel_number(v.as_money().in(unit))) {
        worksheet_write_number(ws_, r, cc, *d, formats_.get({.num_format = kAmountFormat}));
        note_width(c, v.as_money().format(unit, 2, true));
        numbers_[{rr.key, col.key}] = v.as_money().in(unit);
        return;
      }
    } else if (v.kind() == CellValue::Kind::kDecimal && col.type == ColumnType::kRate) {
      // A rate is kept in percent points; Excel keeps it as a fraction shown with %.
      const Decimal fraction = Decimal::from_units(
          v.as_decimal().units(), std::min(v.as_decimal().scale() + 2, Decimal::kMaxScale));
      if (v.as_decimal().scale() + 2 <= Decimal::kMaxScale) {
        if (auto d = excel_number(fraction)) {
          worksheet_write_number(
              ws_, r, cc, *d, formats_.get({.num_format = percent_format(v.as_decimal().scale())}));
          numbers_[{rr.key, col.key}] = v.as_decimal();
          return;
        }
      }
    } else if (v.kind() == CellValue::Kind::kDecimal) {
      if (auto d = excel_number(v.as_decimal())) {
        // Shown with the decimals it was written with (得分 10.00, 偏差度 0.00).
        const int places = std::min(v.as_decimal().scale(), 6);
        const std::string num_format =
            places > 0 ? "0." + std::string(static_cast<size_t>(places), '0') : "0";
        worksheet_write_number(ws_, r, cc, *d,
                               formats_.get({.align = LXW_ALIGN_RIGHT, .num_format = num_format}));
        numbers_[{rr.key, col.key}] = v.as_decimal();
        return;
      }
    }
    // Text, 不适用 (—), and a number too long for a double: as written.
    const bool numeric_column = col.type == ColumnType::kAmount || col.type == ColumnType::kRate ||
                                col.type == ColumnType::kScore || col.type == ColumnType::kNumber;
    worksheet_write_string(ws_, r, cc, shown.c_str(),
                           formats_.get({.wrap = !numeric_column && display_width(shown) > 40,
                                         .align = static_cast<uint8_t>(
                                             numeric_column ? LXW_ALIGN_RIGHT : LXW_ALIGN_LEFT)}));
  }

  // A cell a sum, composition or rate rule derives, written as a formula over
  // the cells it derives from, when the stated value is what the formula
  // gives (no finding names the cell): opened in Excel, the number shows
  // without recalculating and follows its parts when they are changed. A cell
  // that disagrees with its rule stays the number the person entered.
  size_t write_formulas() {
    size_t written = 0;
    std::set<CellKey> done;
    for (const Rule& rule : form_.rules) {
      if (rule.kind != RuleKind::kSum && rule.kind != RuleKind::kComposition &&
          rule.kind != RuleKind::kRate)
        continue;
      std::vector<std::string> rows{""};
      if (!rule.for_rows.empty()) {
        rows.clear();
        for (const auto& rr : report_.rows) {
          if (rr.section == rule.for_rows) rows.push_back(rr.key);
        }
      }
      const std::vector<std::string> cols =
          rule.for_columns.empty() ? std::vector<std::string>{""} : rule.for_columns;
      for (const auto& r : rows) {
        for (const auto& c : cols) {
          if (write_formula(rule, r, c, done)) ++written;
        }
      }
    }
    return written;
  }

  std::optional<CellKey> resolve(const CellRef& ref, const std::string& r, const std::string& c) {
    if (!ref.form.empty() || ref.whole_section) return std::nullopt;
    CellKey k{ref.row.empty() ? r : ref.row, ref.column.empty() ? c : ref.column};
    if (k.row.empty() || k.column.empty() || !placed_.count(k)) return std::nullopt;
    return k;
  }

  // A term the formula may read: a number, or a blank Excel counts as 0.
  bool readable(const CellKey& k) const {
    if (numbers_.count(k)) return true;
    const ReportCell* cell = report_.cell(k.row, k.column);
    return !cell || cell->value.is_blank();
  }

  bool write_formula(const Rule& rule, const std::string& r, const std::string& c,
                     std::set<CellKey>& done) {
    auto target = resolve(rule.target, r, c);
    if (!target || done.count(*target) || flagged_.count(*target)) return false;
    auto stated = numbers_.find(*target);
    if (stated == numbers_.end()) return false;
    std::string formula = "=";
    if (rule.kind == RuleKind::kRate) {
      auto num = resolve(rule.numerator, r, c);
      auto den = resolve(rule.denominator, r, c);
      if (!num || !den || !numbers_.count(*num) || !numbers_.count(*den) ||
          numbers_.at(*den).is_zero())
        return false;
      formula += fmt::format("ROUND({}/{},{})", at(*num), at(*den), stated->second.scale() + 2);
    } else {
      if (rule.terms.empty()) return false;
      for (size_t i = 0; i < rule.terms.size(); ++i) {
        auto term = resolve(rule.terms[i], r, c);
        if (!term || !readable(*term) || *term == *target) return false;
        if (rule.terms[i].negate)
          formula += "-";
        else if (i > 0)
          formula += "+";
        formula += at(*term);
      }
    }
    const Placed p = placed_.at(*target);
    const Section* section = form_.section_for_row(target->row);
    if (!section) section = form_.section(report_.row(target->row)->section);
    const Column* col = section ? section->column(target->column) : nullptr;
    Style style{.num_format = kAmountFormat};
    std::optional<double> cached;
    if (col && col->type == ColumnType::kRate) {
      const Decimal& pts = stated->second;
      if (pts.scale() + 2 > Decimal::kMaxScale) return false;
      style = {.num_format = percent_format(pts.scale())};
      cached = excel_number(Decimal::from_units(pts.units(), pts.scale() + 2));
    } else {
      if (col && col->type != ColumnType::kAmount) style = {.align = LXW_ALIGN_RIGHT};
      cached = excel_number(stated->second);
    }
    if (!cached) return false;
    worksheet_write_formula_num(ws_, static_cast<lxw_row_t>(p.row), static_cast<lxw_col_t>(p.col),
                                formula.c_str(), formats_.get(style), *cached);
    done.insert(*target);
    return true;
  }

  std::string at(const CellKey& k) const {
    const Placed& p = placed_.at(k);
    return cell_name(p.row, p.col);
  }

  lxw_worksheet* ws_;
  Formats& formats_;
  const Report& report_;
  const FormTemplate& form_;
  const Catalog& catalog_;
  const std::set<CellKey>& flagged_;
  std::vector<int> widths_;
  std::vector<bool> hidden_;
  std::map<CellKey, Placed> placed_;
  std::map<CellKey, Decimal> numbers_;  // cells written as numbers, in the sheet's unit
};

std::string quoted_sheet(const std::string& name) {
  std::string q = "'";
  for (char c : name) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

struct WorkbookCloser {
  void operator()(lxw_workbook* wb) const { lxw_workbook_free(wb); }
};

}  // namespace

Result<XlsxExportSummary> write_reports_xlsx(const std::vector<const Report*>& reports,
                                             const Catalog& catalog, const CheckResult& checked,
                                             const fs::path& path) {
  for (const Report* r : reports) {
    if (!catalog.form(r->key.form, r->template_version)) {
      return Status::NotFound(fmt::format("{}：没有表样 {}（第 {} 版）", r->key.to_string(),
                                          r->key.form, r->template_version));
    }
  }
  const fs::path tmp = path.string() + ".tmp";
  std::error_code ec;
  fs::remove(tmp, ec);
  lxw_workbook_options options{};
  options.constant_memory = LXW_FALSE;
  std::unique_ptr<lxw_workbook, WorkbookCloser> wb(workbook_new_opt(tmp.c_str(), &options));
  if (!wb) return Status::IoError(fmt::format("{}：无法创建文件", path.string()));
  Formats formats(wb.get());
  XlsxExportSummary summary;

  const std::vector<std::string> names = sheet_names(reports, catalog);
  // Where each cell went, for the findings' links.
  std::map<std::pair<ReportKey, CellKey>, std::pair<size_t, Placed>> where;
  for (size_t i = 0; i < reports.size(); ++i) {
    const Report& report = *reports[i];
    const FormTemplate& form = *catalog.form(report.key.form, report.template_version);
    std::set<CellKey> flagged;
    for (const Finding& f : checked.findings) {
      if (f.report == report.key && !f.row.empty() && !f.column.empty())
        flagged.insert({f.row, f.column});
    }
    lxw_worksheet* ws = workbook_add_worksheet(wb.get(), names[i].c_str());
    if (!ws) return Status::InvalidArgument(fmt::format("无法添加工作表“{}”", names[i]));
    SheetWriter writer(ws, formats, report, form, catalog, flagged);
    summary.formulas += writer.write();
    for (const auto& [k, p] : writer.placed()) where[{report.key, k}] = {i, p};
    ++summary.sheets;
  }

  // 校验结果: every finding about these reports, linked to its cell.
  std::set<ReportKey> exported;
  for (const Report* r : reports) exported.insert(r->key);
  lxw_worksheet* fs_ws = workbook_add_worksheet(wb.get(), kXlsxFindingsSheet);
  const Style head{.bold = true, .wrap = true, .align = LXW_ALIGN_CENTER};
  const std::vector<std::pair<const char*, double>> columns{
      {"严重程度", 9}, {"报表", 28}, {"表", 30},   {"行", 24},   {"栏", 16},
      {"填报数", 14},  {"应为", 14}, {"相差", 12}, {"说明", 80}, {"位置", 24}};
  for (size_t c = 0; c < columns.size(); ++c) {
    worksheet_write_string(fs_ws, 0, static_cast<lxw_col_t>(c), columns[c].first,
                           formats.get(head));
    worksheet_set_column(fs_ws, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c),
                         columns[c].second, nullptr);
  }
  lxw_row_t out = 1;
  for (const Finding& f : checked.findings) {
    if (!exported.count(f.report)) continue;
    const Style plain{.wrap = true};
    const std::vector<std::string> fields{std::string(severity_label(f.severity)),
                                          f.report.to_string(),
                                          f.form_title,
                                          f.row_label.empty() ? f.row : f.row_label,
                                          f.column_label.empty() ? f.column : f.column_label,
                                          f.stated,
                                          f.expected,
                                          f.difference,
                                          f.message};
    for (size_t c = 0; c < fields.size(); ++c)
      worksheet_write_string(fs_ws, out, static_cast<lxw_col_t>(c), fields[c].c_str(),
                             formats.get(plain));
    if (auto it = where.find({f.report, CellKey{f.row, f.column}}); it != where.end()) {
      const auto& [sheet, p] = it->second;
      const std::string target = quoted_sheet(names[sheet]) + "!" + cell_name(p.row, p.col);
      const std::string url = "internal:" + target;
      const std::string shown = names[sheet] + "!" + cell_name(p.row, p.col);
      worksheet_write_url_opt(fs_ws, out, 9, url.c_str(), formats.get({.link = true}),
                              shown.c_str(), nullptr);
    } else {
      worksheet_write_blank(fs_ws, out, 9, formats.get({}));
    }
    ++out;
    ++summary.findings;
  }
  if (summary.findings == 0) worksheet_write_string(fs_ws, 1, 0, "未发现问题。", nullptr);
  worksheet_freeze_panes(fs_ws, 1, 0);
  worksheet_set_paper(fs_ws, 9);
  worksheet_set_landscape(fs_ws);
  worksheet_fit_to_pages(fs_ws, 1, 0);

  // The hidden sheet a reader uses to give back the same reports.
  lxw_worksheet* meta = workbook_add_worksheet(wb.get(), kXlsxMetaSheet);
  worksheet_write_string(meta, 0, 0, kXlsxMetaFormat, nullptr);
  const std::vector<const char*> meta_head{
      "sheet", "report", "unit_name", "template_version", "money_unit", "source", "not_in_source"};
  for (size_t c = 0; c < meta_head.size(); ++c)
    worksheet_write_string(meta, 1, static_cast<lxw_col_t>(c), meta_head[c], nullptr);
  for (size_t i = 0; i < reports.size(); ++i) {
    const Report& r = *reports[i];
    const auto row = static_cast<lxw_row_t>(i + 2);
    const std::vector<std::string> fields{names[i],
                                          r.key.to_string(),
                                          r.unit_name,
                                          std::to_string(r.template_version),
                                          r.money_unit ? std::string(unit_name(*r.money_unit)) : "",
                                          r.source,
                                          encode_not_in_source(r.not_in_source)};
    for (size_t c = 0; c < fields.size(); ++c)
      worksheet_write_string(meta, row, static_cast<lxw_col_t>(c), fields[c].c_str(), nullptr);
  }
  worksheet_hide(meta);

  const lxw_error err = workbook_close(wb.release());
  if (err != LXW_NO_ERROR) {
    fs::remove(tmp, ec);
    return Status::IoError(
        fmt::format("{}：无法写入 Excel 文件（{}）", path.string(), lxw_strerror(err)));
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Status::IoError(fmt::format("{}：无法写入文件：{}", path.string(), ec.message()));
  }
  return summary;
}

}  // namespace budgetsync::client
