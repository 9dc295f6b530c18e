// The import files that hold tables: Excel workbooks and CSV laid out as the
// table, read and matched to reports (grid_import.h); the one place the command
// line and the desktop app take them from, and the JSON both show of a match.
#pragma once

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "client/grid_import.h"
#include "shared/catalog.h"
#include "shared/status.h"

namespace budgetsync::client {

// .xlsx, .xlsm or .xls, whatever the case of the extension.
bool is_workbook_path(const std::filesystem::path& path);

// A CSV in the long format (one line per cell: row, column, value, under a
// header naming them) rather than laid out as the table.
bool is_long_csv(std::string_view text);

// Reads a workbook, or a CSV laid out as the table, and finds its reports (none,
// when no sheet is one: the caller says so, after showing what was left out).
Result<GridImport> read_table_file(const std::filesystem::path& path, const Catalog& catalog,
                                   const GridImportOptions& options);

// What a file was matched to, as the preview shows it: {"file", "sheets": [{sheet,
// report, form_title, rows, cells, money_unit}], "unmatched": [{sheet, address, what}]}.
nlohmann::ordered_json grid_import_json(const std::string& file, const GridImport& found);

}  // namespace budgetsync::client
