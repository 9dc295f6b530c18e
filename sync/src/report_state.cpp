#include "sync/report_state.h"

#include <fmt/format.h>

#include <array>
#include <nlohmann/json.hpp>

namespace budgetsync::sync {
namespace {

using nlohmann::json;

struct StateNames {
  ReportState state;
  std::string_view name;
  std::string_view label;
};
constexpr std::array<StateNames, 4> kStates{{
    {ReportState::kDraft, "draft", "草稿"},
    {ReportState::kSubmitted, "submitted", "已上报"},
    {ReportState::kReturned, "returned", "已退回"},
    {ReportState::kApproved, "approved", "审核通过"},
}};

struct ActionNames {
  StateAction action;
  std::string_view name;
  std::string_view label;
};
constexpr std::array<ActionNames, 4> kActions{{
    {StateAction::kSubmit, "submit", "上报"},
    {StateAction::kReturn, "return", "退回"},
    {StateAction::kApprove, "approve", "审核通过"},
    {StateAction::kReopen, "reopen", "重新打开"},
}};

}  // namespace

std::string_view state_name(ReportState s) {
  for (const auto& n : kStates) {
    if (n.state == s) return n.name;
  }
  return "?";
}

std::string_view state_label(ReportState s) {
  for (const auto& n : kStates) {
    if (n.state == s) return n.label;
  }
  return "?";
}

Result<ReportState> parse_state(std::string_view name) {
  for (const auto& n : kStates) {
    if (n.name == name) return n.state;
  }
  return Status::InvalidArgument(
      fmt::format("不认识的报表状态“{}”（应为 draft、submitted、returned 或 approved）", name));
}

bool is_locked(ReportState s) {
  return s == ReportState::kSubmitted || s == ReportState::kApproved;
}

std::string_view action_name(StateAction a) {
  for (const auto& n : kActions) {
    if (n.action == a) return n.name;
  }
  return "?";
}

std::string_view action_verb(StateAction a) {
  for (const auto& n : kActions) {
    if (n.action == a) return n.label;
  }
  return "?";
}

Result<StateAction> parse_action(std::string_view name) {
  for (const auto& n : kActions) {
    if (n.name == name) return n.action;
  }
  return Status::InvalidArgument(
      fmt::format("不认识的状态操作“{}”（应为 submit、return、approve 或 reopen）", name));
}

bool needs_reason(StateAction a) {
  return a == StateAction::kReturn || a == StateAction::kReopen;
}

bool is_review_action(StateAction a) {
  return a != StateAction::kSubmit;
}

ReportState state_after(StateAction a) {
  switch (a) {
    case StateAction::kSubmit:
      return ReportState::kSubmitted;
    case StateAction::kApprove:
      return ReportState::kApproved;
    case StateAction::kReturn:
    case StateAction::kReopen:
      break;
  }
  return ReportState::kReturned;
}

Result<ReportState> next_state(ReportState from, StateAction action) {
  switch (action) {
    case StateAction::kSubmit:
      if (from == ReportState::kDraft || from == ReportState::kReturned)
        return ReportState::kSubmitted;
      break;
    case StateAction::kReturn:
      if (from == ReportState::kSubmitted) return ReportState::kReturned;
      break;
    case StateAction::kApprove:
      if (from == ReportState::kSubmitted) return ReportState::kApproved;
      break;
    case StateAction::kReopen:
      if (from == ReportState::kApproved) return ReportState::kReturned;
      break;
  }
  std::string_view instead;
  switch (from) {
    case ReportState::kDraft:
    case ReportState::kReturned:
      instead = "只能上报";
      break;
    case ReportState::kSubmitted:
      instead = "审核人可以退回或审核通过";
      break;
    case ReportState::kApproved:
      instead = "只有审核人可以重新打开，并须说明理由";
      break;
  }
  return Status::FailedPrecondition(fmt::format("报表现为{}（{}），不能{}（{}）；{}",
                                                state_label(from), state_name(from),
                                                action_verb(action), action_name(action), instead));
}

std::string encode_state_change(const StateChange& c) {
  json j{{"action", std::string(action_name(c.action))}};
  if (!c.reason.empty()) j["reason"] = c.reason;
  if (c.action == StateAction::kSubmit) {
    json cells = json::array();
    for (const auto& cell : c.cells)
      cells.push_back(json::array({cell.row, cell.column, cell.value}));
    j["cells"] = std::move(cells);
    j["warnings"] = c.warnings;
  }
  return j.dump();
}

Result<StateChange> parse_state_change(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  auto bad = [](std::string_view where, std::string_view what) {
    return Status::InvalidArgument(where.empty() ? fmt::format("状态变更：{}", what)
                                                 : fmt::format("状态变更的 {}：{}", where, what));
  };
  if (!j.is_object()) return bad("", "必须是 JSON 对象");
  StateChange c;
  auto action = j.find("action");
  if (action == j.end() || !action->is_string()) return bad("action", "必须是字符串");
  auto a = parse_action(action->get<std::string>());
  if (!a.ok()) return bad("action", a.status().message());
  c.action = *a;
  if (auto r = j.find("reason"); r != j.end()) {
    if (!r->is_string()) return bad("reason", "必须是字符串");
    c.reason = r->get<std::string>();
  }
  if (needs_reason(c.action) && c.reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    return bad("reason",
               fmt::format("{}需要填写理由，写明单位人员应当怎样处理", action_verb(c.action)));
  }
  if (auto cells = j.find("cells"); cells != j.end()) {
    if (!cells->is_array()) return bad("cells", "必须是数组");
    for (size_t i = 0; i < cells->size(); ++i) {
      const json& cell = (*cells)[i];
      if (!cell.is_array() || cell.size() != 3 || !cell[0].is_string() || !cell[1].is_string() ||
          !cell[2].is_string()) {
        return bad(fmt::format("cells[{}]", i), "必须是由三个字符串（行、栏、值）组成的数组");
      }
      c.cells.push_back(
          {cell[0].get<std::string>(), cell[1].get<std::string>(), cell[2].get<std::string>()});
    }
  }
  if (auto warnings = j.find("warnings"); warnings != j.end()) {
    if (!warnings->is_array()) return bad("warnings", "必须是数组");
    for (const auto& w : *warnings) {
      if (!w.is_string()) return bad("warnings", "只能包含字符串");
      c.warnings.push_back(w.get<std::string>());
    }
  }
  return c;
}

}  // namespace budgetsync::sync
