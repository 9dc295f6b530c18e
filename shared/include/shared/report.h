// Reports: one form filled in by one unit for one fiscal year, as read from an
// import file (format "budgetsync-report/1", docs/import-format.md).
#pragma once

#include <compare>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shared/cell_value.h"
#include "shared/status.h"

namespace budgetsync {

class Catalog;
struct FormTemplate;

// (unit code, year, form id[, instance]). Forms a unit files several times a
// year (one per project) carry an instance name. Written "UNIT/YEAR/FORM" or
// "UNIT/YEAR/FORM:INSTANCE".
struct ReportKey {
  std::string unit;
  int year = 0;
  std::string form;
  std::string instance;

  std::string to_string() const;
  static Result<ReportKey> parse(std::string_view text);
  auto operator<=>(const ReportKey&) const = default;
};

struct ReportCell {
  std::string raw;  // the text as entered or printed
  CellValue value;
};

struct ReportRow {
  std::string key;
  std::string section;
  std::map<std::string, ReportCell, std::less<>> cells;
};

// The parts of a report its source document does not have: a document cut
// off mid-table, a layout that prints no such column or row. Cells there are
// never judged. Pairs are (section key, row or column key); an empty section
// means every section.
struct NotInSource {
  bool all = false;                   // the whole report
  std::vector<std::string> sections;  // whole sections
  std::vector<std::pair<std::string, std::string>> columns;
  std::vector<std::pair<std::string, std::string>> rows;
  // (section, row): that row and every row printed after it — for fixed rows
  // the template's order, for classification codes every code sorting at or
  // after it.
  std::vector<std::pair<std::string, std::string>> from_row;

  bool empty() const {
    return !all && sections.empty() && columns.empty() && rows.empty() && from_row.empty();
  }
  // True when the cell (row, column) of `section` is not in the source.
  bool covers(const FormTemplate& form, std::string_view section, std::string_view row,
              std::string_view column) const;
  // True when part of `section` (or its `column`) is not in the source, so a
  // sum over the whole section cannot be judged.
  bool cuts_section(std::string_view section, std::string_view column) const;
  // True when a cut falls inside the code's subtree: its sum cannot be judged.
  bool cuts_into(std::string_view section, std::string_view code) const;
};

class Report {
 public:
  ReportKey key;
  std::string unit_name;
  int template_version = 1;
  std::string source;           // where it came from (file, seed table)
  std::vector<ReportRow> rows;  // in printed order
  NotInSource not_in_source;
  // The 金额单位 the document states, when the file names one (a 部门决算 table
  // kept in 元 on a form the template prints in 万元). Empty: the form's unit.
  std::optional<MoneyUnit> money_unit;

  // The unit the report's amounts are written and judged in.
  MoneyUnit unit_in(const FormTemplate& form) const;

  const ReportRow* row(std::string_view key) const;
  const ReportCell* cell(std::string_view row, std::string_view column) const;
  // Rebuilds the row index; call after changing `rows`.
  void reindex();

 private:
  std::map<std::string, size_t, std::less<>> index_;
};

// Parses an import file. Checks that the form exists in `catalog`, that every
// row belongs to the form (a fixed row, a code of the section's code list, or a
// row of a dynamic section), that every column exists in the row's section, and
// reads every cell by its column type. Errors name `source`, the row and the
// column: "x.json：rows[4]（行 2101599），栏 amout：…部分没有这一栏".
Result<Report> parse_report(std::string_view json_text, std::string_view source,
                            const Catalog& catalog);

// When a refusal is about one cell (a column the row's section lacks, a value
// that is not text, text its column type cannot read), which cell and why,
// without the file and path: a reader of another format (a CSV) points at its
// own line with it instead of reading the message.
struct CellProblem {
  std::string row;
  std::string column;
  std::string reason;
};
Result<Report> parse_report(std::string_view json_text, std::string_view source,
                            const Catalog& catalog, CellProblem* problem);

// The not-in-source marks as the import file writes them (a JSON array, ""
// when there are none), and back: a replica and the sync log keep them so.
std::string encode_not_in_source(const NotInSource& marks);
Result<NotInSource> parse_not_in_source(std::string_view json_text, const FormTemplate& form);

}  // namespace budgetsync
