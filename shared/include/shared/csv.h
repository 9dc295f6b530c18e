// CSV text as records of fields (RFC 4180 quoting): the one reader behind every
// CSV the program takes (report cells, code lists).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shared/status.h"

namespace budgetsync {

struct CsvRecord {
  size_t line;  // the line the record starts on
  std::vector<std::string> fields;
};

// A spreadsheet may save CSV in the system's code page (GBK on a Chinese
// desktop): the first line that is not UTF-8 is named, rather than misread.
// The text is taken after any byte-order mark (csv_text drops it).
Status check_csv_utf8(std::string_view text, std::string_view source);
// The text without a spreadsheet's UTF-8 byte-order mark.
std::string_view csv_text(std::string_view text);

// Blank lines are skipped. A quote inside an unquoted field, or a quoted field
// left open, is InvalidArgument naming `source` and the line.
Result<std::vector<CsvRecord>> split_csv(std::string_view text, std::string_view source);

}  // namespace budgetsync
