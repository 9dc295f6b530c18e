// Finding reports in a spreadsheet (grid.h): which sheet is which form, where
// its headings are, which row is which, which column is which, and every cell
// read by its column's type. Pure: no files, no replica.
//
// The rules (docs/excel.md, "Import"):
// - A workbook this program wrote names the report of every sheet on its hidden
//   "budgetsync" sheet; its rows carry their keys in a hidden 行键 column, so the
//   same reports come back.
// - Any other sheet is matched to a form by the table number or title in its name
//   or first lines (the longest title that matches wins: 财政拨款收入支出决算总表 over
//   收入支出决算总表), or is the one report --report names; a sheet that matches none
//   is listed, not guessed.
// - Headings are found by the form's column labels, in one row or two (a group
//   over its columns, 预算数 over 合计…); a 栏次 row under them names columns by
//   their 栏次 too. Sections printed side by side (收入 | 支出) are split where a
//   项目 / 科目编码 / 行键 column starts again.
// - A row is its key (行键), its classification code, or its label as people
//   type it (full- and half-width, spaces, 一、/（一） numbering do not matter); a
//   row of an open-ended section (指标, 项目) that names no fixed row is a new row.
// - Amounts are in the sheet's 金额单位 line (元 or 万元), converted to the form's
//   unit exactly; a number shown as a percentage is a rate in percent points;
//   blank stays blank and 0 stays 0; a formula cell gives the value the file
//   keeps, and one without is refused by its address.
// - Every refusal names the sheet and cell: "公开02表!D14：“十五”不是金额".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "client/grid.h"
#include "shared/catalog.h"
#include "shared/report.h"

namespace budgetsync::client {

struct GridImportOptions {
  std::string unit;         // whose reports a sheet that does not say is
  std::string unit_name;    // their unit's name
  std::optional<int> year;  // the year of a sheet that does not state one
  // The one report a single table fills (import --report): its form, unit, year
  // and project.
  std::optional<ReportKey> report;
};

struct SheetMatch {
  std::string sheet;
  ReportKey key;
  std::string form_title;
  size_t rows = 0;                       // rows read
  size_t cells = 0;                      // cells with a value
  std::optional<MoneyUnit> stated_unit;  // the sheet's 金额单位 line
};

// What the import leaves out, with its address: a sheet no form matches, a
// row no row of the form is, a column no column of the form is.
struct Unmatched {
  std::string sheet;
  std::string address;  // "" for a whole sheet
  std::string what;
};

struct GridImport {
  std::vector<Report> reports;
  std::vector<SheetMatch> matched;  // one per report, in the same order
  std::vector<Unmatched> unmatched;
};

Result<GridImport> import_grid(const Grid& grid, const Catalog& catalog,
                               const GridImportOptions& options);

}  // namespace budgetsync::client
