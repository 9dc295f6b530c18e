// A terminal table whose columns line up by display width, so Chinese text
// (two columns a character) aligns with digits and Latin letters.
#pragma once

#include <string>
#include <vector>

namespace budgetsync::client {

class TextTable {
 public:
  enum class Align { kLeft, kRight };

  explicit TextTable(std::vector<std::string> headers, std::vector<Align> align = {});
  void add_row(std::vector<std::string> cells);
  // Renders with two spaces between columns and a rule under the header. Cells
  // wider than `max_cell_width` display columns are cut with "…".
  std::string render(int max_cell_width = 40) const;

 private:
  std::vector<std::string> headers_;
  std::vector<Align> align_;
  std::vector<std::vector<std::string>> rows_;
};

// Cuts `s` to at most `width` display columns, ending in "…" when cut.
std::string truncate_to_width(const std::string& s, int width);

}  // namespace budgetsync::client
