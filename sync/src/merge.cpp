#include "sync/merge.h"

#include <algorithm>

namespace budgetsync::sync {

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kApplied:
      return "applied";
    case Outcome::kConflict:
      return "conflict";
    case Outcome::kRejected:
      return "rejected";
  }
  return "?";
}

bool wins_over(const Contender& a, const Contender& b) {
  if (a.hlc != b.hlc) return a.hlc > b.hlc;
  if (a.op.device != b.op.device) return a.op.device > b.op.device;
  return a.op.counter > b.op.counter;
}

namespace {

Contender contender_of(const Operation& op) {
  return {op.id, op.author, op.hlc, op.value, op.base_version};
}

Contender contender_of(const ServerCell& cell) {
  return {cell.writer, cell.author, cell.hlc, cell.value, cell.writer_base};
}

ServerCell applied(const Operation& op, int64_t new_version) {
  ServerCell c;
  c.value = op.value;
  c.version = new_version;
  c.hlc = op.hlc;
  c.writer = op.id;
  c.author = op.author;
  c.writer_base = op.base_version;
  return c;
}

}  // namespace

MergeResult merge_set(const ServerCell& current, const Operation& op, int64_t new_version,
                      const std::optional<Contender>& row_deleted) {
  MergeResult r;
  // The editor saw the current value when it is the version they based the
  // edit on, or when their own device wrote it earlier (a device sees its own
  // edits before the server numbers them) and no conflict has opened since.
  const bool saw_current = op.base_version == current.version ||
                           (current.conflict.empty() && current.writer.device == op.id.device &&
                            current.writer.counter < op.id.counter);
  if (!row_deleted && saw_current) {
    r.cell = applied(
        op, new_version);  // the editor saw what is there: no conflict (any open one is resolved)
    return r;
  }
  if (!row_deleted && op.value == current.value && current.conflict.empty()) {
    // Concurrent, but the same value: accepted, and the cell is unchanged —
    // its version stays, so editors who saw it are not pushed into a conflict.
    r.cell = current;
    return r;
  }
  // A true conflict: keep every competing value.
  std::vector<Contender> all = current.conflict;
  if (all.empty()) {
    if (row_deleted) all.push_back(*row_deleted);
    if (current.value || current.version) all.push_back(contender_of(current));
  }
  const Contender incoming = contender_of(op);
  if (std::find(all.begin(), all.end(), incoming) == all.end()) all.push_back(incoming);
  std::sort(all.begin(), all.end(),
            [](const Contender& a, const Contender& b) { return wins_over(a, b); });
  r.outcome = Outcome::kConflict;
  if (row_deleted) {
    // The row stays deleted; the edit waits in the conflict for a person to
    // restore the row or let it go.
    r.cell = current;
    r.cell.version = new_version;
  } else {
    const Contender& winner = all.front();
    r.cell.value = winner.value;
    r.cell.hlc = winner.hlc;
    r.cell.writer = winner.op;
    r.cell.author = winner.author;
    r.cell.writer_base = winner.base_version;
    r.cell.version = new_version;
  }
  r.cell.conflict = std::move(all);
  return r;
}

}  // namespace budgetsync::sync
