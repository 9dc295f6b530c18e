#include "client/grid.h"

#include <fmt/format.h>

#include <algorithm>

#include "shared/csv.h"
#include "shared/text.h"

namespace budgetsync::client {

const GridCell* GridSheet::at(int row, int col) const {
  auto it = cells.find({row, col});
  return it == cells.end() ? nullptr : &it->second;
}

const GridCell* GridSheet::shown_at(int row, int col) const {
  for (const auto& m : merges) {
    if (row >= m.first_row && row <= m.last_row && col >= m.first_col && col <= m.last_col)
      return at(m.first_row, m.first_col);
  }
  return at(row, col);
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
  constexpr size_t kDigits = 15;
  const std::string_view original = text;
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  // An exponent ("1.2345E-2") moves the point.
  long exponent = 0;
  if (const size_t e = text.find_first_of("eE"); e != std::string_view::npos) {
    std::string_view ex = text.substr(e + 1);
    bool neg = false;
    if (!ex.empty() && (ex.front() == '-' || ex.front() == '+')) {
      neg = ex.front() == '-';
      ex.remove_prefix(1);
    }
    for (char c : ex) {
      if (c < '0' || c > '9' || exponent > 400) break;
      exponent = exponent * 10 + (c - '0');
    }
    if (neg) exponent = -exponent;
    text = text.substr(0, e);
  }
  const size_t point = text.find('.');
  std::string int_part(text.substr(0, point));
  std::string frac_part(point == std::string_view::npos ? "" : text.substr(point + 1));
  // All digits, and where the point falls among them.
  std::string digits = int_part + frac_part;
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
    return std::string(original);  // not a number: the reader refuses it by its column
  if (exponent < 0) {
    const size_t shift = static_cast<size_t>(-exponent);
    if (shift > int_part.size()) digits.insert(0, shift - int_part.size(), '0');
    int_part.resize(int_part.size() > shift ? int_part.size() - shift : 0);
  } else if (exponent > 0) {
    const size_t shift = static_cast<size_t>(exponent);
    if (shift > frac_part.size()) digits.append(shift - frac_part.size(), '0');
    int_part.resize(int_part.size() + shift, '0');  // only its length is used below
  }
  size_t point_at = int_part.size();
  const size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return "0";
  if (digits.size() - first > kDigits) {
    const size_t cut = first + kDigits;
    const bool up = digits[cut] >= '5';  // half away from zero, as Excel rounds
    digits.resize(cut);
    if (up) {
      size_t i = cut;
      while (i > 0) {
        --i;
        if (digits[i] == '9') {
          digits[i] = '0';
        } else {
          ++digits[i];
          break;
        }
        if (i == 0) {  // 999… became 000…: one more digit in front
          digits.insert(digits.begin(), '1');
          ++point_at;
        }
      }
    }
    // Pad back to the point when the cut fell in the integer part.
    if (digits.size() < point_at) digits.append(point_at - digits.size(), '0');
  }
  std::string ip = digits.substr(0, point_at);
  std::string fp = point_at < digits.size() ? digits.substr(point_at) : "";
  ip.erase(0, std::min(ip.find_first_not_of('0'), ip.size()));
  if (ip.empty()) ip = "0";
  while (!fp.empty() && fp.back() == '0') fp.pop_back();
  std::string out = ip + (fp.empty() ? "" : "." + fp);
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
