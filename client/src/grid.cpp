#include "client/grid.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "shared/csv.h"
#include "shared/text.h"

namespace budgetsync::client {

const GridCell* GridSheet::at(int row, int col) const {
  auto it = cells.find({row, col});
  return it == cells.end() ? nullptr : &it->second;
}

const GridCell* GridSheet::shown_at(int row, int col) const {
  if (auto it = covered_.find({row, col}); it != covered_.end()) {
    const GridRange& m = merges_[it->second];
    return at(m.first_row, m.first_col);
  }
  return at(row, col);
}

const GridRange* GridSheet::merge_starting_at(int row, int col) const {
  auto it = starts_.find({row, col});
  return it == starts_.end() ? nullptr : &merges_[it->second];
}

bool GridSheet::add_merge(const GridRange& m) {
  const size_t area = static_cast<size_t>(m.last_row - m.first_row + 1) *
                      static_cast<size_t>(m.last_col - m.first_col + 1);
  if (m.last_row < m.first_row || m.last_col < m.first_col) return true;  // nothing to merge
  if (covered_.size() + area > kMaxMergedCells) return false;
  const size_t index = merges_.size();
  merges_.push_back(m);
  starts_[{m.first_row, m.first_col}] = index;
  for (int r = m.first_row; r <= m.last_row; ++r) {
    for (int c = m.first_col; c <= m.last_col; ++c) {
      if (r != m.first_row || c != m.first_col) covered_[{r, c}] = index;
    }
  }
  return true;
}

void GridSheet::put(int row, int col, GridCell cell) {
  rows = std::max(rows, row + 1);
  cols = std::max(cols, col + 1);
  cells[{row, col}] = std::move(cell);
}

const GridSheet* Grid::sheet(std::string_view name) const {
  for (const auto& s : sheets) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string cell_address(int row, int col) {
  std::string letters;
  for (int c = col + 1; c > 0; c = (c - 1) / 26)
    letters.insert(letters.begin(), static_cast<char>('A' + (c - 1) % 26));
  return fmt::format("{}{}", letters, row + 1);
}

std::string spreadsheet_number_text(std::string_view text) {
  // The value is a binary double (that is what the file format stores); its
  // text is read back to that double and printed, correctly rounded, to 15
  // significant digits — exactly what Excel shows — then written as plain
  // decimal text. Rounding the stored text itself would round twice.
  const std::string t(trim(text));
  if (t.empty()) return t;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || errno == ERANGE || !std::isfinite(v) ||
      t.find_first_of("xXnNiIpP") != std::string::npos)
    return std::string(text);  // not a number: the reader refuses it by its column
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.14e", v);  // d.dddddddddddddde±X
  const std::string sci(buf);
  const size_t e = sci.find('e');
  const bool negative = sci.front() == '-';
  std::string digits;
  for (size_t i = negative ? 1 : 0; i < e; ++i) {
    if (sci[i] != '.') digits += sci[i];
  }
  const long exponent = std::strtol(sci.c_str() + e + 1, nullptr, 10);
  // The point goes after digit (exponent + 1).
  std::string int_part, frac_part;
  if (exponent < 0) {
    int_part = "0";
    frac_part = std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  } else if (static_cast<size_t>(exponent) + 1 >= digits.size()) {
    int_part = digits + std::string(static_cast<size_t>(exponent) + 1 - digits.size(), '0');
  } else {
    int_part = digits.substr(0, static_cast<size_t>(exponent) + 1);
    frac_part = digits.substr(static_cast<size_t>(exponent) + 1);
  }
  while (!frac_part.empty() && frac_part.back() == '0') frac_part.pop_back();
  int_part.erase(0, std::min(int_part.find_first_not_of('0'), int_part.size() - 1));
  std::string out = int_part + (frac_part.empty() ? "" : "." + frac_part);
  if (negative && out != "0") out.insert(out.begin(), '-');
  return out;
}

Result<Grid> read_csv_grid(std::string_view text, std::string_view source) {
  text = csv_text(text);
  if (Status s = check_csv_utf8(text, source); !s.ok()) return s;
  auto records = split_csv(text, source);
  if (!records.ok()) return records.status();
  Grid grid;
  grid.source = std::string(source);
  GridSheet sheet;
  std::string name = std::filesystem::path(std::string(source)).stem().string();
  sheet.name = name.empty() ? std::string(source) : name;
  for (const CsvRecord& rec : *records) {
    for (size_t c = 0; c < rec.fields.size(); ++c) {
      if (trim(rec.fields[c]).empty()) continue;
      sheet.put(static_cast<int>(rec.line - 1), static_cast<int>(c),
                GridCell{GridCell::Kind::kText, rec.fields[c], false, -1, ""});
    }
  }
  grid.sheets.push_back(std::move(sheet));
  return grid;
}

}  // namespace budgetsync::client
