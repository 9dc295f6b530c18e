// Classification code lists (支出功能分类, 部门支出经济分类), versioned by year.
// A list is data, replaceable each year: shared/data/codes/<year>/<list>.json.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "shared/status.h"

namespace budgetsync {

struct CodeEntry {
  std::string code;
  std::string name;
  std::string parent;  // empty for a top-level code (类)
};

class CodeList {
 public:
  CodeList() = default;
  CodeList(std::string id, int year, std::string title, std::vector<CodeEntry> entries);

  const std::string& id() const { return id_; }
  int year() const { return year_; }
  const std::string& title() const { return title_; }
  const CodeEntry* find(std::string_view code) const;
  const std::vector<CodeEntry>& entries() const { return entries_; }
  // The parent a code has in this list, or, for a code the list does not know,
  // the longest proper prefix that is in the list (empty when none).
  std::string parent_of(std::string_view code) const;

 private:
  std::string id_;
  int year_ = 0;
  std::string title_;
  std::vector<CodeEntry> entries_;
  std::map<std::string, size_t, std::less<>> index_;
};

// True when `s` has the shape of a classification code: one or more ASCII digits.
bool is_classification_code(std::string_view s);

// Parses a code list file (format "budgetsync-codes/1", see docs/template-format.md).
// Every entry needs a code of digits and a name; a parent, when given, must be an
// entry of the list; when absent it is the code's longest listed prefix. Errors
// name `source` and the JSON field.
Result<CodeList> parse_code_list(std::string_view json_text, std::string_view source);

// Parses a year's official list as CSV: one code per line, "code,name" or
// "code,name,parent" (a header line such as 编码,名称 is skipped; full-width
// digits are read). Errors are in Chinese and name `source` and the line.
Result<CodeList> parse_code_list_csv(std::string_view csv_text, std::string_view source,
                                     const std::string& id, int year, const std::string& title);

// The list in the budgetsync-codes/1 format; parsing it gives the list back.
std::string render_code_list_json(const CodeList& list);

}  // namespace budgetsync
