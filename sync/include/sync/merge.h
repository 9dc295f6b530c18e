// The merge rules of ../shared/design/architecture.md ("Change log and merge"),
// as pure functions: an operation and the server's current state of its cell
// in, the new state and the operation's outcome out. No I/O.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sync/hlc.h"
#include "sync/operation.h"

namespace budgetsync::sync {

// One competing value of an open conflict.
struct Contender {
  OpId op;
  std::string author;
  Hlc hlc;
  std::optional<std::string> value;  // none: the row was deleted (a tombstone)
  int64_t base_version = 0;
  bool operator==(const Contender&) const = default;
};

// The server's state of one cell.
struct ServerCell {
  std::optional<std::string> value;  // the visible value; none: never set
  int64_t version = 0;               // log sequence of the last accepted change
  Hlc hlc;
  OpId writer;
  std::string author;
  int64_t writer_base = 0;  // the version the writer's edit was based on
  // Non-empty while a conflict is open: every competing value, the visible one
  // included, in a deterministic order (winner first).
  std::vector<Contender> conflict;
  bool operator==(const ServerCell&) const = default;
};

enum class Outcome {
  kApplied,   // the cell took the value
  kConflict,  // kept as a competing value; the visible value is the winner's
  kRejected,  // refused (authorization, a locked report, a malformed op): nothing changed
};
std::string_view outcome_name(Outcome o);

struct MergeResult {
  Outcome outcome = Outcome::kApplied;
  ServerCell cell;  // the cell after the operation
};

// Merges a cell edit (`op.kind == kSetCell`) into `current`. `new_version` is the
// log sequence the operation gets if accepted. `row_deleted` carries the
// tombstone of the cell's row when it has one: an edit concurrent with a row
// deletion is a conflict, never dropped and never a resurrection.
//
//  - base == current version, or the current value was written earlier by the
//    same device with no conflict open since: applied; an edit based on what
//    the editor saw resolves an open conflict.
//  - base != current version, same value: accepted, no conflict; the cell and
//    its version are unchanged.
//  - base != current version, different value: a conflict keeping every value;
//    the visible one is the winner (larger hybrid clock, then larger device id).
MergeResult merge_set(const ServerCell& current, const Operation& op, int64_t new_version,
                      const std::optional<Contender>& row_deleted = std::nullopt);

// The deterministic winner among contenders: larger hybrid clock, then larger
// device id, then larger counter.
bool wins_over(const Contender& a, const Contender& b);

}  // namespace budgetsync::sync
