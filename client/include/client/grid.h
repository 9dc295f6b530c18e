// A spreadsheet as read from a file, before anyone knows which reports it holds:
// sheets of cells with their merged ranges. The readers (an .xlsx or .xls
// workbook, a CSV table) fill it; grid_import.h finds the reports in it. Nothing
// here knows forms.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shared/status.h"

namespace budgetsync::client {

struct GridCell {
  enum class Kind {
    kText,
    kNumber,      // `text` holds the number as exact decimal text
    kUncomputed,  // a formula the file keeps no value for, and that could not be evaluated
  };
  Kind kind = Kind::kText;
  std::string text;
  bool percent = false;  // the number is shown as a percentage (0.9619 shown 96.19%)
  int decimals = -1;     // the fraction digits its number format always shows; -1 unknown
  std::string formula;   // the formula, when the cell has one ("" otherwise)
};

struct GridRange {
  int first_row = 0;
  int first_col = 0;
  int last_row = 0;
  int last_col = 0;
};

struct GridSheet {
  // Merged ranges cover at most this many cells in all (a reader refuses more).
  static constexpr size_t kMaxMergedCells = 2'000'000;

  std::string name;
  bool hidden = false;
  std::map<std::pair<int, int>, GridCell> cells;  // (row, column), from 0; empty cells absent
  int rows = 0;                                   // one past the last row holding a cell
  int cols = 0;

  const GridCell* at(int row, int col) const;
  // The cell a merged range shows at (row, col): its top-left cell's.
  const GridCell* shown_at(int row, int col) const;
  // The merged range whose top-left cell is (row, col), if any.
  const GridRange* merge_starting_at(int row, int col) const;
  void put(int row, int col, GridCell cell);
  // False (and nothing added) when the ranges would cover more than
  // kMaxMergedCells cells.
  bool add_merge(const GridRange& range);
  const std::vector<GridRange>& merges() const { return merges_; }

 private:
  std::vector<GridRange> merges_;
  std::map<std::pair<int, int>, size_t> starts_;   // top-left cell -> its range
  std::map<std::pair<int, int>, size_t> covered_;  // every other cell of a range -> it
};

struct Grid {
  std::string source;  // the file, for messages
  std::vector<GridSheet> sheets;
  const GridSheet* sheet(std::string_view name) const;
};

// "D14" for (13, 3).
std::string cell_address(int row, int col);

// A number from a spreadsheet file, given as the text the file stores for it
// (the shortest or a 17-digit text of a binary double), made exact decimal
// text: the double it stands for, correctly rounded to 15 significant digits
// (what Excel keeps and shows), trailing zeros dropped. This is the one place
// where the file's binary number becomes a decimal; no arithmetic is done on
// it. "9.199999999999999" gives "9.2". Text that is not a number comes back
// unchanged, for the column's reader to refuse.
std::string spreadsheet_number_text(std::string_view shortest);

// Reads a workbook by its extension: .xlsx (libzip + expat), .xls (FreeXL). A
// formula cell gives the value the file keeps for it; one without is kept as
// kUncomputed, for the importer to refuse by its address. A number shown as a
// date becomes its date as text (2025-03-01). Errors name the file.
Result<Grid> read_workbook(const std::filesystem::path& path);

// A CSV table as one sheet named after the file: every field text (UTF-8, a BOM
// dropped), numbers decided later by the column they fall in.
Result<Grid> read_csv_grid(std::string_view text, std::string_view source);

}  // namespace budgetsync::client
