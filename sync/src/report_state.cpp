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

constexpr std::array<std::pair<StateAction, std::string_view>, 4> kActions{{
    {StateAction::kSubmit, "submit"},
    {StateAction::kReturn, "return"},
    {StateAction::kApprove, "approve"},
    {StateAction::kReopen, "reopen"},
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
      fmt::format("unknown report state “{}” (draft, submitted, returned or approved)", name));
}

bool is_locked(ReportState s) {
  return s == ReportState::kSubmitted || s == ReportState::kApproved;
}

std::string_view action_name(StateAction a) {
  for (const auto& [action, name] : kActions) {
    if (action == a) return name;
  }
  return "?";
}

Result<StateAction> parse_action(std::string_view name) {
  for (const auto& [action, n] : kActions) {
    if (n == name) return action;
  }
  return Status::InvalidArgument(
      fmt::format("unknown state action “{}” (submit, return, approve or reopen)", name));
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
      instead = "it can only be submitted";
      break;
    case ReportState::kSubmitted:
      instead = "a reviewer can return or approve it";
      break;
    case ReportState::kApproved:
      instead = "only a reviewer can reopen it, with a reason";
      break;
  }
  return Status::FailedPrecondition(fmt::format("the report is {} ({}): {} is not possible; {}",
                                                state_name(from), state_label(from),
                                                action_name(action), instead));
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
    return Status::InvalidArgument(fmt::format("state change {}: {}", where, what));
  };
  if (!j.is_object()) return bad("", "must be a JSON object");
  StateChange c;
  auto action = j.find("action");
  if (action == j.end() || !action->is_string()) return bad("action", "must be a string");
  auto a = parse_action(action->get<std::string>());
  if (!a.ok()) return bad("action", a.status().message());
  c.action = *a;
  if (auto r = j.find("reason"); r != j.end()) {
    if (!r->is_string()) return bad("reason", "must be a string");
    c.reason = r->get<std::string>();
  }
  if (needs_reason(c.action) && c.reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    return bad("reason",
               fmt::format("{} needs a reason the unit's staff can act on", action_name(c.action)));
  }
  if (auto cells = j.find("cells"); cells != j.end()) {
    if (!cells->is_array()) return bad("cells", "must be an array");
    for (size_t i = 0; i < cells->size(); ++i) {
      const json& cell = (*cells)[i];
      if (!cell.is_array() || cell.size() != 3 || !cell[0].is_string() || !cell[1].is_string() ||
          !cell[2].is_string()) {
        return bad(fmt::format("cells[{}]", i), "must be [row, column, value] strings");
      }
      c.cells.push_back(
          {cell[0].get<std::string>(), cell[1].get<std::string>(), cell[2].get<std::string>()});
    }
  }
  if (auto warnings = j.find("warnings"); warnings != j.end()) {
    if (!warnings->is_array()) return bad("warnings", "must be an array");
    for (const auto& w : *warnings) {
      if (!w.is_string()) return bad("warnings", "must hold strings");
      c.warnings.push_back(w.get<std::string>());
    }
  }
  return c;
}

}  // namespace budgetsync::sync
