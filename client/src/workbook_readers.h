// The file readers behind read_workbook (grid.h), one per format.
#pragma once

#include <filesystem>

#include "client/grid.h"

namespace budgetsync::client {

Result<Grid> read_xlsx(const std::filesystem::path& path);  // xlsx_read.cpp
Result<Grid> read_xls(const std::filesystem::path& path);   // workbook_read.cpp

}  // namespace budgetsync::client
