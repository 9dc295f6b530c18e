#include "client/findings_view.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "client/text_table.h"

namespace budgetsync::client {

std::string_view severity_label(Severity s) {
  switch (s) {
    case Severity::kError:
      return "错误";
    case Severity::kWarning:
      return "警告";
    case Severity::kNotice:
      break;
  }
  return "提示";
}

nlohmann::ordered_json finding_json(const Finding& f) {
  return {
      {"rule_id", f.rule_id},
      {"severity", std::string(severity_name(f.severity))},
      {"report", f.report.unit.empty() ? nlohmann::ordered_json(nullptr)
                                       : nlohmann::ordered_json{{"key", f.report.to_string()},
                                                                {"unit", f.report.unit},
                                                                {"unit_name", f.unit_name},
                                                                {"year", f.report.year},
                                                                {"form", f.report.form},
                                                                {"instance", f.report.instance}}},
      {"form_title", f.form_title},
      {"row", f.row},
      {"row_label", f.row_label},
      {"column", f.column},
      {"column_label", f.column_label},
      {"stated", f.stated},
      {"expected", f.expected},
      {"difference", f.difference},
      {"message", f.message},
      {"source", f.source},
  };
}

std::string findings_to_json(const CheckResult& result) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& f : result.findings) arr.push_back(finding_json(f));
  return arr.dump(2) + "\n";
}

std::string render_check_text(const CheckResult& result, size_t reports_checked) {
  std::string out;
  size_t i = 0;
  while (i < result.findings.size()) {
    const ReportKey key = result.findings[i].report;
    const Finding& first = result.findings[i];
    out += fmt::format("\n{} {}  {}\n", first.unit_name, key.to_string(), first.form_title);
    using A = TextTable::Align;
    TextTable table({"#", "级别", "行", "栏", "填报", "应为", "差额"},
                    {A::kRight, A::kLeft, A::kLeft, A::kLeft, A::kRight, A::kRight, A::kRight});
    std::string notes;
    size_t n = 0;
    for (; i < result.findings.size() && result.findings[i].report == key; ++i) {
      const Finding& f = result.findings[i];
      ++n;
      table.add_row({std::to_string(n), std::string(severity_label(f.severity)), f.row_label,
                     f.column_label, f.stated, f.expected, f.difference});
      notes += fmt::format("  {}. {}\n", n, f.message);
    }
    out += table.render(28) + notes;
  }
  if (!result.scores.empty()) {
    out += "\n绩效评分\n";
    using A = TextTable::Align;
    TextTable table({"报表", "名称", "填报总分", "等级", "复算项", "人工评分项"},
                    {A::kLeft, A::kLeft, A::kRight, A::kLeft, A::kRight, A::kRight});
    for (const auto& s : result.scores) {
      table.add_row({s.report.to_string(), s.name.empty() ? s.form_title : s.name,
                     s.stated_total ? s.stated_total->to_string() : "", s.grade,
                     std::to_string(s.recomputed), std::to_string(s.by_hand)});
    }
    out += table.render(36);
  }
  out += fmt::format("\n检查了 {} 张报表：{} 个错误，{} 个警告", reports_checked, result.errors(),
                     result.warnings());
  if (const size_t notices = result.notices(); notices > 0)
    out += fmt::format("，{} 条提示（空白无法核对之处等，不影响上报）", notices);
  out += "。\n";
  return out;
}

}  // namespace budgetsync::client
