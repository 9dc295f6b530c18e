// The JSON shapes that both `budgetsync --json` and the desktop UI's API
// answer with, built in one place so the two never drift apart.
#pragma once

#include <nlohmann/json.hpp>

#include "client/replica.h"
#include "shared/check.h"

namespace budgetsync::client {

// What every list of reports says of one: report, unit, unit_name, form_title,
// name, state, state_by, state_reason.
nlohmann::ordered_json report_summary_json(const ReportSummary& summary);

// A scored report's parts: row, label, target, actual, weight, stated,
// computed (exact; null when scored by hand), agrees.
nlohmann::ordered_json score_items_json(const ScoreSummary& summary);

// An open conflict's competing values: op, author, value (null: the row was
// deleted), hlc, and at (the editing device's local time).
nlohmann::ordered_json conflict_values_json(const Replica::OpenConflict& conflict);

// An edit the server refused: op, kind, report, row, column, value, at, reason.
nlohmann::ordered_json rejected_json(const OpRecord& record);

// `status`'s fields of the replica: unit, unit_name, user, device, reports,
// pending_ops, rejected_ops, open_conflicts, rekeyed_from, rekeyed_ops.
nlohmann::ordered_json status_fields(const ReplicaStatus& s);
// Adds the sync agent's state at `now_ms`: server, online, agent_running,
// last_sync, last_sync_ms, last_error.
void add_sync_status(const Replica& replica, int64_t now_ms, nlohmann::ordered_json& out);

}  // namespace budgetsync::client
