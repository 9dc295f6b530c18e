// What a report_info operation carries: the descriptive fields of a report that
// are not cells — the unit's name as the report states it, where the report
// came from (an imported file, "汇总" for a consolidation), the 金额单位 its
// amounts are written in when that is not the form's, and the parts its source
// document does not have (the import file's not_in_source marks). An import sends one
// after its cells and a consolidation one when it creates its report, so a
// replica that receives the report by sync shows and exports the same fields as
// the device that made it. The latest in the log wins (merge_report_info),
// except over an info that states no unit (`new`'s).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "shared/status.h"

namespace budgetsync::sync {

struct ReportInfo {
  std::string unit_name;
  std::string source;
  std::string money_unit;     // "元" or "万元"; "": the form's
  std::string not_in_source;  // a JSON array as in the import file; "": none
  bool operator==(const ReportInfo&) const = default;
};

// At most this many bytes in each field (a name or a file name, never a
// document); the not-in-source marks may take kMaxNotInSource.
inline constexpr size_t kMaxReportInfoField = 1024;
inline constexpr size_t kMaxNotInSource = 64 * 1024;

// JSON text: {"unit_name": "...", "source": "..."} and, when set,
// "money_unit": "元" and "not_in_source": [...].
std::string encode_report_info(const ReportInfo& info);
// Refuses text that is not such an object, a field that is not a string (the
// marks: not an array) or is longer than its limit, a money_unit other than
// 元 or 万元, naming the field.
Result<ReportInfo> parse_report_info(std::string_view text);

// The info a report has after `incoming`, given the one it had (none: no info
// yet). Whoever writes a report's cells (an import, a consolidation) states
// their unit outright; only `new`, which writes none, states no unit. So an
// incoming info with a unit replaces the one the report had, and one without
// (a report made empty on a device that had not yet seen its import) takes
// only the unit's name from it: the report keeps its unit, its not-in-source
// marks and its source — its cells are written in that unit, and reading them
// in another would misread every amount. Every store of report infos (the
// replica, the server stores) applies the log's infos through this, in log
// order, so they agree.
ReportInfo merge_report_info(const std::optional<ReportInfo>& current, ReportInfo incoming);
// The same on stored texts (encode_report_info): an absent or unreadable
// current is none, an unreadable incoming is kept as it is.
std::string merge_report_info_text(const std::optional<std::string>& current,
                                   const std::string& incoming);

}  // namespace budgetsync::sync
