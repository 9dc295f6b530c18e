// How check results are shown: a readable report for a terminal, or JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "shared/check.h"

namespace budgetsync::client {

// One JSON array with an object per finding: rule_id, severity, report {unit,
// unit_name, year, form, instance, key} (null for a file that could not be
// read, rule_id "file.refused"), form_title, row, row_label, column,
// column_label, stated, expected, difference, message, source. Numbers are exact
// decimal strings.
std::string findings_to_json(const CheckResult& result);
// 错误, 警告 or 提示.
std::string_view severity_label(Severity s);
// One finding as an object of that array (the desktop UI's API sends these too).
nlohmann::ordered_json finding_json(const Finding& f);

// Findings grouped by report, each group a table (severity, row, column, stated,
// expected, difference) followed by the numbered explanations; then the score
// overview and a one-line summary.
std::string render_check_text(const CheckResult& result, size_t reports_checked);

}  // namespace budgetsync::client
