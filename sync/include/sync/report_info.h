// What a report_info operation carries: the descriptive fields of a report that
// are not cells — the unit's name as the report states it and where the report
// came from (an imported file, "汇总" for a consolidation). An import sends one
// after its cells and a consolidation one when it creates its report, so a
// replica that receives the report by sync shows and exports the same fields as
// the device that made it. The latest in the log wins; nothing merges.
#pragma once

#include <string>
#include <string_view>

#include "shared/status.h"

namespace budgetsync::sync {

struct ReportInfo {
  std::string unit_name;
  std::string source;
  bool operator==(const ReportInfo&) const = default;
};

// At most this many bytes in each field (a name or a file name, never a document).
inline constexpr size_t kMaxReportInfoField = 1024;

// JSON text: {"unit_name": "...", "source": "..."}.
std::string encode_report_info(const ReportInfo& info);
// Refuses text that is not such an object, a field that is not a string or is
// longer than kMaxReportInfoField, naming the field.
Result<ReportInfo> parse_report_info(std::string_view text);

}  // namespace budgetsync::sync
