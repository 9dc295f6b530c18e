// The review workflow's steps (review_workflow.h): submission, the reviewer's
// list and steps, consolidation. No terminal: the commands and the app show
// what they return.
#include "client/review_workflow.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "client/json_views.h"
#include "shared/consolidate.h"
#include "shared/local_time.h"
#include "sync/report_info.h"

namespace budgetsync::client {

using json = nlohmann::ordered_json;

std::string event_time(int64_t server_ms, const sync::Hlc& hlc) {
  return local_time(server_ms != 0 ? server_ms : hlc.wall_ms);
}

// Only what concerns `key`, scores left out.
CheckResult findings_of(const CheckResult& all, const ReportKey& key) {
  CheckResult out;
  for (const auto& f : all.findings) {
    if (f.report == key) out.findings.push_back(f);
  }
  return out;
}

// The accepted submissions of a report, oldest first.
std::vector<StateEvent> accepted_submissions(const std::vector<StateEvent>& events) {
  std::vector<StateEvent> out;
  for (const auto& e : events) {
    if (e.change.action == sync::StateAction::kSubmit && e.status != OpStatus::kRejected)
      out.push_back(e);
  }
  return out;
}

namespace {

std::string warning_text(const Finding& f) {
  return fmt::format("{} {}:{} {}", f.rule_id, f.row, f.column, f.message);
}

Status refuse_staff(Replica& replica, std::string_view what) {
  auto role = replica.setting("server.role");
  if (role.ok() && *role == "staff") {
    return Status::FailedPrecondition(
        fmt::format("{} 以单位 {} 经办人的身份登录；只有报表上级单位的审核人才能{}它",
                    replica.identity().user, replica.identity().unit, what));
  }
  return Status::Ok();
}

bool consolidated_family(const FormTemplate& f) {
  return !f.instances && (f.family == "预算" || f.family == "决算" || f.family == "基础数据");
}

// The operation that put the report in its current state ("" for a draft
// never submitted): the latest state change not refused, one still waiting to
// be sent included, so a consolidation made before its approvals were sent
// still matches them afterwards.
std::string state_op(Replica& replica, const ReportKey& key) {
  auto events = replica.state_history(key);
  if (!events.ok()) return "?";
  std::string op;
  for (const auto& e : *events) {
    if (stands(e.status)) op = e.op.to_string();
  }
  return op;
}

bool usable(sync::ReportState state, bool include_submitted) {
  return state == sync::ReportState::kApproved ||
         (state == sync::ReportState::kSubmitted && include_submitted);
}

}  // namespace

// ---- the workflow's steps --------------------------------------------------

Result<CheckResult> check_unit_year(const Replica& replica, const Catalog& catalog,
                                    const ReportKey& key, const Report* in_place_of) {
  BS_ASSIGN_OR_RETURN(all, replica.load_all());
  std::erase_if(all,
                [&](const Report& r) { return r.key.unit != key.unit || r.key.year != key.year; });
  if (in_place_of) {
    for (auto& r : all) {
      if (r.key == in_place_of->key) r = *in_place_of;
    }
  }
  return check_reports(all, catalog);
}

SubmitOutcome submit_report(Replica& replica, const CheckResult& check, const ReportKey& key) {
  SubmitOutcome out;
  out.report = key;
  out.errors = findings_of(check, key);
  for (const auto& f : out.errors.findings) {
    if (f.severity == Severity::kWarning) out.warnings.push_back(warning_text(f));
  }
  if (out.errors.errors() > 0) return out;
  auto op = replica.change_state(key, {sync::StateAction::kSubmit, "", {}, out.warnings});
  if (!op.ok()) {
    out.refused = op.status().message();
    return out;
  }
  out.submitted = true;
  out.errors = {};
  out.op = *op;
  return out;
}

Result<std::vector<ReviewRow>> review_rows(Replica& replica, const Catalog& catalog,
                                           const ReviewFilter& filter) {
  BS_ASSIGN_OR_RETURN(list, replica.reports());
  BS_ASSIGN_OR_RETURN(reports, replica.load_all());
  auto counts = counts_by_report(check_reports(reports, catalog));
  BS_ASSIGN_OR_RETURN(conflicts, replica.conflicts());
  std::map<ReportKey, int> open;
  for (const auto& c : conflicts) ++open[c.report];
  std::vector<ReviewRow> rows;
  for (auto& s : list) {
    if (filter.state && s.state != *filter.state) continue;
    if (filter.year != 0 && s.key.year != filter.year) continue;
    BS_ASSIGN_OR_RETURN(events, replica.state_history(s.key));
    const auto subs = accepted_submissions(events);
    ReviewRow row;
    if (!subs.empty()) {
      row.submitted_at = event_time(subs.back().server_ms, subs.back().hlc);
      row.submitted_by = subs.back().author;
    }
    row.errors = counts[s.key].errors;
    row.warnings = counts[s.key].warnings;
    row.open_conflicts = open[s.key];
    row.consolidation_stale = consolidation_staleness(replica, s.key);
    row.summary = std::move(s);
    rows.push_back(std::move(row));
  }
  return rows;
}

json review_row_json(const ReviewRow& r) {
  json line = report_summary_json(r.summary);
  line["submitted_at"] = r.submitted_at;
  line["submitted_by"] = r.submitted_by;
  line["errors"] = r.errors;
  line["warnings"] = r.warnings;
  line["open_conflicts"] = r.open_conflicts;
  line["consolidation_stale"] = r.consolidation_stale;
  return line;
}

Result<sync::OpId> review_step(Replica& replica, const ReportKey& key, sync::StateAction action,
                               const std::string& reason) {
  BS_RETURN_IF_ERROR(refuse_staff(replica, sync::action_verb(action)));
  return replica.change_state(key, {action, reason, {}, {}});
}

std::string consolidation_staleness(Replica& replica, const ReportKey& key) {
  auto text = replica.consolidation_sources(key);
  if (!text.ok() || text->empty()) return "";
  const json sources = json::parse(*text, nullptr, false);
  if (!sources.is_object() || !sources.contains("sources")) return "";
  for (const auto& s : sources["sources"]) {
    auto source = ReportKey::parse(s.value("report", ""));
    if (!source.ok()) continue;
    if (state_op(replica, *source) != s.value("state_op", "")) {
      return fmt::format("{} 在汇总后有变化（退回、重新打开或重新上报）", source->to_string());
    }
  }
  return "";
}

Result<json> consolidate_reports(Replica& replica, const Catalog& catalog,
                                 const ConsolidateRequest& request) {
  const std::string unit = request.unit.empty() ? replica.identity().unit : request.unit;
  if (auto role = replica.setting("server.role"); role.ok() && *role == "staff") {
    return Status::FailedPrecondition(
        fmt::format("{} 以单位 {} 经办人的身份登录；只有审核人才能汇总其下级单位",
                    replica.identity().user, replica.identity().unit));
  }
  if (unit != replica.identity().unit) {
    return Status::FailedPrecondition(
        fmt::format("汇总报表属于您自己的单位 {}；这个本地副本不能汇总单位 {} 的报表",
                    replica.identity().unit, unit));
  }
  BS_ASSIGN_OR_RETURN(list, replica.reports());
  std::map<ReportKey, const ReportSummary*> by_key;
  std::set<std::string> units(request.units.begin(), request.units.end());
  std::set<std::string> forms(request.forms.begin(), request.forms.end());
  for (const auto& s : list) {
    by_key[s.key] = &s;
    if (s.key.unit == unit || s.key.year != request.year) continue;
    if (request.units.empty()) units.insert(s.key.unit);
    const FormTemplate* f = catalog.form(s.key.form);
    if (request.forms.empty() && f && consolidated_family(*f)) forms.insert(s.key.form);
  }
  for (const auto& f : forms) {
    const FormTemplate* t = catalog.form(f);
    if (!t) return Status::NotFound(fmt::format("不认识表 {}", f));
    if (t->instances) {
      return Status::InvalidArgument(fmt::format("表 {} 每个项目各填一份，不能汇总", f));
    }
  }
  if (forms.empty() || units.empty()) {
    return Status::NotFound(fmt::format(
        "这个本地副本中没有 {} 年度单位 {} 下级单位的报表可汇总；请先同步", request.year, unit));
  }
  auto setting = replica.setting("sync.last_ok_ms");
  const std::string last_ok = setting.ok() ? *setting : "";
  const std::string last_sync = last_ok.empty() ? "" : local_time(std::stoll(last_ok));
  if (!request.parent.empty() && !units.count(request.parent)) {
    return Status::InvalidArgument(fmt::format("本级单位 {} 不在汇总的单位之中", request.parent));
  }
  // Every form of the units used, for offsets read from another of their tables.
  std::map<ReportKey, Report> loaded;
  auto load_used = [&](const ReportKey& key) -> const Report* {
    auto it = by_key.find(key);
    if (it == by_key.end() || !usable(it->second->state, request.include_submitted)) return nullptr;
    auto [at, fresh] = loaded.try_emplace(key);
    if (fresh) {
      auto r = replica.load(key);
      if (!r.ok()) {
        loaded.erase(at);
        return nullptr;
      }
      at->second = std::move(*r);
    }
    return &at->second;
  };
  ConsolidateOptions options;
  options.parent = request.parent;
  options.other_form = [&](const std::string& u, const std::string& form) {
    return load_used({u, request.year, form, ""});
  };
  json out = json::array();
  for (const auto& form_id : forms) {
    std::vector<const Report*> sources;
    json used = json::array();
    json skipped = json::array();
    for (const auto& u : units) {
      const ReportKey key{u, request.year, form_id, ""};
      auto it = by_key.find(key);
      std::string why;
      if (it == by_key.end()) {
        why = "本副本中没有这张表（未填报或尚未同步）";
      } else if (usable(it->second->state, request.include_submitted)) {
        const Report* r = load_used(key);
        if (!r) return replica.load(key).status();
        sources.push_back(r);
        used.push_back({{"report", key.to_string()},
                        {"state", sync::state_name(it->second->state)},
                        {"state_op", state_op(replica, key)}});
        continue;
      } else if (it->second->state == sync::ReportState::kSubmitted) {
        why = "已上报、尚未审核（加 --include-submitted 可纳入）";
      } else {
        why = fmt::format("状态为{}，未上报", sync::state_label(it->second->state));
      }
      skipped.push_back({{"unit", u}, {"why", why}});
    }
    json entry{{"form", form_id}, {"sources", used}, {"skipped", skipped}};
    const bool has_parent = std::any_of(sources.begin(), sources.end(), [&](const Report* r) {
      return r->key.unit == request.parent;
    });
    if (sources.empty()) {
      entry["built"] = false;
    } else {
      const ReportKey target{unit, request.year, form_id, ""};
      ConsolidateOptions these = options;
      if (!has_parent) these.parent.clear();  // the 本级's table not used: nothing to offset
      BS_ASSIGN_OR_RETURN(result, consolidate(sources, target, catalog, these));
      json offsets = json::array();
      for (const auto& o : result.offsets) {
        offsets.push_back({{"pair", offset_pair_name(o.pair)},
                           {"side", o.side == OffsetSide::kPaid ? "paid" : "received"},
                           {"row", o.row},
                           {"column", o.column},
                           {"unit", o.unit},
                           {"amount", o.amount.to_string()},
                           {"amount_from", o.amount_from}});
      }
      json mismatches = json::array();
      for (const auto& m : result.mismatches) {
        mismatches.push_back({{"pair", offset_pair_name(m.pair)},
                              {"paid", m.paid.to_string()},
                              {"received", m.received.to_string()}});
      }
      const json record{{"sources", used},
                        {"skipped", skipped},
                        {"parent", these.parent},
                        {"offsets", offsets},
                        {"mismatches", mismatches}};
      BS_ASSIGN_OR_RETURN(changed, replica.write_consolidated(result.report, record.dump()));
      entry["built"] = true;
      entry["report"] = target.to_string();
      entry["cells_changed"] = changed;
      entry["recomputed"] = result.recomputed;
      entry["parent"] = these.parent;
      entry["offsets"] = std::move(offsets);
      entry["mismatches"] = std::move(mismatches);
    }
    out.push_back(std::move(entry));
  }
  return json{{"unit", unit}, {"year", request.year}, {"forms", out}, {"data_as_of", last_sync}};
}

}  // namespace budgetsync::client
