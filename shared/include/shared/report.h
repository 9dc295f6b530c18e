// Reports: one form filled in by one unit for one fiscal year, as read from an
// import file (format "budgetsync-report/1", docs/import-format.md).
#pragma once

#include <compare>
#include <map>
#include <string>
#include <string_view>
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

class Report {
 public:
  ReportKey key;
  std::string unit_name;
  int template_version = 1;
  std::string source;           // where it came from (file, seed table)
  std::vector<ReportRow> rows;  // in printed order

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
// column: "x.json: rows[4] (row 2101599): column amout: no such column".
Result<Report> parse_report(std::string_view json_text, std::string_view source,
                            const Catalog& catalog);

}  // namespace budgetsync
