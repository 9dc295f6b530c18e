// budgetsync consolidate: the reviewer's 汇总, built on the replica from the
// subordinate units' approved (or explicitly chosen submitted) reports.
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "client/cli.h"
#include "client/cli_review.h"
#include "client/review_workflow.h"
#include "shared/consolidate.h"

namespace budgetsync::client {
namespace {

using json = nlohmann::ordered_json;

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
    if (e.status != "rejected" && e.status != "discarded") op = e.op.to_string();
  }
  return op;
}

bool usable(const std::string& state, bool include_submitted) {
  return state == "approved" || (state == "submitted" && include_submitted);
}

std::string_view pair_title(const std::string& pair) {
  return pair == "subsidy" ? "本级对附属单位补助与附属单位上级补助收入"
                           : "附属单位上缴上级支出与本级附属单位上缴收入";
}

// The offsets made on the form's printed lines (a table keyed by codes shows
// its 合计 line only), and any pair whose two sides disagree.
void print_offsets(const Catalog& catalog, const json& entry) {
  const FormTemplate* form = catalog.form(entry["form"].get<std::string>());
  if (!form) return;
  for (const auto& o : entry["offsets"]) {
    const std::string row = o["row"].get<std::string>();
    const Section* sec = form->section_of_fixed_row(row);
    const RowDef* def = sec ? sec->row(row) : nullptr;
    const Column* col = sec ? sec->column(o["column"].get<std::string>()) : nullptr;
    if (!def || !col) continue;
    fmt::print("  冲抵：{}「{}」减去 {} 的 {}（{}）\n", def->label, col->label,
               o["unit"].get<std::string>(), o["amount"].get<std::string>(),
               o["side"] == "paid" ? "付出方" : "收入方");
  }
  for (const auto& m : entry["mismatches"]) {
    const auto paid = *Decimal::parse(m["paid"].get<std::string>());
    const auto received = *Decimal::parse(m["received"].get<std::string>());
    fmt::print("  注意：{}不一致：付出 {}，收到 {}，相差 {}；请核对各单位的表。\n",
               pair_title(m["pair"].get<std::string>()), paid.to_string(), received.to_string(),
               (paid - received).abs().to_string());
  }
}

}  // namespace

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
                        {"state", it->second->state},
                        {"state_op", state_op(replica, key)}});
        continue;
      } else if (it->second->state == "submitted") {
        why = "已上报、尚未审核（加 --include-submitted 可纳入）";
      } else {
        why = fmt::format("状态为{}，未上报", it->second->state == "returned" ? "已退回" : "草稿");
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

int cmd_consolidate(Replica& replica, const Catalog& catalog, const ConsolidateRequest& request,
                    bool json_out) {
  auto done = consolidate_reports(replica, catalog, request);
  if (!done.ok()) return fail(done.status());
  int built = 0;
  for (const auto& entry : (*done)["forms"]) {
    if (entry["built"].get<bool>()) ++built;
    if (json_out) continue;
    if (!entry["built"].get<bool>()) {
      fmt::print("{}：没有可汇总的报表。\n", entry["form"].get<std::string>());
    } else {
      std::string names;
      for (const auto& u : entry["sources"])
        names += (names.empty() ? "" : "、") + u["report"].get<std::string>();
      fmt::print("已汇总 {}：{} 个单位（{}），{} 个单元格有变化，{} 个派生单元格按规则重算。\n",
                 entry["report"].get<std::string>(), entry["sources"].size(), names,
                 entry["cells_changed"].get<int64_t>(), entry["recomputed"].size());
    }
    if (entry["built"].get<bool>()) print_offsets(catalog, entry);
    for (const auto& s : entry["skipped"]) {
      fmt::print("  未纳入 {}：{}\n", s["unit"].get<std::string>(), s["why"].get<std::string>());
    }
  }
  const std::string last_sync = (*done)["data_as_of"].get<std::string>();
  if (json_out) {
    fmt::print("{}\n", done->dump(2));
  } else {
    fmt::print("汇总了 {} 张表；依据本副本{}的数据，之后服务器上的变化不在其中。\n", built,
               last_sync.empty() ? "（尚未同步）" : "截至 " + last_sync + " 同步");
  }
  return built > 0 ? kExitOk : kExitFindings;
}

}  // namespace budgetsync::client
