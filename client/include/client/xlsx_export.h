// Reports as one Excel workbook, each sheet laid out like its paper form
// (docs/excel.md): title, 单位 / 年度 / 金额单位 line, grouped headings, 栏次,
// 行次 and 科目编码 columns, amounts as numbers in the report's unit, A4 page
// setup; a cell a rule derives, when it agrees with the rule, as a formula that
// carries its value; a 校验结果 sheet listing the findings with links to their
// cells; a hidden sheet naming the report of every sheet, so that importing the
// workbook gives the same reports back.
#pragma once

#include <filesystem>
#include <vector>

#include "shared/catalog.h"
#include "shared/check.h"
#include "shared/report.h"
#include "shared/status.h"

namespace budgetsync::client {

// The hidden sheet's name and the format its first cell names.
inline constexpr const char* kXlsxMetaSheet = "budgetsync";
inline constexpr const char* kXlsxMetaFormat = "budgetsync-workbook/1";
inline constexpr const char* kXlsxFindingsSheet = "校验结果";

struct XlsxExportSummary {
  size_t sheets = 0;
  size_t formulas = 0;  // computed cells written as formulas
  size_t findings = 0;  // rows of the 校验结果 sheet
};

// Writes `reports` (each with its form in `catalog`, by its template version)
// and `checked`'s findings about them to `path`, through a file beside it that
// is renamed into place: a failure leaves no half-written workbook.
Result<XlsxExportSummary> write_reports_xlsx(const std::vector<const Report*>& reports,
                                             const Catalog& catalog, const CheckResult& checked,
                                             const std::filesystem::path& path);

}  // namespace budgetsync::client
