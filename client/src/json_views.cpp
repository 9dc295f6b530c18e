#include "client/json_views.h"

#include "client/cli.h"

namespace budgetsync::client {

using json = nlohmann::ordered_json;

json report_summary_json(const ReportSummary& s) {
  return {{"report", s.key.to_string()},
          {"unit", s.key.unit},
          {"unit_name", s.unit_name},
          {"form_title", s.form_title},
          {"name", s.name},
          {"state", s.state},
          {"state_by", s.state_by},
          {"state_reason", s.state_reason}};
}

json score_items_json(const ScoreSummary& summary) {
  json items = json::array();
  for (const auto& i : summary.items) {
    items.push_back({{"row", i.row},
                     {"label", i.label},
                     {"target", i.target},
                     {"actual", i.actual},
                     {"weight", i.weight},
                     {"stated", i.stated},
                     {"computed", i.computed ? json(i.computed->to_string()) : json(nullptr)},
                     {"agrees", i.agrees}});
  }
  return items;
}

json conflict_values_json(const Replica::OpenConflict& conflict) {
  json values = json::array();
  for (const auto& k : conflict.cell.conflict) {
    values.push_back({{"op", k.op.to_string()},
                      {"author", k.author},
                      {"value", k.value ? json(*k.value) : json(nullptr)},
                      {"hlc", k.hlc.to_string()},
                      {"at", local_time(k.hlc.wall_ms)}});
  }
  return values;
}

json rejected_json(const OpRecord& r) {
  return {{"op", r.op.id.to_string()},
          {"kind", std::string(sync::op_kind_name(r.op.kind))},
          {"report", r.op.report.to_string()},
          {"row", r.op.row},
          {"column", r.op.column},
          {"value", r.op.value ? json(*r.op.value) : json(nullptr)},
          {"at", local_time(r.op.hlc.wall_ms)},
          {"reason", r.reason}};
}

}  // namespace budgetsync::client
