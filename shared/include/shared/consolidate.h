// Consolidation (汇总): one report built from the same form of several units.
//
// - Additive cells (amounts, counts) are summed.
// - Derived cells (rates, scores, and the totals the form's sum, composition and
//   hierarchy rules define) are recomputed from the sums with those rules,
//   never summed.
// - Rows keyed by a classification code merge by code. Rows of a dynamic
//   section (专项, 采购项目, 指标) merge by their name (the section's label
//   column, normalised as a clerk would type it); a row without a name merges
//   by its key. A merged row keeps the first unit's key; another row already
//   holding that key gets "key-2", "key-3"...
// - A text cell takes the first unit's text (a code's 科目名称 is the same
//   everywhere).
// - Offsets (冲抵, the form's `offsets`): when one source is the bureau's 本级
//   unit (`parent`), transfers between it and the other sources (its
//   affiliated units) are removed on both sides — the parent's
//   对附属单位补助支出 and the children's 上级补助收入, the children's
//   上缴上级支出 and the parent's 附属单位上缴收入. An offset cell's amount is the
//   removed units' own cell, or a cell of another of their forms (`amount`,
//   such as 公开03表's class row for 公开01表's class line). Every amount removed
//   is listed; where a form holds both sides of a pair in single cells, paid
//   and received totals that differ are listed as a mismatch (the units'
//   tables disagree about the transfer and the reviewer reconciles them).
//   Without a parent nothing is offset.
//
// Pure: reports in, report out.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "shared/catalog.h"
#include "shared/decimal.h"
#include "shared/report.h"
#include "shared/status.h"

namespace budgetsync {

struct ConsolidateOptions {
  // The source unit that is the bureau's 本级 (empty: no offsets).
  std::string parent;
  // Another form's report of a source unit, for offsets whose amount is read
  // there (null when the unit did not file it; then nothing is removed).
  std::function<const Report*(const std::string& unit, const std::string& form)> other_form;
};

struct OffsetMade {
  OffsetPair pair = OffsetPair::kSubsidy;
  OffsetSide side = OffsetSide::kPaid;
  std::string row;  // the consolidated cell that lost the amount
  std::string column;
  std::string unit;  // whose amount it was
  Decimal amount;
  std::string amount_from;  // the cell it was read from, "" for the cell itself
};

struct OffsetMismatch {
  OffsetPair pair = OffsetPair::kSubsidy;
  Decimal paid;      // removed from the paying side's single cells
  Decimal received;  // removed from the receiving side's single cells
};

struct Consolidated {
  Report report;
  // Cells a rule recomputed, as "row:column" (what was summed or blank differed).
  std::vector<std::string> recomputed;
  std::vector<OffsetMade> offsets;
  std::vector<OffsetMismatch> mismatches;
};

// Consolidates `sources` (reports of one form, any units) into a report keyed
// `target`. InvalidArgument when a source has another form, the list is empty,
// or `options.parent` is not one of the sources' units.
Result<Consolidated> consolidate(const std::vector<const Report*>& sources, const ReportKey& target,
                                 const Catalog& catalog, const ConsolidateOptions& options = {});

}  // namespace budgetsync
