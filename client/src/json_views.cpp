#include "client/json_views.h"

#include "client/agent_state.h"
#include "shared/local_time.h"

namespace budgetsync::client {

using json = nlohmann::ordered_json;

json report_summary_json(const ReportSummary& s) {
  return {{"report", s.key.to_string()},
          {"unit", s.key.unit},
          {"unit_name", s.unit_name},
          {"form_title", s.form_title},
          {"name", s.name},
          {"state", sync::state_name(s.state)},
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

nlohmann::ordered_json status_fields(const ReplicaStatus& s) {
  return {{"unit", s.identity.unit},
          {"unit_name", s.identity.unit_name},
          {"user", s.identity.user},
          {"device", s.device},
          {"reports", s.reports},
          {"pending_ops", s.pending_ops},
          {"rejected_ops", s.rejected_ops},
          {"open_conflicts", s.open_conflicts},
          {"rekeyed_from", s.rekeyed_from.empty() ? nlohmann::ordered_json(nullptr)
                                                  : nlohmann::ordered_json(s.rekeyed_from)},
          {"rekeyed_ops", s.rekeyed_ops}};
}

void add_sync_status(const Replica& replica, int64_t now_ms, nlohmann::ordered_json& out) {
  using json = nlohmann::ordered_json;
  auto a = agent_state(replica, now_ms);
  if (!a.ok()) return;
  out["server"] = a->server.empty() ? json(nullptr) : json(a->server);
  out["online"] = a->online;
  out["agent_running"] = a->agent_running;
  out["last_sync"] = a->last_sync_ms > 0 ? json(local_time(a->last_sync_ms)) : json(nullptr);
  out["last_sync_ms"] = a->last_sync_ms > 0 ? json(a->last_sync_ms) : json(nullptr);
  out["last_error"] = a->last_error.empty() ? json(nullptr) : json(a->last_error);
}

}  // namespace budgetsync::client
