// Consolidation (汇总): one report built from the same form of several units.
// Additive cells (amounts, counts) are summed; derived cells (rates, and the
// totals the form's sum, composition and hierarchy rules define) are
// recomputed from the sums with those rules, never summed; classification-code
// rows are merged by code; a text cell takes the first unit's text (a code's
// 科目名称 is the same everywhere). Pure: reports in, report out.
#pragma once

#include <string>
#include <vector>

#include "shared/catalog.h"
#include "shared/report.h"
#include "shared/status.h"

namespace budgetsync {

struct Consolidated {
  Report report;
  // Cells a rule recomputed, as "row:column" (what was summed or blank differed).
  std::vector<std::string> recomputed;
  // Rows of dynamic sections (projects, indicators) that cannot be merged by
  // key and were left out, as "unit row".
  std::vector<std::string> left_out;
};

// Consolidates `sources` (reports of one form, any units) into a report keyed
// `target`. InvalidArgument when a source has another form or the list is empty.
Result<Consolidated> consolidate(const std::vector<const Report*>& sources, const ReportKey& target,
                                 const Catalog& catalog);

}  // namespace budgetsync
