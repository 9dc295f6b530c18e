#include "client/grid_import.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
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
enum class LabelKind { kNone, kKey, kCode, kLabel, kLineNo, kClass, kKuan, kItem };

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
                                                      {"类", LabelKind::kClass},
                                                      {"款", LabelKind::kKuan},
                                                      {"项", LabelKind::kItem},
                                                      {"序号", LabelKind::kLineNo}};
  auto it = kinds.find(normalized);
  return it == kinds.end() ? LabelKind::kNone : it->second;
}

// A four-digit year followed by 年度 ("2024年度", "2024 年度"); with `loose`, one
// followed by 年 that does not start a date ("（2024年）", not "2025年3月1日").
std::optional<int> year_in(std::string_view s, bool loose) {
  const std::string t = normalize_numeric_text(s);
  const std::string nian = "年", du = "度";
  for (size_t i = 0; i + 4 <= t.size(); ++i) {
    if (i > 0 && t[i - 1] >= '0' && t[i - 1] <= '9') continue;
    bool digits = true;
    for (size_t k = 0; k < 4; ++k) digits = digits && t[i + k] >= '0' && t[i + k] <= '9';
    if (!digits || t.compare(i + 4, nian.size(), nian) != 0) continue;
    const size_t after = i + 4 + nian.size();
    const bool annual = t.compare(after, du.size(), du) == 0;
    const bool date = after < t.size() && t[after] >= '0' && t[after] <= '9';
    if (!annual && (!loose || date)) continue;
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

// A fraction shown as a percentage, in percent points: × 100 by moving the point.
Decimal percent_points(const Decimal& fraction) {
  if (fraction.scale() < 2) return (fraction * Decimal::from_int(100)).normalized();
  return Decimal::from_units(fraction.units(), fraction.scale() - 2).normalized();
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
  std::array<int, 3> part_cols{-1, -1, -1};  // 类, 款, 项 columns, when the code is split
  std::vector<const HeadCol*> values;        // headings of the form's columns
  std::vector<const HeadCol*> others;  // headings the form does not have (备注, a block's name)
};

struct RowPlace {
  std::string key;
  const Section* section = nullptr;
};

class SheetReader {
 public:
  SheetReader(const Grid& grid, const GridSheet& sheet, const FormTemplate& form,
              std::vector<Unmatched>& unmatched)
      : grid_(grid), sheet_(sheet), form_(form), unmatched_(unmatched) {
    for (const auto& s : form_.sections) {
      for (const auto& r : s.rows) {
        if (!norm(r.label).empty()) labels_[norm(r.label)].emplace_back(&s, &r);
      }
      for (const auto& c : s.columns) {
        column_words_.insert(norm(c.label));
        column_words_.insert(norm(heading_of(c)));
        if (!c.group.empty()) column_words_.insert(norm(c.group));
      }
    }
  }

  // Amounts are read in `sheet_unit` and kept in `report_unit`.
  void set_units(MoneyUnit sheet_unit, MoneyUnit report_unit) {
    sheet_unit_ = sheet_unit;
    report_unit_ = report_unit;
  }

  // The first row of headings, or the sheet's end: what is above it names the
  // table (title, 单位, 年度, 金额单位).
  int first_heading_row() const {
    for (int r = 0; r < sheet_.rows; ++r) {
      if (is_heading_row(r)) return r;
    }
    return sheet_.rows;
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
        // Up to three rows of headings (项目 over 科目编码 over 类 | 款 | 项).
        int depth = 1;
        while (depth < 3 && r + depth < sheet_.rows && is_heading_row(r + depth)) ++depth;
        r += depth;
        const int col_no_row = r < sheet_.rows && is_col_no_row(r) ? r : -1;
        if (col_no_row >= 0) ++r;
        heads = read_heads(first, depth, col_no_row);
        segments = split(heads);
        carry_.clear();
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
        report_left_out_numbers(seg, r, reported_columns);
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

  // A number in a column of the part that is none of the form's (备注, 调整后金额,
  // a column without a heading) is not imported: it is listed, once a column.
  void report_left_out_numbers(const Segment& seg, int r, std::set<int>& reported) {
    for (int c = seg.first_col; c < seg.end_col; ++c) {
      if (c == seg.key_col || c == seg.code_col || c == seg.label_col || c == seg.line_col ||
          std::find(seg.part_cols.begin(), seg.part_cols.end(), c) != seg.part_cols.end() ||
          reported.count(c))
        continue;
      if (std::any_of(seg.values.begin(), seg.values.end(),
                      [&](const HeadCol* h) { return h->col == c; }))
        continue;
      const GridCell* cell = sheet_.at(r, c);
      if (!cell || !looks_like_number(*cell)) continue;
      reported.insert(c);
      std::string heading;
      for (const HeadCol* h : seg.others) {
        if (h->col == c) heading = h->top + h->bottom;
      }
      unmatched_.push_back(
          {sheet_.name, cell_address(r, c),
           heading.empty()
               ? fmt::format("这一栏没有栏名，其中的数（如“{}”）没有导入", cell_text(cell))
               : fmt::format("“{}”栏不是{}的栏，其中的数（如“{}”）没有导入", heading,
                             form_.display_name(), cell_text(cell))});
    }
  }

  static bool looks_like_number(const GridCell& cell) {
    if (cell.kind == GridCell::Kind::kNumber) return true;
    std::string t = normalize_numeric_text(cell.text);
    std::erase(t, ',');
    if (!t.empty() && t.back() == '%') t.pop_back();
    return !t.empty() && Decimal::parse(t).ok();
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
    const GridRange* m = sheet_.merge_starting_at(r, col);
    return m && m->last_col > m->first_col;
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

  // A column's headings: the top one, and the lowest one that differs from it
  // (a heading merged down the rows is one heading).
  std::vector<HeadCol> read_heads(int first, int depth, int col_no_row) const {
    std::vector<HeadCol> heads;
    std::string group;  // the last group heading, for files that keep no merged ranges
    for (int c = 0; c < sheet_.cols; ++c) {
      HeadCol h;
      h.col = c;
      h.top = norm(cell_text(sheet_.shown_at(first, c)));
      if (depth > 1) {
        for (int d = depth - 1; d >= 1 && h.bottom.empty(); --d)
          h.bottom = norm(cell_text(sheet_.shown_at(first + d, c)));
        if (h.bottom == h.top) h.bottom.clear();  // one heading merged down the rows
        // A group heading written once over its columns (an .xls or a CSV keeps
        // no merged range): a blank above a sub-heading continues the group.
        if (!h.top.empty() && !h.bottom.empty()) group = h.top;
        if (h.top.empty() && !h.bottom.empty() && !group.empty()) h.top = group;
        if (h.bottom.empty()) group.clear();
      }
      if (col_no_row >= 0) h.col_no = std::string(trim(cell_text(sheet_.at(col_no_row, c))));
      if (h.top.empty()) std::swap(h.top, h.bottom);
      if (h.top.empty()) continue;
      if (h.bottom.empty() && !column_words_.count(h.top)) h.kind = label_kind(h.top);
      if (!h.bottom.empty() && !column_words_.count(h.bottom) &&
          label_kind(h.bottom) != LabelKind::kNone)
        h.kind = label_kind(h.bottom);  // 项目 over 科目编码
      // 科目编码 over 类 | 款 | 项, as the 部门决算 tables print the code.
      if (const LabelKind k = label_kind(h.bottom);
          k == LabelKind::kClass || k == LabelKind::kKuan || k == LabelKind::kItem)
        h.kind = k;
      heads.push_back(std::move(h));
    }
    return heads;
  }

  // Sections side by side: a new part starts where a row-naming column comes
  // after a column of values.
  std::vector<Segment> split(const std::vector<HeadCol>& heads) const {
    std::vector<Segment> segs(1);
    for (const HeadCol& h : heads) {
      if ((h.kind == LabelKind::kKey || h.kind == LabelKind::kCode || h.kind == LabelKind::kLabel ||
           h.kind == LabelKind::kClass) &&
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
        case LabelKind::kClass:
          s.part_cols[0] = h.col;
          break;
        case LabelKind::kKuan:
          s.part_cols[1] = h.col;
          break;
        case LabelKind::kItem:
          s.part_cols[2] = h.col;
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

  // The fixed row a label names. Where several rows share the label (总计 ends
  // both 收入 and 支出; 公开04表 lists 一般公共预算财政拨款 under 本年收入 and again under
  // 年初结转), the row's 行次 decides when the sheet has one; else the part's own
  // section first, and the first such row not read yet, in the form's order.
  const RowDef* fixed_row_labelled(const std::string& text, const std::string& line_no,
                                   const Section* first, const Section** in) const {
    auto it = labels_.find(norm(text));
    if (it == labels_.end()) return nullptr;
    const auto& candidates = it->second;
    const std::pair<const Section*, const RowDef*>* pick = nullptr;
    auto better = [&](const std::pair<const Section*, const RowDef*>& c) {
      if (!pick) return true;
      const bool c_first = c.first == first, p_first = pick->first == first;
      const bool c_fresh = !read_.count(c.second->key), p_fresh = !read_.count(pick->second->key);
      if (c_fresh != p_fresh) return c_fresh;
      return c_first && !p_first;
    };
    for (const auto& c : candidates) {
      if (!line_no.empty() && c.second->line_no == line_no) {
        pick = &c;
        break;
      }
      if (better(c)) pick = &c;
    }
    *in = pick->first;
    return pick->second;
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
    // 2b. A code printed as 类 | 款 | 项: a blank 类 or 款 is the one above it.
    if (seg.part_cols[0] >= 0 || seg.part_cols[1] >= 0 || seg.part_cols[2] >= 0) {
      std::array<std::string, 3> parts;
      for (int i = 0; i < 3; ++i) {
        if (seg.part_cols[i] >= 0)
          parts[i] = normalize_numeric_text(cell_text(sheet_.at(r, seg.part_cols[i])));
      }
      auto& carry = carry_[&seg];
      std::string code;
      if (!parts[0].empty()) {
        carry = {parts[0], ""};
        code = parts[0];
      }
      if (!parts[1].empty()) {
        carry[1] = parts[1];
        code = carry[0] + parts[1];
      }
      if (!parts[2].empty()) code = carry[0] + carry[1] + parts[2];
      for (const auto& p : parts) {
        if (p.size() >= 5 && is_classification_code(p)) code = p;  // the whole code in one
      }
      if (!code.empty() && is_classification_code(code)) {
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
      const std::string line_no = seg.line_col >= 0 ? cell_text(sheet_.at(r, seg.line_col)) : "";
      if (const RowDef* def = fixed_row_labelled(cell_text(sheet_.at(r, c)), line_no, guess, &in))
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
          // Shown as a percentage: the fraction × 100, with the digits the format shows.
          Decimal points = percent_points(*d);
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
        if (number && cell.percent) {  // 偏差度 -0.02 shown as -2.00%: -2.00 points
          auto d = Decimal::parse(cell.text);
          if (!d.ok()) return refuse(r, c, fmt::format("“{}”不是数", cell.text));
          Decimal points = percent_points(*d);
          if (cell.decimals > points.scale() && cell.decimals <= 6)
            points = points.rounded(cell.decimals);
          return points.to_string();
        }
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
          if (auto d = Decimal::parse(cell.text); d.ok())
            return percent_points(*d).to_string() + "%";
        }
        return std::string(trim(cell.text));
    }
  }

  const Grid& grid_;
  const GridSheet& sheet_;
  const FormTemplate& form_;
  MoneyUnit sheet_unit_ = MoneyUnit::kWanYuan;
  MoneyUnit report_unit_ = MoneyUnit::kWanYuan;
  std::vector<Unmatched>& unmatched_;
  std::set<std::string> column_words_;
  std::set<std::string> read_;  // rows with values read so far
  // The 类 and 款 of the code printed last in a part, for rows that leave them blank.
  mutable std::map<const Segment*, std::array<std::string, 2>> carry_;
  // Fixed rows by their label as people type it, in the form's order.
  std::map<std::string, std::vector<std::pair<const Section*, const RowDef*>>> labels_;
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

// The texts a sheet names itself by: its first lines, above row `before`.
std::vector<std::string> preamble(const GridSheet& sheet, int before) {
  std::vector<std::string> texts;
  for (const auto& [pos, cell] : sheet.cells) {
    if (pos.first >= before) break;
    if (cell.kind == GridCell::Kind::kText) texts.push_back(cell.text);
  }
  return texts;
}

// The year a sheet states: 年度 in its first lines, then a year in them that is
// not a date, then the same in its name.
std::optional<int> stated_year(const GridSheet& sheet, int before) {
  const auto texts = preamble(sheet, before);
  for (bool loose : {false, true}) {
    for (const auto& t : texts) {
      if (auto y = year_in(t, loose)) return y;
    }
  }
  for (bool loose : {false, true}) {
    if (auto y = year_in(sheet.name, loose)) return y;
  }
  return std::nullopt;
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
    if (sheet->hidden && !m) {
      out.unmatched.push_back({sheet->name, "", "隐藏的工作表，没有导入"});
      continue;
    }
    ReportKey key;
    const FormTemplate* form = nullptr;
    int heading_row = kPreambleRows;
    if (m) {
      key = m->key;
      form = catalog.form(key.form, m->template_version, key.year);
      if (!form)
        return Status::NotFound(
            fmt::format("{}：{}：没有表样 {}", grid.source, sheet->name, key.form));
    } else {
      const FormTemplate* named = nullptr;
      if (options.report) {
        key = *options.report;
        named = catalog.form(key.form);
        if (!named) return Status::NotFound(fmt::format("{}：没有表样“{}”", grid.source, key.form));
      } else {
        std::string head = sheet->name;
        for (const auto& t : preamble(*sheet, kPreambleRows)) head += " " + t;
        named = form_named(head, catalog);
        if (!named) {
          out.unmatched.push_back(
              {sheet->name, "", "认不出是哪张表（表名和前几行里没有已知的表号或表名），没有导入"});
          continue;
        }
        key.form = named->id;
        key.unit = options.unit;
      }
      heading_row = SheetReader(grid, *sheet, *named, out.unmatched).first_heading_row();
      if (!options.report) {
        auto year = options.year ? options.year : stated_year(*sheet, heading_row);
        if (!year) {
          return Status::InvalidArgument(
              fmt::format("{}：{}：表上没有写明年度（如“2024年度”）；请用 --year 指明", grid.source,
                          sheet->name));
        }
        key.year = *year;
        if (named->instances) {
          out.unmatched.push_back(
              {sheet->name, "",
               fmt::format("{}每张都有自己的名称（项目）：请把这个工作表单独存为一个文件，用 "
                           "--report {}/{}/{}:名称 导入；这次没有导入",
                           named->display_name(), key.unit, key.year, key.form)});
          continue;
        }
      }
      form = catalog.form_for_year(key.form, key.year);
      if (!form) return Status::NotFound(fmt::format("{}：没有表样“{}”", grid.source, key.form));
    }
    // Amounts: as the lines above the headings state them, kept in the report's unit.
    std::optional<MoneyUnit> stated;
    for (const auto& t : preamble(*sheet, std::max(heading_row, 1))) {
      if ((stated = money_unit_in(t))) break;
    }
    const MoneyUnit report_unit = m && m->money_unit ? *m->money_unit : form->unit;
    const MoneyUnit sheet_unit = stated ? *stated : report_unit;
    SheetReader reader(grid, *sheet, *form, out.unmatched);
    reader.set_units(sheet_unit, report_unit);
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
    for (const auto& earlier : out.matched) {
      if (earlier.key == match.key) {
        return Status::InvalidArgument(
            fmt::format("{}：工作表“{}”和“{}”都是报表 {}；请删去其中一个再导入", grid.source,
                        earlier.sheet, match.sheet, match.key.to_string()));
      }
    }
    out.matched.push_back(std::move(match));
    out.reports.push_back(std::move(*report));
  }
  return out;
}

}  // namespace budgetsync::client
