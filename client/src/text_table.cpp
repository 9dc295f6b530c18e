#include "client/text_table.h"

#include <algorithm>

#include "shared/text.h"

namespace budgetsync::client {

TextTable::TextTable(std::vector<std::string> headers, std::vector<Align> align)
    : headers_(std::move(headers)), align_(std::move(align)) {
  align_.resize(headers_.size(), Align::kLeft);
}

void TextTable::add_row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::string truncate_to_width(const std::string& s, int width) {
  if (display_width(s) <= width) return s;
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t len = 1;
    const auto b = static_cast<unsigned char>(s[i]);
    if (b >= 0xF0) {
      len = 4;
    } else if (b >= 0xE0) {
      len = 3;
    } else if (b >= 0xC0) {
      len = 2;
    }
    const std::string next = s.substr(i, len);
    if (display_width(out) + display_width(next) + 1 > width) break;
    out += next;
    i += len;
  }
  return out + "…";
}

std::string TextTable::render(int max_cell_width) const {
  std::vector<int> widths(headers_.size(), 0);
  auto cell = [&](const std::string& s) { return truncate_to_width(s, max_cell_width); };
  for (size_t c = 0; c < headers_.size(); ++c) widths[c] = display_width(cell(headers_[c]));
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c)
      widths[c] = std::max(widths[c], display_width(cell(row[c])));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < cells.size(); ++c) {
      const bool last = c + 1 == cells.size();
      const bool right = align_[c] == Align::kRight;
      std::string text = cell(cells[c]);
      out += (last && !right) ? text : pad_to_width(text, widths[c], right);
      if (!last) out += "  ";
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(headers_);
  int total = 0;
  for (size_t c = 0; c < widths.size(); ++c) total += widths[c] + (c ? 2 : 0);
  std::string rule;
  for (int i = 0; i < total; ++i) rule += "─";
  out += rule + "\n";
  for (const auto& row : rows_) out += line(row);
  return out;
}

}  // namespace budgetsync::client
