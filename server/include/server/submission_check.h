// The server's half of "submitting runs the validation rules": a submitted
// report is rebuilt from the server's own cells, with the unit's other reports
// of that year for the cross-table rules, and checked with the same engine the
// device used. Errors refuse the submission; warnings do not.
#pragma once

#include "shared/catalog.h"
#include "shared/report.h"
#include "shared/status.h"
#include "sync/server_core.h"

namespace budgetsync::server {

// The report as `store` has it, rows in their form order. NotFound when the
// catalog lacks its form.
Result<Report> stored_report(sync::ServerStore& store, const Catalog& catalog,
                             const ReportKey& key);

// The check ServerCore runs on every submission (see sync::SubmissionCheck):
// "validation_failed: N errors: ..." naming the first few cells and rules.
sync::SubmissionCheck validation_gate(sync::ServerStore& store, const Catalog& catalog);

}  // namespace budgetsync::server
