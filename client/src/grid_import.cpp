#include "client/grid_import.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "client/xlsx_export.h"
#include "shared/code_list.h"
#include "shared/text.h"

namespace budgetsync::client {
namespace {

using nlohmann::json;

// How many rows above the first heading row may hold the title, 单位, 年度 and
// 金额单位 lines.
constexpr int kPreambleRows = 12;

std::string norm(std::string_view s) {
  return normalize_label(trim(s));
}

std::string cell_text(const GridCell* c) {
  return c ? std::string(trim(c->text)) : "";
}

bool has_text(const GridCell* c) {
  return c && c->kind == GridCell::Kind::kText && !trim(c->text).empty();
}

// The heading of a column under its group: its label without the group's words.
std::string heading_of(const Column& c) {
  if (!c.group.empty() && c.label.size() > c.group.size() && c.label.rfind(c.group, 0) == 0)
    return c.label.substr(c.group.size());
  return c.label;
}

// Headings that name what identifies a row rather than a column of the form.
enum class LabelKind { kNone, kKey, kCode, kLabel, kLineNo };

LabelKind label_kind(const std::string& normalized) {
  static const std::map<std::string, LabelKind> kinds{{"行键", LabelKind::kKey},
                                                      {"科目编码", LabelKind::kCode},
                                                      {"功能分类科目编码", LabelKind::kCode},
                                                      {"经济分类科目编码", LabelKind::kCode},
                                                      {"编码", LabelKind::kCode},
                                                      {"科目代码", LabelKind::kCode},
                                                      {"项目", LabelKind::kLabel},
                                                      {"科目名称", LabelKind::kLabel},
                                                      {"科目", LabelKind::kLabel},
                                                      {"名称", LabelKind::kLabel},
                                                      {"行次", LabelKind::kLineNo},
                                                      {"序号", LabelKind::kLineNo}};
  auto it = kinds.find(normalized);
  return it == kinds.end() ? LabelKind::kNone : it->second;
}

// "2024年度", "（2024年）": the first four-digit year followed by 年.
std::optional<int> year_in(std::string_view s) {
  const std::string t = normalize_numeric_text(s);
  for (size_t i = 0; i + 4 <= t.size(); ++i) {
    if (i > 0 && t[i - 1] >= '0' && t[i - 1] <= '9') continue;
    bool digits = true;
    for (size_t k = 0; k < 4; ++k) digits = digits && t[i + k] >= '0' && t[i + k] <= '9';
    if (!digits) continue;
    if (t.compare(i + 4, std::string("年").size(), "年") != 0) continue;
    const int y = std::stoi(t.substr(i, 4));
    if (y >= 1949 && y <= 9999) return y;
  }
  return std::nullopt;
}

// "金额单位：万元", "单位：元" (and not "单位：内乡县医疗保障局").
std::optional<MoneyUnit> money_unit_in(std::string_view s) {
  const std::string t = normalize_numeric_text(s);  // drops spaces, makes ： into :
  for (size_t at = t.find("单位"); at != std::string::npos; at = t.find("单位", at + 1)) {
    std::string_view rest = std::string_view(t).substr(at + std::string("单位").size());
    if (rest.empty() || rest.front() != ':') continue;
    rest.remove_prefix(1);
    if (rest.rfind("万元", 0) == 0) return MoneyUnit::kWanYuan;
    if (rest.rfind("元", 0) == 0) return MoneyUnit::kYuan;
  }
  return std::nullopt;
}

// A column of the sheet's headings.
struct HeadCol {
  int col = 0;
  std::string top;     // the first heading row's text (a group, merged across)
  std::string bottom;  // the second heading row's, when there are two
  std::string col_no;  // 栏次
  LabelKind kind = LabelKind::kNone;
};

struct Segment {
  int first_col = 0;  // the columns the part spans: [first_col, end_col)
  int end_col = 0;
  int key_col = -1, code_col = -1, label_col = -1, line_col = -1;
  std::vector<const HeadCol*> values;  // headings of the form's columns
  std::vector<const HeadCol*> others;  // headings the form does not have (备注, a block's name)
};

struct RowPlace {
  std::string key;
  const Section* section = nullptr;
};

class SheetReader {
 public:
  SheetReader(const Grid& grid, const GridSheet& sheet, const FormTemplate& form,
              MoneyUnit sheet_unit, MoneyUnit report_unit, std::vector<Unmatched>& unmatched)
      : grid_(grid),
        sheet_(sheet),
        form_(form),
        sheet_unit_(sheet_unit),
        report_unit_(report_unit),
        unmatched_(unmatched) {
    for (const auto& s : form_.sections) {
      for (const auto& c : s.columns) {
        column_words_.insert(norm(c.label));
        column_words_.insert(norm(heading_of(c)));
        if (!c.group.empty()) column_words_.insert(norm(c.group));
      }
    }
  }

  // Reads the sheet's rows into `rows` (the import document's); returns the
  // number of cells with a value. Positions maps (row key, column key) to the
  // cell's address, for messages about a cell.
  Result<size_t> read(json& rows, std::map<std::pair<std::string, std::string>, std::string>& at) {
    size_t cells = 0;
    std::map<std::string, int> row_seen_at;  // key -> the sheet row that gave it
    std::map<std::string, int> dynamic_count;
    std::vector<HeadCol> heads;
    std::vector<Segment> segments;
    std::set<int> reported_columns;
    int r = 0;
    while (r < sheet_.rows) {
      if (is_heading_row(r)) {
        const int first = r;
        const bool two = r + 1 < sheet_.rows && is_heading_row(r + 1) && !is_col_no_row(r + 1);
        r += two ? 2 : 1;
        const int col_no_row = r < sheet_.rows && is_col_no_row(r) ? r : -1;
        if (col_no_row >= 0) ++r;
        heads = read_heads(first, two, col_no_row);
        segments = split(heads);
        reported_columns.clear();
        continue;
      }
      if (segments.empty()) {  // title and preamble lines
        ++r;
        continue;
      }
      if (is_title_row(r)) {  // a block's title, merged across it
        ++r;
        continue;
      }
      for (size_t si = 0; si < segments.size(); ++si) {
        const Segment& seg = segments[si];
        auto place = identify(seg, si, r, dynamic_count);
        if (!place.ok()) return place.status();
        const bool any_value = std::any_of(seg.values.begin(), seg.values.end(),
                                           [&](const HeadCol* h) { return sheet_.at(r, h->col); });
        if (!place->section) {
          if (any_value) {
            const int c = seg.label_col >= 0  ? seg.label_col
                          : seg.code_col >= 0 ? seg.code_col
                                              : seg.values.front()->col;
            unmatched_.push_back({sheet_.name, cell_address(r, c),
                                  fmt::format("第 {} 行{}不是{}的哪一行，没有导入", r + 1,
                                              quoted_label(seg, r), form_.display_name())});
          }
          continue;
        }
        const Section& section = *place->section;
        json cells_obj = json::object();
        for (const HeadCol* h : seg.values) {
          const Column* col = column_for(section, *h);
          const GridCell* cell = sheet_.at(r, h->col);
          if (!col) {
            if (cell && reported_columns.insert(h->col).second) {
              unmatched_.push_back(
                  {sheet_.name, cell_address(r, h->col),
                   fmt::format("“{}”栏不是{}“{}”部分的栏，这一栏没有导入",
                               h->bottom.empty() ? h->top : h->top + h->bottom,
                               form_.display_name(),
                               section.title.empty() ? section.key : section.title)});
            }
            continue;
          }
          if (!cell) continue;
          auto text = cell_value(*cell, *col, r, h->col);
          if (!text.ok()) return text.status();
          if (text->empty()) continue;
          cells_obj[col->key] = *text;
          at[{place->key, col->key}] = cell_address(r, h->col);
          ++cells;
        }
        for (const HeadCol* h : seg.others) {
          const GridCell* cell = sheet_.at(r, h->col);
          if (cell && cell->kind == GridCell::Kind::kNumber &&
              reported_columns.insert(h->col).second) {
            unmatched_.push_back({sheet_.name, cell_address(r, h->col),
                                  fmt::format("“{}”栏不是{}的栏，这一栏没有导入",
                                              h->top + h->bottom, form_.display_name())});
          }
        }
        // A blank row of the form, or a block's title that names a row: nothing to keep.
        if (cells_obj.empty()) continue;
        read_.insert(place->key);
        if (auto [it, fresh] = row_seen_at.emplace(place->key, r); !fresh) {
          return refuse(r, seg.label_col >= 0 ? seg.label_col : seg.values.front()->col,
                        fmt::format("这一行（{}）在第 {} 行已经有了", place->key, it->second + 1));
        }
        json row;
        row["key"] = place->key;
        row["section"] = section.key;
        row["cells"] = std::move(cells_obj);
        rows.push_back(std::move(row));
      }
      ++r;
    }
    auto fields = read_fields(rows, at);
    if (!fields.ok()) return fields.status();
    return cells + *fields;
  }

 private:
  // A block of one row of texts laid out as a form's fields, each value right
  // of its label (项目名称 | 某项目, 主管部门 | … 实施单位 | …), when no table had it.
  Result<size_t> read_fields(json& rows,
                             std::map<std::pair<std::string, std::string>, std::string>& at) {
    size_t cells = 0;
    for (const auto& section : form_.sections) {
      if (section.rows.size() != 1 || section.dynamic || !section.code_list.empty()) continue;
      const std::string& key = section.rows.front().key;
      if (read_.count(key)) continue;
      if (std::any_of(section.columns.begin(), section.columns.end(),
                      [](const Column& c) { return c.type != ColumnType::kText; }))
        continue;
      json cells_obj = json::object();
      for (const auto& col : section.columns) {
        for (const auto& [pos, cell] : sheet_.cells) {
          if (cell.kind != GridCell::Kind::kText || norm(cell.text) != norm(col.label)) continue;
          for (int c = pos.second + 1; c < std::min(sheet_.cols, pos.second + 8); ++c) {
            const GridCell* value = sheet_.at(pos.first, c);
            if (!value) continue;
            if (!column_words_.count(norm(value->text))) {
              auto text = cell_value(*value, col, pos.first, c);
              if (!text.ok()) return text.status();
              if (!text->empty()) {
                cells_obj[col.key] = *text;
                at[{key, col.key}] = cell_address(pos.first, c);
              }
            }
            break;
          }
          break;
        }
      }
      if (cells_obj.empty()) continue;
      cells += cells_obj.size();
      read_.insert(key);
      json row;
      row["key"] = key;
      row["section"] = section.key;
      row["cells"] = std::move(cells_obj);
      rows.push_back(std::move(row));
    }
    return cells;
  }

  Status refuse(int row, int col, const std::string& why) const {
    return Status::InvalidArgument(
        fmt::format("{}：{}!{}：{}", grid_.source, sheet_.name, cell_address(row, col), why));
  }

  std::string quoted_label(const Segment& seg, int r) const {
    for (int c : {seg.label_col, seg.code_col, seg.key_col}) {
      if (c < 0) continue;
      const std::string t = cell_text(sheet_.at(r, c));
      if (!t.empty()) return "“" + t + "”";
    }
    return "";
  }

  // A row whose one text is merged across several columns: a block's title
  // (年度总体目标, 工作保障措施), not a row of the table.
  bool is_title_row(int r) const {
    const GridCell* only = nullptr;
    int col = -1;
    for (int c = 0; c < sheet_.cols; ++c) {
      if (const GridCell* cell = sheet_.at(r, c)) {
        if (only) return false;
        only = cell;
        col = c;
      }
    }
    if (!only) return false;
    for (const auto& m : sheet_.merges) {
      if (m.first_row == r && m.first_col == col && m.last_col > m.first_col) return true;
    }
    return false;
  }

  bool is_col_no_row(int r) const {
    for (int c = 0; c < sheet_.cols; ++c) {
      const GridCell* cell = sheet_.at(r, c);
      if (!cell) continue;
      return has_text(cell) && norm(cell->text) == "栏次";
    }
    return false;
  }

  // A heading row: no numbers, and at least two of its texts are headings of
  // this form's columns or of what names a row. (One text alone is a block's
  // title, 年度总体目标, not its headings.)
  bool is_heading_row(int r) const {
    int known = 0;
    for (int c = 0; c < sheet_.cols; ++c) {
      const GridCell* cell = sheet_.at(r, c);
      if (!cell) continue;
      if (cell->kind != GridCell::Kind::kText) return false;
      const std::string n = norm(cell->text);
      if (column_words_.count(n) || label_kind(n) != LabelKind::kNone) ++known;
    }
    return known >= 2 && !is_col_no_row(r);
  }

  std::vector<HeadCol> read_heads(int first, bool two, int col_no_row) const {
    std::vector<HeadCol> heads;
    for (int c = 0; c < sheet_.cols; ++c) {
      HeadCol h;
      h.col = c;
      h.top = norm(cell_text(sheet_.shown_at(first, c)));
      if (two) {
        h.bottom = norm(cell_text(sheet_.shown_at(first + 1, c)));
        if (h.bottom == h.top) h.bottom.clear();  // one heading merged down both rows
      }
      if (col_no_row >= 0) h.col_no = std::string(trim(cell_text(sheet_.at(col_no_row, c))));
      if (h.top.empty()) std::swap(h.top, h.bottom);
      if (h.top.empty()) continue;
      if (h.bottom.empty() && !column_words_.count(h.top)) h.kind = label_kind(h.top);
      heads.push_back(std::move(h));
    }
    return heads;
  }

  // Sections side by side: a new part starts where a row-naming column comes
  // after a column of values.
  std::vector<Segment> split(const std::vector<HeadCol>& heads) const {
    std::vector<Segment> segs(1);
    for (const HeadCol& h : heads) {
      if (h.kind != LabelKind::kNone && h.kind != LabelKind::kLineNo &&
          !segs.back().values.empty()) {
        segs.back().end_col = h.col;
        segs.emplace_back();
        segs.back().first_col = h.col;
      }
      Segment& s = segs.back();
      switch (h.kind) {
        case LabelKind::kKey:
          s.key_col = h.col;
          break;
        case LabelKind::kCode:
          s.code_col = h.col;
          break;
        case LabelKind::kLabel:
          if (s.label_col < 0) s.label_col = h.col;
          break;
        case LabelKind::kLineNo:
          s.line_col = h.col;
          break;
        case LabelKind::kNone:
          if (names_a_column(h))
            s.values.push_back(&h);
          else
            s.others.push_back(&h);
          break;
      }
    }
    segs.back().end_col = sheet_.cols;
    std::erase_if(segs, [](const Segment& s) { return s.values.empty(); });
    return segs;
  }

  bool names_a_column(const HeadCol& h) const {
    for (const auto& s : form_.sections) {
      for (const auto& c : s.columns) {
        if (heading_names(h, c)) return true;
      }
    }
    return false;
  }

  static bool heading_names(const HeadCol& h, const Column& c) {
    const std::string label = norm(c.label);
    if (h.bottom.empty()) return h.top == label;
    if (h.bottom == label || h.top + h.bottom == label) return true;
    return !c.group.empty() && h.top == norm(c.group) && h.bottom == norm(heading_of(c));
  }

  const Column* column_for(const Section& section, const HeadCol& h) const {
    for (const auto& c : section.columns) {
      if (heading_names(h, c)) return &c;
    }
    if (!h.col_no.empty()) {
      for (const auto& c : section.columns) {
        if (!c.col_no.empty() && c.col_no == h.col_no) return &c;
      }
    }
    return nullptr;
  }

  // The section whose columns the segment's headings name most; among equals,
  // the segment's position picks (收入 left, 支出 right).
  const Section* section_of(const Segment& seg, size_t index) const {
    std::vector<const Section*> best;
    size_t best_n = 0;
    for (const auto& s : form_.sections) {
      size_t n = 0;
      for (const HeadCol* h : seg.values) n += column_for(s, *h) != nullptr;
      if (n > best_n) {
        best = {&s};
        best_n = n;
      } else if (n == best_n && n > 0) {
        best.push_back(&s);
      }
    }
    if (best.empty()) return nullptr;
    return best[std::min(index, best.size() - 1)];
  }

  // The fixed row a label names: of the part's own section first (收入 and 支出
  // both end in 总计), then of any section.
  const RowDef* fixed_row_labelled(const std::string& text, const Section* first,
                                   const Section** in) const {
    const std::string n = norm(text);
    if (n.empty()) return nullptr;
    std::vector<const Section*> order;
    if (first) order.push_back(first);
    for (const auto& s : form_.sections) {
      if (&s != first) order.push_back(&s);
    }
    for (const Section* s : order) {
      for (const auto& r : s->rows) {
        if (norm(r.label) == n) {
          *in = s;
          return &r;
        }
      }
    }
    return nullptr;
  }

  Result<RowPlace> identify(const Segment& seg, size_t index, int r,
                            std::map<std::string, int>& dynamic_count) const {
    const Section* guess = section_of(seg, index);
    // 1. The key this program wrote.
    if (seg.key_col >= 0) {
      const std::string key = cell_text(sheet_.at(r, seg.key_col));
      if (!key.empty()) {
        if (const Section* s = form_.section_for_row(key)) return RowPlace{key, s};
        if (guess && guess->dynamic) return RowPlace{key, guess};
        return refuse(r, seg.key_col, fmt::format("行键“{}”不是{}的行", key, form_.display_name()));
      }
    }
    // 2. A classification code.
    std::string code_text = seg.code_col >= 0 ? cell_text(sheet_.at(r, seg.code_col)) : "";
    if (!code_text.empty()) {
      const std::string code = normalize_numeric_text(code_text);
      if (is_classification_code(code)) {
        for (const auto& s : form_.sections) {
          if (!s.code_list.empty()) return RowPlace{code, &s};
        }
      }
    }
    // 3. A fixed row's label: in the label or code column, or any column of
    // the part that is not one of the form's (a label under a blank heading,
    // 总分 written under a block's name).
    for (int c = seg.first_col; c < seg.end_col; ++c) {
      if (std::any_of(seg.values.begin(), seg.values.end(),
                      [&](const HeadCol* h) { return h->col == c; }))
        continue;
      const Section* in = nullptr;
      if (const RowDef* def = fixed_row_labelled(cell_text(sheet_.at(r, c)), guess, &in))
        return RowPlace{def->key, in};
    }
    // 4. A section whose rows are named by one of its columns (三级指标, 科目名称).
    if (guess && !guess->label_column.empty()) {
      for (const HeadCol* h : seg.values) {
        const Column* col = column_for(*guess, *h);
        if (!col || col->key != guess->label_column) continue;
        const std::string label = cell_text(sheet_.at(r, h->col));
        for (const auto& def : guess->rows) {
          if (!label.empty() && norm(def.label) == norm(label)) return RowPlace{def.key, guess};
        }
      }
      if (guess->dynamic && seg.label_col < 0 && seg.code_col < 0) {
        const bool any = std::any_of(seg.values.begin(), seg.values.end(),
                                     [&](const HeadCol* h) { return sheet_.at(r, h->col); });
        if (!any) return RowPlace{};
        // A new row, named as the replica would not: by its section and count.
        for (int n = ++dynamic_count[guess->key];; n = ++dynamic_count[guess->key]) {
          std::string key = fmt::format("{}{:02}", guess->key, n);
          if (!form_.section_for_row(key)) return RowPlace{key, guess};
        }
      }
    }
    // 5. The one row of a block that has one (年度总体目标 under its headings).
    if (guess && guess->rows.size() == 1 && !guess->dynamic && guess->code_list.empty() &&
        !read_.count(guess->rows.front().key)) {
      return RowPlace{guess->rows.front().key, guess};
    }
    return RowPlace{};
  }

  // A cell's text as the import document takes it, by the column's type.
  Result<std::string> cell_value(const GridCell& cell, const Column& col, int r, int c) const {
    if (cell.kind == GridCell::Kind::kUncomputed) {
      return refuse(r, c,
                    "公式没有保存计算结果，也无法计算；请在 Excel 或 WPS 中打开、保存后再导入");
    }
    const bool number = cell.kind == GridCell::Kind::kNumber;
    switch (col.type) {
      case ColumnType::kAmount: {
        auto v = parse_cell(cell.text, ColumnType::kAmount, sheet_unit_);
        if (!v.ok() && number)
          return refuse(r, c,
                        fmt::format("{}（{}）", v.status().message(), unit_name(sheet_unit_)));
        if (!v.ok()) return refuse(r, c, fmt::format("“{}”不是金额", cell_text(&cell)));
        if (v->kind() != CellValue::Kind::kMoney) return std::string(trim(cell.text));
        // Exact: 分 in the sheet's unit, written in the report's, with two
        // decimals at least as the tables print amounts.
        Decimal d = v->as_money().in(report_unit_).normalized();
        if (d.scale() < 2) d = d.rounded(2);
        return d.to_string();
      }
      case ColumnType::kRate: {
        if (number) {
          auto d = Decimal::parse(cell.text);
          if (!d.ok()) return refuse(r, c, fmt::format("“{}”不是比率", cell.text));
          if (!cell.percent) return d->normalized().to_string();
          // Shown as a percentage: the fraction × 100 (moving the point), with
          // the digits the format shows.
          Decimal points = d->scale() < 2
                               ? (*d * Decimal::from_int(100)).normalized()
                               : Decimal::from_units(d->units(), d->scale() - 2).normalized();
          if (cell.decimals > points.scale() && cell.decimals <= 6)
            points = points.rounded(cell.decimals);
          return points.to_string() + "%";
        }
        auto v = parse_cell(cell.text, ColumnType::kRate, report_unit_);
        if (!v.ok()) return refuse(r, c, fmt::format("“{}”不是比率", cell_text(&cell)));
        return std::string(trim(cell.text));
      }
      case ColumnType::kScore:
      case ColumnType::kNumber: {
        auto v = parse_cell(cell.text, col.type, report_unit_);
        if (!v.ok())
          return refuse(r, c,
                        fmt::format("“{}”不是{}", cell_text(&cell),
                                    col.type == ColumnType::kScore ? "分数" : "数"));
        // A number with the decimals its format shows (得分 10.00).
        if (number && v->kind() == CellValue::Kind::kDecimal && cell.decimals > 0 &&
            cell.decimals <= 6 && v->as_decimal().scale() < cell.decimals)
          return v->as_decimal().rounded(cell.decimals).to_string();
        return std::string(trim(cell.text));
      }
      default:
        if (number && cell.percent) {
          auto d = Decimal::parse(cell.text);
          if (d.ok() && d->scale() >= 2)
            return Decimal::from_units(d->units(), d->scale() - 2).normalized().to_string() + "%";
          if (d.ok()) return (*d * Decimal::from_int(100)).normalized().to_string() + "%";
        }
        return std::string(trim(cell.text));
    }
  }

  const Grid& grid_;
  const GridSheet& sheet_;
  const FormTemplate& form_;
  MoneyUnit sheet_unit_;
  MoneyUnit report_unit_;
  std::vector<Unmatched>& unmatched_;
  std::set<std::string> column_words_;
  std::set<std::string> read_;  // rows with values read so far
};

// What the hidden sheet says of one sheet.
struct SheetMeta {
  ReportKey key;
  std::string unit_name;
  int template_version = 0;
  std::optional<MoneyUnit> money_unit;
  std::string source;
  std::string not_in_source;
};

Result<std::map<std::string, SheetMeta>> read_meta(const Grid& grid) {
  std::map<std::string, SheetMeta> out;
  const GridSheet* meta = grid.sheet(kXlsxMetaSheet);
  if (!meta || cell_text(meta->at(0, 0)) != kXlsxMetaFormat) return out;
  for (int r = 2; r < meta->rows; ++r) {
    auto text = [&](int c) { return cell_text(meta->at(r, c)); };
    if (text(0).empty()) continue;
    SheetMeta m;
    auto key = ReportKey::parse(text(1));
    if (!key.ok())
      return Status::InvalidArgument(fmt::format("{}：{}!B{}：{}", grid.source, kXlsxMetaSheet,
                                                 r + 1, key.status().message()));
    m.key = *key;
    m.unit_name = text(2);
    if (const GridCell* v = meta->at(r, 3)) m.template_version = std::atoi(v->text.c_str());
    if (!text(4).empty()) {
      auto u = parse_money_unit(text(4));
      if (u.ok()) m.money_unit = *u;
    }
    m.source = text(5);
    m.not_in_source = text(6);
    out[meta->at(r, 0)->text] = std::move(m);
  }
  return out;
}

// The texts a sheet names itself by: its name and its first lines.
std::string preamble(const GridSheet& sheet) {
  std::string all = sheet.name;
  for (const auto& [pos, cell] : sheet.cells) {
    if (pos.first >= kPreambleRows) break;
    if (cell.kind == GridCell::Kind::kText) all += " " + cell.text;
  }
  return all;
}

// The form a sheet is: the longest title it names, a table number breaking ties.
const FormTemplate* form_named(const std::string& text, const Catalog& catalog) {
  const std::string t = normalize_numeric_text(text);
  const FormTemplate* best = nullptr;
  size_t best_len = 0;
  bool best_no = false;
  for (const FormTemplate* f : catalog.forms()) {
    const std::string title = normalize_numeric_text(f->title);
    const bool has_title = !title.empty() && t.find(title) != std::string::npos;
    const bool has_no =
        !f->table_no.empty() && t.find(normalize_numeric_text(f->table_no)) != std::string::npos;
    if (!has_title && !has_no) continue;
    const size_t len = has_title ? title.size() : 0;
    if (len > best_len || (len == best_len && has_no && !best_no)) {
      best = f;
      best_len = len;
      best_no = has_no;
    }
  }
  return best;
}

}  // namespace

Result<GridImport> import_grid(const Grid& grid, const Catalog& catalog,
                               const GridImportOptions& options) {
  GridImport out;
  auto meta = read_meta(grid);
  if (!meta.ok()) return meta.status();
  const bool ours = grid.sheet(kXlsxMetaSheet) && !meta->empty();
  std::vector<const GridSheet*> data_sheets;
  for (const auto& s : grid.sheets) {
    if (s.name == kXlsxMetaSheet && ours) continue;
    if (s.name == kXlsxFindingsSheet) continue;
    if (s.cells.empty()) continue;
    data_sheets.push_back(&s);
  }
  if (options.report && data_sheets.size() != 1 && !ours) {
    return Status::InvalidArgument(fmt::format(
        "{}：--report 只能用于只有一张表的文件；这个文件有 {} 个工作表，请去掉 --report，"
        "按各工作表的表名导入",
        grid.source, data_sheets.size()));
  }
  for (const GridSheet* sheet : data_sheets) {
    const SheetMeta* m = nullptr;
    if (auto it = meta->find(sheet->name); it != meta->end()) m = &it->second;
    if (ours && !m) {
      out.unmatched.push_back({sheet->name, "", "工作簿里没有记下这个工作表是哪张报表，没有导入"});
      continue;
    }
    const std::string head = preamble(*sheet);
    ReportKey key;
    const FormTemplate* form = nullptr;
    if (m) {
      key = m->key;
      form = catalog.form(key.form, m->template_version, key.year);
      if (!form)
        return Status::NotFound(
            fmt::format("{}：{}：没有表样 {}", grid.source, sheet->name, key.form));
    } else {
      if (options.report) {
        key = *options.report;
      } else {
        const FormTemplate* named = form_named(head, catalog);
        if (!named) {
          out.unmatched.push_back(
              {sheet->name, "", "认不出是哪张表（表名和前几行里没有已知的表号或表名），没有导入"});
          continue;
        }
        key.form = named->id;
        key.unit = options.unit;
        auto year = year_in(head);
        if (!year) year = options.year;
        if (!year) {
          return Status::InvalidArgument(
              fmt::format("{}：{}：表上没有写明年度（如“2024年度”）；请用 --year 指明", grid.source,
                          sheet->name));
        }
        key.year = *year;
        if (named->instances) {
          return Status::InvalidArgument(fmt::format(
              "{}：{}：{}每个项目一张；请用 --report {}/{}/{}:项目 指明是哪个项目的", grid.source,
              sheet->name, named->display_name(), key.unit, key.year, key.form));
        }
      }
      form = catalog.form_for_year(key.form, key.year);
      if (!form) return Status::NotFound(fmt::format("{}：没有表样“{}”", grid.source, key.form));
    }
    // Amounts: as the sheet states them, kept in the report's unit.
    std::optional<MoneyUnit> stated;
    for (const auto& [pos, cell] : sheet->cells) {
      if (pos.first >= kPreambleRows) break;
      if (cell.kind == GridCell::Kind::kText) {
        if (auto u = money_unit_in(cell.text)) {
          stated = u;
          break;
        }
      }
    }
    const MoneyUnit report_unit = m && m->money_unit ? *m->money_unit : form->unit;
    const MoneyUnit sheet_unit = stated ? *stated : report_unit;
    SheetReader reader(grid, *sheet, *form, sheet_unit, report_unit, out.unmatched);
    json doc;
    doc["format"] = "budgetsync-report/1";
    doc["unit"] = key.unit;
    doc["unit_name"] = m ? m->unit_name : options.unit_name;
    doc["year"] = key.year;
    doc["form"] = key.form;
    if (!key.instance.empty()) doc["instance"] = key.instance;
    doc["template_version"] = form->version;
    doc["source"] =
        m && !m->source.empty() ? m->source : fmt::format("{}（{}）", grid.source, sheet->name);
    if (m && m->money_unit) doc["money_unit"] = std::string(unit_name(*m->money_unit));
    if (m && !m->not_in_source.empty()) {
      json marks = json::parse(m->not_in_source, nullptr, false);
      if (!marks.is_discarded()) doc["not_in_source"] = std::move(marks);
    }
    doc["rows"] = json::array();
    std::map<std::pair<std::string, std::string>, std::string> at;
    auto cells = reader.read(doc["rows"], at);
    if (!cells.ok()) return cells.status();
    CellProblem problem;
    const std::string where = fmt::format("{}：{}", grid.source, sheet->name);
    auto report = parse_report(doc.dump(-1, ' ', false, json::error_handler_t::replace), where,
                               catalog, &problem);
    if (!report.ok()) {
      if (auto it = at.find({problem.row, problem.column}); it != at.end()) {
        return Status::InvalidArgument(
            fmt::format("{}：{}!{}：{}", grid.source, sheet->name, it->second, problem.reason));
      }
      return report.status();
    }
    SheetMatch match;
    match.sheet = sheet->name;
    match.key = report->key;
    match.form_title = form->display_name();
    match.rows = report->rows.size();
    match.cells = *cells;
    match.stated_unit = stated;
    out.matched.push_back(std::move(match));
    out.reports.push_back(std::move(*report));
  }
  return out;
}

}  // namespace budgetsync::client
