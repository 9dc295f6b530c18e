// A report as people read it: a terminal table laid out like the paper form,
// CSV, a printable HTML page, or the JSON import format.
#pragma once

#include <string>

#include "shared/catalog.h"
#include "shared/report.h"

namespace budgetsync::client {

// Each section as an aligned table: row key (what `set` takes), label, then the
// section's columns with their 栏次. Amounts in the report's 金额单位 (its own, else
// the form's) with two decimals, blank cells its source lacks as 来源中无; columns a
// rule computes are marked ※.
std::string render_report_text(const Report& report, const FormTemplate& form,
                               const Catalog& catalog);

// The table as it looks, for a spreadsheet: UTF-8 with a BOM (so Excel opens it
// right), the title, the 单位 / 年度 / 金额单位 line, Chinese heading rows (a group
// row over grouped columns), the 栏次 row, then one line per row of the form;
// sections printed side by side stay side by side. `budgetsync import` reads it
// back by the title and the labels.
std::string render_report_table_csv(const Report& report, const FormTemplate& form,
                                    const Catalog& catalog);

// Long-format CSV, one line per cell: section,row,row_label,column,column_label,value.
// The same layout `budgetsync import --report KEY FILE.csv` reads.
std::string render_report_csv(const Report& report, const FormTemplate& form,
                              const Catalog& catalog);

// A self-contained printable page of the report.
std::string render_report_html(const Report& report, const FormTemplate& form,
                               const Catalog& catalog);

// The report in the import format (docs/import-format.md); importing it gives
// the same report back.
std::string render_report_json(const Report& report);

// The label of a row: its fixed label, "code name" for a classification code,
// or the section's label column.
std::string row_display_label(const Report& report, const FormTemplate& form,
                              const Catalog& catalog, const ReportRow& row);

// Parses a long-format CSV (header with at least row, column, value) into a
// report of `key`. Errors name the file, line and column.
Result<Report> parse_report_csv(std::string_view text, std::string_view source,
                                const ReportKey& key, const Catalog& catalog);

}  // namespace budgetsync::client
