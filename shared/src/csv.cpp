#include "shared/csv.h"

#include <fmt/format.h>

#include <algorithm>

#include "shared/text.h"

namespace budgetsync {

Result<std::vector<CsvRecord>> split_csv(std::string_view text, std::string_view source) {
  std::vector<CsvRecord> records;
  CsvRecord cur{1, {}};
  std::string field;
  bool quoted = false;
  size_t line = 1;
  bool any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"') {
      if (!field.empty()) {
        return Status::InvalidArgument(
            fmt::format("{}：第 {} 行第 {} 栏：引号只能出现在栏的开头（栏内的引号写成两个 \"\"）",
                        source, line, cur.fields.size() + 1));
      }
      quoted = true;
      any = true;
    } else if (c == ',') {
      cur.fields.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        cur.fields.push_back(std::move(field));
        records.push_back(std::move(cur));
      }
      field.clear();
      any = false;
      ++line;
      cur = CsvRecord{line, {}};
    } else {
      field += c;
    }
  }
  if (quoted)
    return Status::InvalidArgument(
        fmt::format("{}：第 {} 行：以引号开头的栏没有结束引号", source, line));
  if (any || !field.empty()) {
    cur.fields.push_back(std::move(field));
    records.push_back(std::move(cur));
  }
  return records;
}

std::string_view csv_text(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  return text;
}

Status check_csv_utf8(std::string_view text, std::string_view source) {
  for (size_t begin = 0, line = 1; begin < text.size(); ++line) {
    const size_t end = std::min(text.find('\n', begin), text.size());
    if (!is_valid_utf8(text.substr(begin, end - begin))) {
      return Status::InvalidArgument(fmt::format(
          "{}：第 {} 行：文字不是 UTF-8 编码；请把文件另存为“CSV UTF-8”", source, line));
    }
    begin = end + 1;
  }
  return Status::Ok();
}

}  // namespace budgetsync
