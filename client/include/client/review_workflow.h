// The review workflow's steps without a terminal: what the `submit`, `review`
// and `consolidate` commands and the desktop UI's API both do, returning what
// happened for each to show in its own way.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "client/replica.h"
#include "shared/catalog.h"
#include "shared/check.h"

namespace budgetsync::client {

// When a state change happened, as local time: the server's time once it was
// logged, else the editing device's.
std::string event_time(int64_t server_ms, const sync::Hlc& hlc);
// Only what concerns `key`, scores left out.
CheckResult findings_of(const CheckResult& all, const ReportKey& key);
// The accepted submissions among a report's state changes, oldest first.
std::vector<StateEvent> accepted_submissions(const std::vector<StateEvent>& events);

// ---- submit ----

struct SubmitOutcome {
  ReportKey report;
  bool submitted = false;
  CheckResult errors;                 // the findings that blocked it (errors and warnings)
  std::vector<std::string> warnings;  // recorded with the submission
  std::string refused;                // why the replica refused it ("" when not)
  sync::OpId op;
};
// Submits one report unless `check` (the unit's reports of its year, checked
// together) has errors on it; warnings go with the submission.
SubmitOutcome submit_report(Replica& replica, const CheckResult& check, const ReportKey& key);
// The validation a submission is judged by: every report of the key's unit and
// year, checked together (cross-table rules need the others). `in_place_of`,
// when given, is checked instead of the stored report of its key (a preview of
// values not saved).
Result<CheckResult> check_unit_year(const Replica& replica, const Catalog& catalog,
                                    const ReportKey& key, const Report* in_place_of = nullptr);

// ---- review ----

struct ReviewFilter {
  std::optional<sync::ReportState> state;  // none: every state
  int year = 0;                            // 0: every year
};
// One line of the reviewer's list (`review list`, the UI's dashboard).
struct ReviewRow {
  ReportSummary summary;
  std::string submitted_at;  // local time of the latest accepted submission
  std::string submitted_by;
  int errors = 0;
  int warnings = 0;
  int open_conflicts = 0;
  std::string consolidation_stale;  // why a consolidation no longer matches, or ""
};
Result<std::vector<ReviewRow>> review_rows(Replica& replica, const Catalog& catalog,
                                           const ReviewFilter& filter);
nlohmann::ordered_json review_row_json(const ReviewRow& row);

// Return, approve or reopen: refused for staff, and when the state does not
// allow it; sent at the next sync, where the server checks it again.
Result<sync::OpId> review_step(Replica& replica, const ReportKey& key, sync::StateAction action,
                               const std::string& reason);

// ---- consolidate ----

struct ConsolidateRequest {
  std::string unit;  // empty: the replica's unit
  int year = 0;
  std::vector<std::string> forms;  // empty: every 预算, 决算 and 基础数据 form the units filed
  std::vector<std::string> units;  // empty: every unit below
  bool include_submitted = false;  // also reports submitted but not yet approved
  // The unit (one of `units`) that is the bureau's 本级: transfers between it
  // and the other units are offset (冲抵). Empty: nothing is offset.
  std::string parent;
};
// Builds the unit's consolidated reports from what the replica last synced
// (works offline). The answer: {unit, year, data_as_of, forms: [{form, built,
// report, cells_changed, recomputed, parent, offsets, mismatches, sources,
// skipped}]} naming which units' data was not used and why.
Result<nlohmann::ordered_json> consolidate_reports(Replica& replica, const Catalog& catalog,
                                                   const ConsolidateRequest& request);

// Why a consolidated report no longer matches its sources (a source was
// returned, reopened or submitted again since), or "" when it does or the
// report is not a consolidation.
std::string consolidation_staleness(Replica& replica, const ReportKey& key);

}  // namespace budgetsync::client
