// The UI API's calls for unfinished business and the review workflow: the
// conflicts inbox, edits the server refused, submitting, and the reviewer's
// list, steps and consolidation. Each does what the matching command does
// (review_workflow.h), answering JSON.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "client/json_views.h"
#include "client/report_view.h"
#include "client/review_workflow.h"
#include "client/ui_api.h"
#include "ui_json.h"

namespace budgetsync::client {

using ui::error;
using ui::json;
using ui::json_response;
using ui::refusal;
using ui::text_field;

namespace {

// A row's and a column's names as the page shows them; the keys when the
// report or form cannot be read.
std::pair<std::string, std::string> cell_labels(const Replica& replica, const Catalog& catalog,
                                                const ReportKey& key, const std::string& row_key,
                                                const std::string& column_key) {
  auto r = replica.load(key);
  const FormTemplate* form = r.ok() ? catalog.form(key.form, r->template_version) : nullptr;
  const Section* sec = form ? form->section_for_row(row_key) : nullptr;
  const ReportRow* row = r.ok() ? r->row(row_key) : nullptr;
  if (form && row) sec = form->section(row->section);
  if (!sec) return {row_key, column_key};
  const ReportRow blank{row_key, sec->key, {}};
  std::string row_label = row_display_label(*r, *form, catalog, row ? *row : blank);
  row_label.erase(0, row_label.find_first_not_of(' '));  // the printed form's indent
  const Column* column = sec->column(column_key);
  return {row_label.empty() ? row_key : row_label, column ? column->label : column_key};
}

}  // namespace

UiResponse UiApi::conflicts() {
  auto list = replica_.conflicts();
  if (!list.ok()) return error(500, list.status().message());
  json arr = json::array();
  for (const auto& c : *list) {
    json values = conflict_values_json(c);
    for (size_t i = 0; i < c.cell.conflict.size(); ++i)
      values[i]["visible"] = c.cell.conflict[i].op == c.cell.writer;
    const auto [row_label, column_label] =
        cell_labels(replica_, catalog_, c.report, c.row, c.column);
    arr.push_back({{"report", c.report.to_string()},
                   {"row", c.row},
                   {"row_label", row_label},
                   {"column", c.column},
                   {"column_label", column_label},
                   {"visible", c.cell.value ? json(*c.cell.value) : json(nullptr)},
                   {"values", values}});
  }
  auto refused = replica_.rejected();
  if (!refused.ok()) return error(500, refused.status().message());
  json rejected = json::array();
  for (const auto& r : *refused) {
    rejected.push_back(rejected_json(r));
  }
  return json_response(200, json{{"conflicts", arr}, {"rejected", rejected}});
}

UiResponse UiApi::resolve(const json& body) {
  auto key = parse_report_key(text_field(body, "report"));
  if (!key.ok()) return error(400, key.status().message());
  const std::string take = text_field(body, "take");
  if (take.empty() && !body.contains("value"))
    return error(400, "请发送要保留的竞争值（\"take\": 操作编号）或一个新的 \"value\"");
  auto edit = replica_.resolve(*key, text_field(body, "row"), text_field(body, "column"),
                               text_field(body, "value"), take);
  if (!edit.ok()) return refusal(edit.status());
  return json_response(200, json{{"row", edit->row},
                                 {"column", edit->column},
                                 {"after", edit->after},
                                 {"op", edit->op.to_string()}});
}

UiResponse UiApi::settle_rejected(const json& body) {
  auto id = sync::OpId::parse(text_field(body, "op"));
  if (!id.ok()) return error(400, id.status().message());
  const std::string action = text_field(body, "action");
  if (action != "retry" && action != "discard")
    return error(400, "action 必须是 retry（重新应用这项修改）或 discard（放弃它）");
  auto edit = replica_.settle_rejected(*id, action == "retry");
  if (!edit.ok()) return refusal(edit.status());
  return json_response(200, json{{"op", id->to_string()}, {"action", action}});
}

UiResponse UiApi::submit(const json& body) {
  auto key = parse_report_key(text_field(body, "report"));
  if (!key.ok()) return error(400, key.status().message());
  auto check = check_unit_year(replica_, catalog_, *key);
  if (!check.ok()) return error(500, check.status().message());
  const SubmitOutcome o = submit_report(replica_, *check, *key);
  if (!o.refused.empty()) return error(409, o.refused);
  json out{{"report", key->to_string()}, {"submitted", o.submitted}, {"warnings", o.warnings}};
  out["errors"] = ui::findings_json(o.errors);
  if (o.submitted) out["op"] = o.op.to_string();
  // Blocked by validation errors is an answer, not a failure: the page shows them.
  return json_response(200, out);
}

UiResponse UiApi::review_list(const Query& query) {
  ReviewFilter filter;
  if (auto it = query.find("state"); it != query.end() && !it->second.empty()) {
    auto state = sync::parse_state(it->second);
    if (!state.ok()) return error(400, state.status().message());
    filter.state = *state;
  }
  if (auto it = query.find("year"); it != query.end() && !it->second.empty()) {
    try {
      filter.year = std::stoi(it->second);
    } catch (const std::exception&) {
      return error(400, fmt::format("年度 {} 不是数字", it->second));
    }
  }
  auto rows = review_rows(replica_, catalog_, filter);
  if (!rows.ok()) return refusal(rows.status());
  json arr = json::array();
  for (const auto& r : *rows) {
    // Only the units below: a reviewer's own unit holds their consolidations.
    json line = review_row_json(r);
    line["own_unit"] = r.summary.key.unit == replica_.identity().unit;
    arr.push_back(std::move(line));
  }
  return json_response(200, json{{"reports", arr}});
}

UiResponse UiApi::review_step(const json& body) {
  auto key = parse_report_key(text_field(body, "report"));
  if (!key.ok()) return error(400, key.status().message());
  const std::string action_text = text_field(body, "action");
  auto action = sync::parse_action(action_text);
  if (!action.ok() || *action == sync::StateAction::kSubmit)
    return error(
        400,
        fmt::format(
            "action {} 不是审核步骤；请用 return（退回）、approve（审核通过）或 reopen（重新打开）",
            action_text));
  auto op = client::review_step(replica_, *key, *action, text_field(body, "reason"));
  if (!op.ok()) return refusal(op.status());
  return json_response(
      200, json{{"report", key->to_string()}, {"action", action_text}, {"op", op->to_string()}});
}

UiResponse UiApi::consolidate(const json& body) {
  ConsolidateRequest request;
  auto year = body.find("year");
  if (year == body.end() || !year->is_number_integer())
    return error(400, "请以数字发送要汇总的年度：{\"year\": 2024}");
  request.year = year->get<int>();
  if (auto it = body.find("include_submitted"); it != body.end() && it->is_boolean())
    request.include_submitted = it->get<bool>();
  if (auto it = body.find("parent"); it != body.end() && it->is_string())
    request.parent = it->get<std::string>();
  auto done = consolidate_reports(replica_, catalog_, request);
  if (!done.ok()) return refusal(done.status());
  return json_response(200, *done);
}

}  // namespace budgetsync::client
