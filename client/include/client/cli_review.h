// The review workflow's commands: staff submit (上报); a reviewer lists the
// subtree's reports, looks at a submission, returns (退回), approves (审核通过)
// or reopens it; anyone reads a report's or a cell's audit trail.
#pragma once

#include <string>
#include <vector>

#include "client/replica.h"
#include "client/review_workflow.h"
#include "shared/catalog.h"

namespace budgetsync::client {

// Validates each report with the unit's other reports of its year: errors
// block that report's submission (they are printed, nothing is recorded);
// warnings go with the submission. `all`: every draft or returned report of
// the replica's own unit.
int cmd_submit(Replica& replica, const Catalog& catalog, const std::vector<std::string>& keys,
               bool all, bool json);

int cmd_review_list(Replica& replica, const Catalog& catalog, const ReviewFilter& filter,
                    bool json);
int cmd_review_show(Replica& replica, const Catalog& catalog, const std::string& key, bool json);
// return, approve or reopen.
int cmd_review_step(Replica& replica, const std::string& key, sync::StateAction action,
                    const std::string& reason, bool json);

// Builds the unit's consolidated reports from what the replica last synced
// (works offline) and says which units' data it did not use and why.
int cmd_consolidate(Replica& replica, const Catalog& catalog, const ConsolidateRequest& request,
                    bool json);

// A report's operations, or one cell's values, with user, device, device and
// server time, and old -> new value.
int cmd_audit(Replica& replica, const Catalog& catalog, const std::string& key,
              const std::string& row, const std::string& column, bool json);

}  // namespace budgetsync::client
