// The review workflow's report states (architecture.md, "Review workflow") and
// the state operation that moves a report between them. A state change is an
// operation in the same change log as cell edits: kind "state", its value the
// JSON text of a StateChange.
//
//   draft ──submit──▶ submitted ──approve──▶ approved
//     ▲                  │                     │
//     │               return (reason)     reopen (reason, reviewer)
//     │                  ▼                     │
//     └──(edits)──── returned ◀────────────────┘
//
// A returned report is editable like a draft and is submitted again from there;
// it keeps the name "returned" until then so staff see the reviewer's reason.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shared/status.h"

namespace budgetsync::sync {

enum class ReportState { kDraft, kSubmitted, kReturned, kApproved };
std::string_view state_name(ReportState s);
Result<ReportState> parse_state(std::string_view name);
// 草稿, 已上报, 已退回, 审核通过
std::string_view state_label(ReportState s);
// Cell and row edits to a report in this state are refused (report_locked).
bool is_locked(ReportState s);

enum class StateAction { kSubmit, kReturn, kApprove, kReopen };
std::string_view action_name(StateAction a);
// 上报, 退回, 审核通过, 重新打开: the action as a message names it
std::string_view action_verb(StateAction a);
Result<StateAction> parse_action(std::string_view name);
// Return and reopen must say why.
bool needs_reason(StateAction a);
// Submit is for the unit's staff; the others are for a reviewer above it.
bool is_review_action(StateAction a);

// Where an action leaves a report, whatever it came from.
ReportState state_after(StateAction a);

// The state `action` leads to from `from`, or FailedPrecondition naming the
// current state and what may be done instead.
Result<ReportState> next_state(ReportState from, StateAction action);

// One cell as the submitter saw it.
struct SnapshotCell {
  std::string row;
  std::string column;
  std::string value;
  bool operator==(const SnapshotCell&) const = default;
};

// What a state operation carries.
struct StateChange {
  StateAction action = StateAction::kSubmit;
  std::string reason;  // return, reopen
  // submit: every non-blank cell of the report as the submitter saw it (the
  // server refuses the submission when its own cells differ, so this is exactly
  // what was submitted), and the validation warnings it was submitted with.
  std::vector<SnapshotCell> cells;
  std::vector<std::string> warnings;
  bool operator==(const StateChange&) const = default;
};

std::string encode_state_change(const StateChange& c);
// Refuses malformed text, unknown actions and a return or reopen without a
// reason, naming the field.
Result<StateChange> parse_state_change(std::string_view text);

}  // namespace budgetsync::sync
