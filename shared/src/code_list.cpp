#include "shared/code_list.h"

#include <algorithm>
#include <map>
#include <optional>

#include "json_reader.h"
#include "shared/csv.h"
#include "shared/text.h"

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

namespace {

// Fills each missing parent with the code's longest listed prefix. Returns the
// index of an entry whose explicit parent is not in the list, if any.
std::optional<size_t> fill_parents(std::vector<CodeEntry>& entries,
                                   const std::map<std::string, size_t, std::less<>>& seen) {
  for (size_t i = 0; i < entries.size(); ++i) {
    auto& e = entries[i];
    if (!e.parent.empty()) {
      if (!seen.count(e.parent)) return i;
      continue;
    }
    for (size_t len = e.code.size(); len-- > 1;) {
      if (seen.count(e.code.substr(0, len))) {
        e.parent = e.code.substr(0, len);
        break;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

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
        throw JsonError(child(path, "code"), fmt::format("“{}”不是由数字组成的科目编码", e.code));
      }
      if (!seen.emplace(e.code, i).second) {
        throw JsonError(child(path, "code"), fmt::format("科目编码 {} 列了两次", e.code));
      }
      entries.push_back(std::move(e));
    }
    // Parents: explicit ones must exist; missing ones come from the longest prefix.
    if (auto bad = fill_parents(entries, seen)) {
      throw JsonError(child(child("entries", *bad), "parent"),
                      fmt::format("上级科目 {} 不在表中", entries[*bad].parent));
    }
    return CodeList(id, year, title, std::move(entries));
  } catch (const JsonError& e) {
    return to_status(source, e);
  }
}

Result<CodeList> parse_code_list_csv(std::string_view csv_text, std::string_view source,
                                     const std::string& id, int year, const std::string& title) {
  auto records = split_csv(csv_text, source);
  if (!records.ok()) return records.status();
  std::vector<CodeEntry> entries;
  std::map<std::string, size_t, std::less<>> seen;
  std::map<size_t, size_t> line_of;  // entry -> line
  for (const auto& rec : *records) {
    auto field = [&](size_t i) {
      return i < rec.fields.size() ? normalize_numeric_text(rec.fields[i]) : std::string();
    };
    const std::string code = field(0);
    if (code.empty()) continue;
    if (!is_classification_code(code)) {
      if (entries.empty()) continue;  // a header line
      return Status::InvalidArgument(fmt::format(
          "{}：第 {} 行：“{}”不是科目编码（编码只含数字，如 2101501）", source, rec.line, code));
    }
    const std::string name =
        rec.fields.size() > 1 ? std::string(trim(rec.fields[1])) : std::string();
    if (name.empty()) {
      return Status::InvalidArgument(
          fmt::format("{}：第 {} 行：科目编码 {} 没有名称", source, rec.line, code));
    }
    if (auto [it, inserted] = seen.emplace(code, entries.size()); !inserted) {
      return Status::InvalidArgument(fmt::format("{}：第 {} 行：科目编码 {} 与第 {} 行重复", source,
                                                 rec.line, code, line_of[it->second]));
    }
    line_of[entries.size()] = rec.line;
    entries.push_back({code, name, field(2)});
  }
  if (entries.empty()) {
    return Status::InvalidArgument(
        fmt::format("{}：没有读到任何科目编码（每行写“编码,名称”，如 2101501,行政运行）", source));
  }
  if (auto bad = fill_parents(entries, seen)) {
    return Status::InvalidArgument(fmt::format("{}：第 {} 行：上级编码 {} 不在这份科目表中", source,
                                               line_of[*bad], entries[*bad].parent));
  }
  return CodeList(id, year, title, std::move(entries));
}

std::string render_code_list_json(const CodeList& list) {
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const auto& e : list.entries()) {
    nlohmann::ordered_json o{{"code", e.code}, {"name", e.name}};
    if (!e.parent.empty()) o["parent"] = e.parent;
    entries.push_back(std::move(o));
  }
  return nlohmann::ordered_json{{"format", "budgetsync-codes/1"},
                                {"list", list.id()},
                                {"year", list.year()},
                                {"title", list.title()},
                                {"entries", std::move(entries)}}
             .dump(2) +
         "\n";
}

}  // namespace budgetsync
