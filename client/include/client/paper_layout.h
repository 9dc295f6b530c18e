// A report laid out as its paper form: which columns each block of the table
// has (a 科目编码 or 项目 column, 行次, the form's columns under their grouped
// headings), which rows in which order, and which sections are printed side
// by side. Format-free: the Excel workbook (xlsx_export.h) draws it; nothing here
// knows cells' addresses in any file.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "shared/catalog.h"
#include "shared/report.h"

namespace budgetsync::client {

// What one printed column of a block holds.
enum class PaperColumnKind {
  kRowKey,  // the row's key, for a program reading the table back (kept hidden)
  kCode,    // 科目编码: the row's code, or a fixed row's label (合计)
  kLabel,   // 项目: a fixed row's label
  kLineNo,  // 行次
  kCell,    // a column of the form
};

struct PaperColumn {
  PaperColumnKind kind = PaperColumnKind::kCell;
  const Column* column = nullptr;  // kCell only
  std::string heading;             // under its group, when it has one
  std::string group;               // the heading over adjacent columns, or ""
  std::string col_no;              // 栏次, or "" (kLabel and kCode print “栏次”)
};

struct PaperRow {
  const ReportRow* row = nullptr;  // never null: rows the report lacks are blank rows
  std::string code;                // kCode text
  std::string label;               // kLabel text, without indentation
  int indent = 0;                  // levels of indentation of the label
  std::string line_no;             // kLineNo text
};

// One section, or one printed block of its rows, as a block of columns.
struct PaperPart {
  const Section* section = nullptr;
  std::string title;  // the section's, or its printed block's (人员经费)
  std::vector<PaperColumn> columns;
  std::vector<PaperRow> rows;
  bool grouped() const;   // some column has a group: two heading rows
  bool numbered() const;  // some column has a 栏次: a 栏次 row under the headings
};

// Sections printed side by side (公开01表's 收入 and 支出), or one alone.
struct PaperBand {
  std::vector<PaperPart> parts;
  size_t body_rows() const;  // the longest part's
};

struct PaperLayout {
  std::string title;      // "公开01表 收入支出决算总表", with a project's name
  std::string unit_name;  // the unit's name, else its code
  int year = 0;
  std::optional<MoneyUnit> money_unit;  // when the form has amounts
  std::vector<PaperBand> bands;
  // Printed across A4 landscape: the widest block's columns, each as wide as its
  // longest text (8 to 48 characters), come to more than 100 characters.
  bool wide = false;
  std::deque<ReportRow> blank_rows;  // the rows PaperRow points at that the report lacks
};

// The rows a section shows: the report's own, in order, with each fixed row of
// the form that the report lacks put in its place, blank (stored in `blanks`),
// so that a new or partly filled report still shows every row.
std::vector<const ReportRow*> rows_to_show(const Report& report, const Section& section,
                                           std::deque<ReportRow>& blanks);

// The report's layout. Every row of the report appears exactly once. `report`,
// `form` and `catalog` must outlive the result.
PaperLayout paper_layout(const Report& report, const FormTemplate& form, const Catalog& catalog);

}  // namespace budgetsync::client
