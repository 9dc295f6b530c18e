// Operations: the unit of the change log. Every local edit appends one; the
// sync protocol carries them and the merge rules apply them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shared/report.h"
#include "shared/status.h"
#include "sync/hlc.h"

namespace budgetsync::sync {

// Globally unique: the device that made the operation and its counter there.
struct OpId {
  std::string device;
  int64_t counter = 0;

  std::string to_string() const;  // "DEVICE:COUNTER"
  static Result<OpId> parse(std::string_view text);
  auto operator<=>(const OpId&) const = default;
};

enum class OpKind {
  kSetCell,      // a cell gets a value
  kAddRow,       // a dynamic row appears (row key, section, sort key)
  kDeleteRow,    // a dynamic row gets a tombstone
  kImport,       // a whole report file was imported; its cells carry this op
  kState,        // the report's review state changes (sync/report_state.h)
  kConsolidate,  // a consolidated (汇总) report was rebuilt; the value names its sources
  kReportInfo,   // the report's unit name and source (sync/report_info.h)
};
std::string_view op_kind_name(OpKind k);
Result<OpKind> parse_op_kind(std::string_view name);

struct Operation {
  OpId id;
  Hlc hlc;
  std::string author;
  OpKind kind = OpKind::kSetCell;
  ReportKey report;
  std::string row;
  std::string column;
  std::optional<std::string> value;  // none: a tombstone
  int64_t base_version = 0;          // the server version of the cell the editor saw
  std::string section;               // kAddRow
  std::string sort_key;              // kAddRow
};

}  // namespace budgetsync::sync
