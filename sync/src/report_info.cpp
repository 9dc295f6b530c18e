#include "sync/report_info.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace budgetsync::sync {

using json = nlohmann::json;

std::string encode_report_info(const ReportInfo& info) {
  json j{{"unit_name", info.unit_name}, {"source", info.source}};
  if (!info.money_unit.empty()) j["money_unit"] = info.money_unit;
  if (!info.not_in_source.empty()) {
    json marks = json::parse(info.not_in_source, nullptr, false);
    j["not_in_source"] = marks.is_array() ? marks : json::array();
  }
  return j.dump();
}

namespace {

// The shape of the import file's marks: objects whose members are strings,
// booleans or lists of strings. Checked before anything walks the value, so
// no hostile nesting reaches a recursive serializer.
bool marks_shaped(const json& marks) {
  for (const auto& mark : marks) {
    if (!mark.is_object()) return false;
    for (const auto& [key, v] : mark.items()) {
      if (v.is_string() || v.is_boolean()) continue;
      if (!v.is_array()) return false;
      for (const auto& item : v) {
        if (!item.is_string()) return false;
      }
    }
  }
  return true;
}

}  // namespace

Result<ReportInfo> parse_report_info(std::string_view text) {
  auto bad = [](std::string_view where, std::string_view what) {
    return Status::InvalidArgument(where.empty() ? fmt::format("报表信息：{}", what)
                                                 : fmt::format("报表信息的 {}：{}", where, what));
  };
  if (text.size() > kMaxNotInSource + 2 * kMaxReportInfoField + 1024) return bad("", "太长");
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return bad("", "必须是 JSON 对象");
  ReportInfo info;
  for (auto [name, field] :
       {std::pair{"unit_name", &info.unit_name}, std::pair{"source", &info.source}}) {
    auto it = j.find(name);
    if (it == j.end()) continue;
    if (!it->is_string()) return bad(name, "必须是字符串");
    *field = it->get<std::string>();
    if (field->size() > kMaxReportInfoField)
      return bad(name, fmt::format("超过了 {} 字节", kMaxReportInfoField));
  }
  if (auto it = j.find("money_unit"); it != j.end()) {
    if (!it->is_string() || (*it != "元" && *it != "万元"))
      return bad("money_unit", "必须是“元”或“万元”");
    info.money_unit = it->get<std::string>();
  }
  if (auto it = j.find("not_in_source"); it != j.end()) {
    if (!it->is_array()) return bad("not_in_source", "必须是数组");
    if (!marks_shaped(*it))
      return bad("not_in_source", "只能列出由字符串、布尔值和字符串列表组成的对象");
    if (!it->empty()) info.not_in_source = it->dump();
    if (info.not_in_source.size() > kMaxNotInSource)
      return bad("not_in_source", fmt::format("超过了 {} 字节", kMaxNotInSource));
  }
  return info;
}

ReportInfo merge_report_info(const std::optional<ReportInfo>& current, ReportInfo incoming) {
  if (!current || !incoming.money_unit.empty()) return incoming;
  incoming.money_unit = current->money_unit;
  incoming.not_in_source = current->not_in_source;
  incoming.source = current->source;
  return incoming;
}

std::string merge_report_info_text(const std::optional<std::string>& current,
                                   const std::string& incoming) {
  auto next = parse_report_info(incoming);
  if (!next.ok()) return incoming;
  std::optional<ReportInfo> now;
  if (current) {
    if (auto parsed = parse_report_info(*current); parsed.ok()) now = std::move(*parsed);
  }
  if (!now || !next->money_unit.empty()) return incoming;
  return encode_report_info(merge_report_info(now, std::move(*next)));
}

}  // namespace budgetsync::sync
