#include "client/cli_review.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "client/cli.h"
#include "client/findings_view.h"
#include "client/json_views.h"
#include "client/report_view.h"
#include "client/review_workflow.h"
#include "client/text_table.h"
#include "shared/check.h"
#include "sync/report_info.h"

namespace budgetsync::client {
namespace {

using json = nlohmann::ordered_json;
using A = TextTable::Align;
using CellMap = std::map<std::pair<std::string, std::string>, std::string>;

std::string action_label(sync::StateAction a) {
  switch (a) {
    case sync::StateAction::kSubmit:
      return "上报";
    case sync::StateAction::kReturn:
      return "退回";
    case sync::StateAction::kApprove:
      return "审核通过";
    case sync::StateAction::kReopen:
      return "重新打开";
  }
  return "?";
}

CellMap cells_of(const std::vector<sync::SnapshotCell>& cells) {
  CellMap out;
  for (const auto& c : cells) out[{c.row, c.column}] = c.value;
  return out;
}

CellMap cells_of(const Report& r) {
  CellMap out;
  for (const auto& row : r.rows) {
    for (const auto& [col, cell] : row.cells) {
      if (!cell.raw.empty()) out[{row.key, col}] = cell.raw;
    }
  }
  return out;
}

// The submitted values as a report, rows placed where the report has them now
// (a row deleted since goes where its form puts it, or last).
Result<Report> snapshot_report(const Report& current, const FormTemplate& form,
                               const std::vector<sync::SnapshotCell>& cells) {
  Report r;
  r.key = current.key;
  r.unit_name = current.unit_name;
  r.template_version = current.template_version;
  r.money_unit = current.money_unit;
  r.not_in_source = current.not_in_source;
  std::map<std::string, size_t> index;
  for (const auto& row : current.rows) {
    index[row.key] = r.rows.size();
    r.rows.push_back({row.key, row.section, {}});
  }
  for (const auto& c : cells) {
    auto it = index.find(c.row);
    if (it == index.end()) {
      const Section* sec = form.section_for_row(c.row);
      if (!sec) {
        for (const auto& s : form.sections) {
          if (s.dynamic) sec = &s;
        }
      }
      if (!sec) continue;
      it = index.emplace(c.row, r.rows.size()).first;
      r.rows.push_back({c.row, sec->key, {}});
    }
    ReportRow& row = r.rows[it->second];
    const Section* sec = form.section(row.section);
    const Column* col = sec ? sec->column(c.column) : nullptr;
    if (!col) continue;
    auto v = parse_cell(c.value, col->type, r.unit_in(form));
    if (!v.ok()) {
      return Status::Corruption(
          fmt::format("上报的 {}:{} 的值读不出：{}", c.row, c.column, v.status().message()));
    }
    row.cells.insert_or_assign(c.column, ReportCell{c.value, std::move(*v)});
  }
  std::erase_if(r.rows, [](const ReportRow& row) { return row.cells.empty(); });
  r.reindex();
  return r;
}

// Cells whose values differ between two versions of a report.
struct CellChange {
  std::string row;
  std::string column;
  std::string before;
  std::string after;
};
std::vector<CellChange> diff(const CellMap& before, const CellMap& after) {
  std::vector<CellChange> out;
  std::set<std::pair<std::string, std::string>> keys;
  for (const auto& [k, v] : before) keys.insert(k);
  for (const auto& [k, v] : after) keys.insert(k);
  for (const auto& k : keys) {
    auto b = before.find(k);
    auto a = after.find(k);
    const std::string bv = b == before.end() ? "" : b->second;
    const std::string av = a == after.end() ? "" : a->second;
    if (bv != av) out.push_back({k.first, k.second, bv, av});
  }
  return out;
}

json diff_json(const std::vector<CellChange>& changes) {
  json arr = json::array();
  for (const auto& c : changes) {
    arr.push_back({{"row", c.row}, {"column", c.column}, {"before", c.before}, {"after", c.after}});
  }
  return arr;
}

std::string diff_text(const std::vector<CellChange>& changes) {
  TextTable t({"行", "栏", "之前", "之后"}, {A::kLeft, A::kLeft, A::kRight, A::kRight});
  for (const auto& c : changes) {
    t.add_row({c.row, c.column, c.before.empty() ? "（空）" : c.before,
               c.after.empty() ? "（空）" : c.after});
  }
  return t.render(40);
}

}  // namespace

// ---- submit ----------------------------------------------------------------

int cmd_submit(Replica& replica, const Catalog& catalog, const std::vector<std::string>& keys,
               bool all, bool json_out) {
  std::vector<ReportKey> targets;
  if (all == !keys.empty()) {
    return fail(Status::InvalidArgument("请写出要上报的报表，或用 --all（二者只选其一）"));
  }
  if (all) {
    auto list = replica.reports();
    if (!list.ok()) return fail(list.status());
    for (const auto& s : *list) {
      if (s.key.unit == replica.identity().unit &&
          (s.state == sync::ReportState::kDraft || s.state == sync::ReportState::kReturned))
        targets.push_back(s.key);
    }
    if (targets.empty()) {
      fmt::print("没有待上报的报表（草稿或已退回）。\n");
      return kExitOk;
    }
  } else {
    for (const auto& k : keys) {
      auto key = parse_report_key(k);
      if (!key.ok()) return fail(key.status());
      targets.push_back(*key);
    }
  }
  auto reports = replica.load_all();
  if (!reports.ok()) return fail(reports.status());
  const CheckResult check = check_reports(*reports, catalog);
  int blocked = 0;
  json out = json::array();
  for (const auto& key : targets) {
    const SubmitOutcome o = submit_report(replica, check, key);
    if (!o.submitted) ++blocked;
    if (json_out) {
      json entry{{"report", key.to_string()}, {"submitted", o.submitted}};
      if (o.submitted) {
        entry["op"] = o.op.to_string();
        entry["warnings"] = o.warnings;
      } else if (!o.refused.empty()) {
        entry["error"] = o.refused;
      } else {
        entry["errors"] = json::parse(findings_to_json(o.errors));
      }
      out.push_back(std::move(entry));
    } else if (o.submitted) {
      fmt::print(
          "已上报 {}{}；下次同步时发送到服务器。\n", key.to_string(),
          o.warnings.empty() ? "" : fmt::format("（{} 个警告随上报一并记录）", o.warnings.size()));
    } else if (!o.refused.empty()) {
      fail(Status::FailedPrecondition(o.refused));
    } else {
      fmt::print("无法上报 {}：有 {} 个校验错误，改正后再上报。\n", key.to_string(),
                 o.errors.errors());
      fmt::print("{}", render_check_text(o.errors, 1));
    }
  }
  if (json_out) fmt::print("{}\n", out.dump(2));
  if (blocked > 0 && !json_out) {
    std::fflush(stdout);  // the findings above come first, even through a pipe
    fmt::print(stderr, "budgetsync: {} 张报表未上报（见上）。\n", blocked);
  }
  return blocked > 0 ? kExitFindings : kExitOk;
}

// ---- review list / show / return / approve / reopen ------------------------

int cmd_review_list(Replica& replica, const Catalog& catalog, const ReviewFilter& filter,
                    bool json_out) {
  auto rows = review_rows(replica, catalog, filter);
  if (!rows.ok()) return fail(rows.status());
  if (json_out) {
    json arr = json::array();
    for (const auto& r : *rows) arr.push_back(review_row_json(r));
    fmt::print("{}\n", arr.dump(2));
    return kExitOk;
  }
  TextTable table({"报表", "单位", "表名", "状态", "上报时间", "上报人", "错误", "警告", "冲突"},
                  {A::kLeft, A::kLeft, A::kLeft, A::kLeft, A::kLeft, A::kLeft, A::kRight, A::kRight,
                   A::kRight});
  std::vector<std::string> notes;
  for (const auto& r : *rows) {
    const ReportSummary& s = r.summary;
    if (s.state == sync::ReportState::kReturned) {
      notes.push_back(
          fmt::format("{} 已退回（{}）：{}", s.key.to_string(), s.state_by, s.state_reason));
    }
    table.add_row({s.key.to_string(), s.unit_name.empty() ? s.key.unit : s.unit_name,
                   s.name.empty() ? s.form_title : s.name,
                   std::string(sync::state_label(s.state)) +
                       (r.consolidation_stale.empty() ? "" : "（汇总已过期）"),
                   r.submitted_at, r.submitted_by, std::to_string(r.errors),
                   std::to_string(r.warnings), std::to_string(r.open_conflicts)});
  }
  for (const auto& r : *rows) {
    if (!r.consolidation_stale.empty())
      notes.push_back(r.summary.key.to_string() + " 的汇总已过期：" + r.consolidation_stale);
  }
  fmt::print("{}", table.render(30));
  for (const auto& note : notes) fmt::print("  {}\n", note);
  fmt::print("共 {} 张报表。\n", rows->size());
  return kExitOk;
}

int cmd_review_show(Replica& replica, const Catalog& catalog, const std::string& key_text,
                    bool json_out) {
  auto key = parse_report_key(key_text);
  if (!key.ok()) return fail(key.status());
  auto current = replica.load(*key);
  if (!current.ok()) return fail(current.status());
  const FormTemplate* form = catalog.form(key->form, current->template_version);
  if (!form) return fail(Status::NotFound(fmt::format("不认识表 {}", key->form)));
  auto events = replica.state_history(*key);
  if (!events.ok()) return fail(events.status());
  auto list = replica.reports();
  if (!list.ok()) return fail(list.status());
  sync::ReportState state = sync::ReportState::kDraft;
  for (const auto& s : *list) {
    if (s.key == *key) state = s.state;
  }
  const auto subs = accepted_submissions(*events);
  auto conflicts = replica.conflicts();
  if (!conflicts.ok()) return fail(conflicts.status());
  std::erase_if(*conflicts, [&](const Replica::OpenConflict& c) { return c.report != *key; });

  std::optional<Report> submitted;
  CheckResult findings;
  std::vector<CellChange> since_previous, since_submitted;
  if (!subs.empty()) {
    auto snap = snapshot_report(*current, *form, subs.back().change.cells);
    if (!snap.ok()) return fail(snap.status());
    submitted = std::move(*snap);
    // The findings of what was submitted, beside the unit's other reports.
    auto all = replica.load_all();
    if (!all.ok()) return fail(all.status());
    for (auto& r : *all) {
      if (r.key == *key) r = *submitted;
    }
    findings = findings_of(check_reports(*all, catalog), *key);
    if (subs.size() > 1) {
      since_previous =
          diff(cells_of(subs[subs.size() - 2].change.cells), cells_of(subs.back().change.cells));
    }
    since_submitted = diff(cells_of(subs.back().change.cells), cells_of(*current));
  }

  if (json_out) {
    json history = json::array();
    for (const auto& e : *events) {
      history.push_back({{"action", std::string(sync::action_name(e.change.action))},
                         {"by", e.author},
                         {"at", event_time(e.server_ms, e.hlc)},
                         {"reason", e.change.reason},
                         {"status", e.status},
                         {"refused_because", e.reason}});
    }
    json out{
        {"report", key->to_string()}, {"state", sync::state_name(state)}, {"history", history}};
    if (submitted) {
      json cells = json::array();
      for (const auto& c : subs.back().change.cells)
        cells.push_back({{"row", c.row}, {"column", c.column}, {"value", c.value}});
      out["submitted"] = {{"by", subs.back().author},
                          {"at", event_time(subs.back().server_ms, subs.back().hlc)},
                          {"cells", cells},
                          {"warnings", subs.back().change.warnings}};
      out["findings"] = json::parse(findings_to_json(findings));
      out["changes_since_previous_submission"] = diff_json(since_previous);
      out["changes_since_submission"] = diff_json(since_submitted);
    }
    json cs = json::array();
    for (const auto& c : *conflicts) {
      json values = json::array();
      for (const auto& v : c.cell.conflict)
        values.push_back({{"value", v.value ? json(*v.value) : json(nullptr)},
                          {"author", v.author},
                          {"op", v.op.to_string()}});
      cs.push_back({{"row", c.row}, {"column", c.column}, {"values", values}});
    }
    out["open_conflicts"] = cs;
    fmt::print("{}\n", out.dump(2));
    return kExitOk;
  }

  fmt::print("{}  {}\n状态：{}\n", key->to_string(), form->display_name(),
             sync::state_label(state));
  TextTable steps({"时间", "用户", "动作", "说明"}, {A::kLeft, A::kLeft, A::kLeft, A::kLeft});
  for (const auto& e : *events) {
    std::string note = e.change.reason;
    if (e.status == OpStatus::kRejected) note = "服务器拒绝：" + e.reason;
    if (e.status == OpStatus::kPending) note += note.empty() ? "待同步" : "（待同步）";
    steps.add_row({event_time(e.server_ms, e.hlc), e.author, action_label(e.change.action), note});
  }
  if (!events->empty()) fmt::print("\n审核记录\n{}", steps.render(60));
  if (!submitted) {
    fmt::print("\n这张报表还没有上报。\n");
    return kExitOk;
  }
  const StateEvent& last = subs.back();
  fmt::print("\n上报的内容（{} 于 {} 上报，共 {} 个单元格）\n{}", last.author,
             event_time(last.server_ms, last.hlc), last.change.cells.size(),
             render_report_text(*submitted, *form, catalog));
  if (!last.change.warnings.empty()) {
    fmt::print("\n上报时记录的警告\n");
    for (const auto& w : last.change.warnings) fmt::print("  {}\n", w);
  }
  fmt::print("\n校验（上报的内容）\n{}", findings.findings.empty()
                                             ? std::string("  通过，没有错误或警告。\n")
                                             : render_check_text(findings, 1));
  if (!conflicts->empty()) {
    fmt::print("\n未解决的冲突 {} 处（budgetsync conflicts {}）\n", conflicts->size(),
               key->to_string());
  }
  if (subs.size() > 1) {
    fmt::print("\n与上一次上报相比\n{}",
               since_previous.empty() ? std::string("  没有变化。\n") : diff_text(since_previous));
  }
  if (!since_submitted.empty()) {
    fmt::print("\n上报后又修改的单元格\n{}", diff_text(since_submitted));
  }
  return kExitOk;
}

int cmd_review_step(Replica& replica, const std::string& key_text, sync::StateAction action,
                    const std::string& reason, bool json_out) {
  auto key = parse_report_key(key_text);
  if (!key.ok()) return fail(key.status());
  auto op = review_step(replica, *key, action, reason);
  if (!op.ok()) return fail(op.status());
  if (json_out) {
    fmt::print("{}\n", json{{"report", key->to_string()},
                            {"action", std::string(sync::action_name(action))},
                            {"reason", reason},
                            {"op", op->to_string()}}
                           .dump(2));
  } else {
    fmt::print("已{} {}{}；下次同步时发送到服务器。\n", action_label(action), key->to_string(),
               reason.empty() ? "" : fmt::format("（原因：{}）", reason));
  }
  return kExitOk;
}

// ---- audit -----------------------------------------------------------------

int cmd_audit(Replica& replica, const Catalog& catalog, const std::string& key_text,
              const std::string& row, const std::string& column, bool json_out) {
  auto key = parse_report_key(key_text);
  if (!key.ok()) return fail(key.status());
  if (row.empty() != column.empty()) {
    return fail(Status::InvalidArgument("要看一个单元格就同时写出行和栏，否则都不写"));
  }
  struct Line {
    std::string server_time, device_time, user, device, what, before, after, seq;
  };
  std::vector<Line> lines;
  if (!row.empty()) {
    auto entries = replica.history(*key, row, column);
    if (!entries.ok()) return fail(entries.status());
    std::string before;
    for (const auto& e : *entries) {
      const std::string after = e.value ? *e.value : "（已删除）";
      lines.push_back({e.server_ms ? local_time(e.server_ms) : "（未同步）",
                       local_time(e.hlc.wall_ms), e.author, e.device.substr(0, 8),
                       e.kind == sync::OpKind::kImport ? "导入"
                       : e.value                       ? "修改"
                                                       : "删除行",
                       before, after, e.server_seq ? std::to_string(e.server_seq) : ""});
      before = after;
    }
  } else {
    auto ops = replica.report_log(*key);
    if (!ops.ok()) return fail(ops.status());
    CellMap values;
    for (const auto& r : *ops) {
      Line l{r.server_ms ? local_time(r.server_ms) : "（未同步）",
             local_time(r.op.hlc.wall_ms),
             r.op.author,
             r.op.id.device.substr(0, 8),
             "",
             "",
             "",
             r.server_seq ? std::to_string(r.server_seq) : ""};
      const bool standing = stands(r.status);
      switch (r.op.kind) {
        case sync::OpKind::kSetCell: {
          l.what = fmt::format("修改 {}:{}", r.op.row, r.op.column);
          auto& v = values[{r.op.row, r.op.column}];
          l.before = v;
          l.after = r.op.value.value_or("");
          if (standing) v = l.after;
          break;
        }
        case sync::OpKind::kImport: {
          auto cells = replica.imported_cells(r.seq);
          if (!cells.ok()) return fail(cells.status());
          for (const auto& [cr, cc, cv] : *cells) values[{cr, cc}] = cv;
          l.what = fmt::format("导入 {} 个单元格", cells->size());
          break;
        }
        case sync::OpKind::kAddRow:
          l.what = fmt::format("新增行 {}", r.op.row);
          break;
        case sync::OpKind::kDeleteRow:
          l.what = fmt::format("删除行 {}", r.op.row);
          break;
        case sync::OpKind::kState: {
          auto change = sync::parse_state_change(r.op.value.value_or(""));
          l.what = change.ok() ? action_label(change->action) +
                                     (change->reason.empty() ? "" : "：" + change->reason)
                               : "状态";
          break;
        }
        case sync::OpKind::kConsolidate:
          l.what = "汇总";
          break;
        case sync::OpKind::kReportInfo: {
          auto info = sync::parse_report_info(r.op.value.value_or(""));
          l.what = info.ok()
                       ? fmt::format("报表信息：单位“{}”，来源“{}”", info->unit_name, info->source)
                       : "报表信息";
          break;
        }
      }
      if (r.status == OpStatus::kRejected) l.what += "（服务器拒绝：" + r.reason + "）";
      if (r.status == OpStatus::kDiscarded) l.what += "（已放弃）";
      lines.push_back(std::move(l));
    }
  }
  (void)catalog;
  if (json_out) {
    json arr = json::array();
    for (const auto& l : lines) {
      arr.push_back({{"server_seq", l.seq},
                     {"server_time", l.server_time},
                     {"device_time", l.device_time},
                     {"user", l.user},
                     {"device", l.device},
                     {"what", l.what},
                     {"before", l.before},
                     {"after", l.after}});
    }
    fmt::print("{}\n", arr.dump(2));
    return kExitOk;
  }
  TextTable t({"日志号", "服务器时间", "设备时间", "用户", "设备", "操作", "原值", "新值"},
              {A::kRight, A::kLeft, A::kLeft, A::kLeft, A::kLeft, A::kLeft, A::kRight, A::kRight});
  for (const auto& l : lines)
    t.add_row({l.seq, l.server_time, l.device_time, l.user, l.device, l.what, l.before, l.after});
  fmt::print("{}{}\n{}共 {} 条记录。\n", key->to_string(),
             row.empty() ? "" : fmt::format(" {}:{}", row, column), t.render(40), lines.size());
  return kExitOk;
}

}  // namespace budgetsync::client
