#include "sync/operation.h"

#include <fmt/format.h>

#include <array>
#include <charconv>

namespace budgetsync::sync {
namespace {

constexpr std::array<std::pair<OpKind, std::string_view>, 7> kKinds{{
    {OpKind::kSetCell, "set"},
    {OpKind::kAddRow, "add_row"},
    {OpKind::kDeleteRow, "delete_row"},
    {OpKind::kImport, "import"},
    {OpKind::kState, "state"},
    {OpKind::kConsolidate, "consolidate"},
    {OpKind::kReportInfo, "report_info"},
}};

}  // namespace

std::string OpId::to_string() const {
  return fmt::format("{}:{}", device, counter);
}

Result<OpId> OpId::parse(std::string_view text) {
  const auto colon = text.rfind(':');
  OpId id;
  if (colon == std::string_view::npos || colon == 0) {
    return Status::InvalidArgument(fmt::format("“{}”不是操作编号（格式为 DEVICE:COUNTER）", text));
  }
  id.device = std::string(text.substr(0, colon));
  auto [p, ec] = std::from_chars(text.data() + colon + 1, text.data() + text.size(), id.counter);
  if (ec != std::errc() || p != text.data() + text.size() || id.counter <= 0) {
    return Status::InvalidArgument(fmt::format("“{}”不是操作编号（格式为 DEVICE:COUNTER）", text));
  }
  return id;
}

std::string_view op_kind_name(OpKind k) {
  for (const auto& [kind, name] : kKinds) {
    if (kind == k) return name;
  }
  return "?";
}

Result<OpKind> parse_op_kind(std::string_view name) {
  for (const auto& [kind, n] : kKinds) {
    if (n == name) return kind;
  }
  return Status::InvalidArgument(fmt::format("不认识的操作类型“{}”", name));
}

}  // namespace budgetsync::sync
