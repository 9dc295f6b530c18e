#include "sync/report_info.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace budgetsync::sync {

using json = nlohmann::json;

std::string encode_report_info(const ReportInfo& info) {
  return json{{"unit_name", info.unit_name}, {"source", info.source}}.dump();
}

Result<ReportInfo> parse_report_info(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  auto bad = [](std::string_view where, std::string_view what) {
    return Status::InvalidArgument(fmt::format("report info {}: {}", where, what));
  };
  if (!j.is_object()) return bad("", "must be a JSON object");
  ReportInfo info;
  for (auto [name, field] : {std::pair{"unit_name", &info.unit_name},
                             std::pair{"source", &info.source}}) {
    auto it = j.find(name);
    if (it == j.end()) continue;
    if (!it->is_string()) return bad(name, "must be a string");
    *field = it->get<std::string>();
    if (field->size() > kMaxReportInfoField)
      return bad(name, fmt::format("is longer than {} bytes", kMaxReportInfoField));
  }
  return info;
}

}  // namespace budgetsync::sync
