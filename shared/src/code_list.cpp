#include "shared/code_list.h"

#include <algorithm>

#include "json_reader.h"

namespace budgetsync {

bool is_classification_code(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

CodeList::CodeList(std::string id, int year, std::string title, std::vector<CodeEntry> entries)
    : id_(std::move(id)), year_(year), title_(std::move(title)), entries_(std::move(entries)) {
  for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].code, i);
}

const CodeEntry* CodeList::find(std::string_view code) const {
  auto it = index_.find(code);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

std::string CodeList::parent_of(std::string_view code) const {
  if (const CodeEntry* e = find(code)) return e->parent;
  for (size_t len = code.size(); len-- > 1;) {
    if (find(code.substr(0, len))) return std::string(code.substr(0, len));
  }
  return {};
}

Result<CodeList> parse_code_list(std::string_view json_text, std::string_view source) {
  using namespace detail;
  try {
    const auto doc = parse_json_text(json_text);
    expect_format(doc, "budgetsync-codes/1");
    const std::string id = get_string(doc, "list", "");
    const int year = get_int(doc, "year", "");
    const std::string title = opt_string(doc, "title", "");
    const auto& arr = get_array(doc, "entries", "");
    std::vector<CodeEntry> entries;
    std::map<std::string, size_t, std::less<>> seen;
    for (size_t i = 0; i < arr.size(); ++i) {
      const std::string path = child("entries", i);
      CodeEntry e{get_string(arr[i], "code", path), get_string(arr[i], "name", path),
                  opt_string(arr[i], "parent", path)};
      if (!is_classification_code(e.code)) {
        throw JsonError(child(path, "code"), fmt::format("“{}” is not a code of digits", e.code));
      }
      if (!seen.emplace(e.code, i).second) {
        throw JsonError(child(path, "code"), fmt::format("code {} is listed twice", e.code));
      }
      entries.push_back(std::move(e));
    }
    // Parents: explicit ones must exist; missing ones come from the longest prefix.
    for (size_t i = 0; i < entries.size(); ++i) {
      auto& e = entries[i];
      if (!e.parent.empty()) {
        if (!seen.count(e.parent)) {
          throw JsonError(child(child("entries", i), "parent"),
                          fmt::format("parent {} is not in the list", e.parent));
        }
        continue;
      }
      for (size_t len = e.code.size(); len-- > 1;) {
        if (seen.count(e.code.substr(0, len))) {
          e.parent = e.code.substr(0, len);
          break;
        }
      }
    }
    return CodeList(id, year, title, std::move(entries));
  } catch (const JsonError& e) {
    return to_status(source, e);
  }
}

}  // namespace budgetsync
