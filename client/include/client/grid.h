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
  std::string name;
  bool hidden = false;
  std::map<std::pair<int, int>, GridCell> cells;  // (row, column), from 0; empty cells absent
  std::vector<GridRange> merges;
  int rows = 0;  // one past the last row holding a cell
  int cols = 0;

  const GridCell* at(int row, int col) const;
  // The cell a merged range shows at (row, col): its top-left cell's.
  const GridCell* shown_at(int row, int col) const;
  void put(int row, int col, GridCell cell);
};

struct Grid {
  std::string source;  // the file, for messages
  std::vector<GridSheet> sheets;
  const GridSheet* sheet(std::string_view name) const;
};

// "D14" for (13, 3).
std::string cell_address(int row, int col);

// A binary floating-point number from a spreadsheet file, given as the
// shortest text that reads back as it, made exact decimal text: rounded to 15
// significant digits (what Excel keeps and shows), trailing zeros dropped. The
// file format stores doubles; this is the one place where one becomes a
// decimal, so no arithmetic is ever done on it. "9.199999999999999" gives "9.2".
std::string spreadsheet_number_text(std::string_view shortest);

// Reads a workbook by its extension: .xlsx (liborcus), .xls (FreeXL). A formula
// cell gives its cached value; one without a cached value is evaluated (xlsx),
// or kept as kUncomputed for the importer to refuse by its address. Errors
// name the file.
Result<Grid> read_workbook(const std::filesystem::path& path);

// A CSV table as one sheet named after the file: every field text (UTF-8, a BOM
// dropped), numbers decided later by the column they fall in.
Result<Grid> read_csv_grid(std::string_view text, std::string_view source);

}  // namespace budgetsync::client
