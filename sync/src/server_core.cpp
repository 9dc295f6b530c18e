#include "sync/server_core.h"

#include <fmt/format.h>

#include <algorithm>

#include "sync/report_info.h"

namespace budgetsync::sync {

namespace {

constexpr std::pair<RejectCode, std::string_view> kRejectNames[] = {
    {RejectCode::kOpIdReused, "op_id_reused"},
    {RejectCode::kDeviceMismatch, "device_mismatch"},
    {RejectCode::kAuthorMismatch, "author_mismatch"},
    {RejectCode::kForbidden, "forbidden"},
    {RejectCode::kUnitForbidden, "unit_forbidden"},
    {RejectCode::kReadOnly, "read_only"},
    {RejectCode::kReportLocked, "report_locked"},
    {RejectCode::kInvalidTransition, "invalid_transition"},
    {RejectCode::kStaleSubmission, "stale_submission"},
    {RejectCode::kValidationFailed, "validation_failed"},
    {RejectCode::kMalformed, "malformed"},
    {RejectCode::kServerError, "server_error"},
};

}  // namespace

std::string_view reject_code_name(RejectCode c) {
  for (const auto& [code, name] : kRejectNames) {
    if (code == c) return name;
  }
  return "other";
}

RejectCode parse_reject_code(std::string_view name) {
  for (const auto& [code, n] : kRejectNames) {
    if (n == name) return code;
  }
  return RejectCode::kOther;
}

Refusal refuse(RejectCode code, std::string_view detail) {
  return {code, fmt::format("{}: {}", reject_code_name(code), detail)};
}

bool same_content(const Operation& a, const Operation& b) {
  return a.id == b.id && a.hlc == b.hlc && a.author == b.author && a.kind == b.kind &&
         a.report == b.report && a.row == b.row && a.column == b.column && a.value == b.value &&
         a.base_version == b.base_version && a.section == b.section && a.sort_key == b.sort_key;
}

// ---- MemoryServerStore -------------------------------------------------------

Status MemoryServerStore::begin() {
  saved_ = state_;
  return Status::Ok();
}

Status MemoryServerStore::commit() {
  saved_.reset();
  return Status::Ok();
}

void MemoryServerStore::rollback() {
  if (saved_) state_ = std::move(*saved_);
  saved_.reset();
}

Result<std::optional<LogEntry>> MemoryServerStore::find(const OpId& id) {
  auto it = state_.by_op.find(id.to_string());
  if (it == state_.by_op.end()) return std::optional<LogEntry>();
  return std::optional<LogEntry>(it->second);
}

Result<ServerCell> MemoryServerStore::cell(const ReportKey& report, const std::string& row,
                                           const std::string& column) {
  auto it = state_.cells.find({report, row, column});
  return it == state_.cells.end() ? ServerCell{} : it->second;
}

Result<std::optional<Contender>> MemoryServerStore::tombstone(const ReportKey& report,
                                                              const std::string& row) {
  auto it = state_.tombstones.find({report, row});
  if (it == state_.tombstones.end()) return std::optional<Contender>();
  return std::optional<Contender>(it->second);
}

Result<int64_t> MemoryServerStore::last_seq() {
  return state_.log.empty() ? int64_t{0} : state_.log.back().seq;
}

Status MemoryServerStore::record(const LogEntry& e) {
  if (e.seq > 0) {
    if (e.seq != (state_.log.empty() ? 1 : state_.log.back().seq + 1)) {
      return Status::Corruption(fmt::format("日志序号 {} 会在日志中留下空缺", e.seq));
    }
    state_.log.push_back(e);
    if (e.op.kind == OpKind::kSetCell) state_.cells[{e.op.report, e.op.row, e.op.column}] = e.cell;
    if ((e.op.kind == OpKind::kSetCell || e.op.kind == OpKind::kAddRow) && !e.op.section.empty())
      state_.rows.emplace(std::pair{e.op.report, e.op.row}, std::pair{e.op.section, e.op.sort_key});
    if (e.op.kind == OpKind::kState) {
      auto change = parse_state_change(e.op.value.value_or(""));
      if (!change.ok()) return change.status();
      auto now = state_.states.try_emplace(e.op.report, ReportState::kDraft).first;
      auto next = next_state(now->second, change->action);
      if (!next.ok()) return next.status();
      now->second = *next;
    }
    if (e.op.kind == OpKind::kReportInfo && e.op.value) {
      auto now = state_.infos.find(e.op.report);
      state_.infos.insert_or_assign(
          e.op.report,
          merge_report_info_text(now == state_.infos.end() ? std::nullopt
                                                            : std::optional<std::string>(now->second),
                                 *e.op.value));
    }
    if (e.op.kind == OpKind::kDeleteRow && e.row_deleted) {
      state_.tombstones.emplace(std::pair{e.op.report, e.op.row},
                                Contender{e.op.id, e.op.author, e.op.hlc, std::nullopt, 0});
    }
  }
  state_.by_op[e.op.id.to_string()] = e;
  return Status::Ok();
}

Result<std::vector<LogEntry>> MemoryServerStore::read(int64_t after, size_t limit) {
  std::vector<LogEntry> out;
  for (size_t i = static_cast<size_t>(std::max<int64_t>(after, 0));
       i < state_.log.size() && out.size() < limit; ++i) {
    out.push_back(state_.log[i]);
  }
  return out;
}

Result<ReportState> MemoryServerStore::report_state(const ReportKey& report) {
  auto it = state_.states.find(report);
  return it == state_.states.end() ? ReportState::kDraft : it->second;
}

Result<std::vector<StoredCell>> MemoryServerStore::report_cells(const ReportKey& report) {
  std::vector<StoredCell> out;
  for (auto it = state_.cells.lower_bound({report, "", ""});
       it != state_.cells.end() && std::get<0>(it->first) == report; ++it) {
    const auto& [key, row, column] = it->first;
    if (!it->second.value || state_.tombstones.count({report, row})) continue;
    StoredCell c{row, column, "", "", it->second};
    if (auto place = state_.rows.find({report, row}); place != state_.rows.end()) {
      c.section = place->second.first;
      c.sort_key = place->second.second;
    }
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::vector<ReportKey>> MemoryServerStore::unit_reports(const std::string& unit, int year) {
  std::vector<ReportKey> out;
  for (const auto& [key, cell] : state_.cells) {
    const ReportKey& r = std::get<0>(key);
    if (r.unit == unit && r.year == year && (out.empty() || out.back() != r)) out.push_back(r);
  }
  return out;
}

Result<std::optional<std::string>> MemoryServerStore::report_info(const ReportKey& report) {
  auto it = state_.infos.find(report);
  if (it == state_.infos.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

// ---- ServerCore --------------------------------------------------------------

Result<LogEntry> ServerCore::handle(const Operation& incoming, const Authorizer& authorize,
                                    int64_t max_skew_ms, bool stopped) {
  auto seen = store_.find(incoming.id);
  if (!seen.ok()) return seen.status();
  if (*seen) {
    if (same_content((*seen)->op, incoming) ||
        // The server may have clamped the timestamp it kept: only then is a
        // different timestamp still a resend (two copies of a device adding a
        // row at the same place send operations that differ only in it).
        ((*seen)->op.hlc != incoming.hlc &&
         incoming.hlc.wall_ms > (*seen)->server_ms + max_skew_ms && [&] {
           Operation a = (*seen)->op;
           a.hlc = incoming.hlc;
           return same_content(a, incoming);
         }())) {
      LogEntry again = **seen;  // a resend: the same answer
      again.resent = true;
      return again;
    }
    LogEntry r;
    r.op = incoming;
    r.outcome = Outcome::kRejected;
    const Refusal why = refuse(
        RejectCode::kOpIdReused,
        "这个操作编号已经用于另一项修改；该设备必须换用新的设备编号，并重新发送所有待发送的修改");
    r.code = why.code;
    r.reason = why.reason;
    return r;  // not recorded: the first answer stays the answer
  }
  LogEntry e;
  e.op = incoming;
  if (stopped) {
    const Refusal why = refuse(RejectCode::kOpIdReused,
                               "未应用：这一批中前面的一个操作重复使用了编号；该设备必须换用新的设"
                               "备编号，再用它重新发送这一条");
    e.outcome = Outcome::kRejected;
    e.code = why.code;
    e.reason = why.reason;
    return e;  // not recorded
  }
  if (auto refusal = authorize ? authorize(incoming) : std::nullopt) {
    // Not recorded: a refusal for who sent it never becomes the answer for
    // the id, which stays free for its rightful device.
    e.outcome = Outcome::kRejected;
    e.code = refusal->code;
    e.reason = refusal->reason;
    return e;
  }
  {
    auto refusal = refuse_by_state(incoming);
    if (!refusal.ok()) return refusal.status();
    if (*refusal) {
      e.outcome = Outcome::kRejected;
      e.code = (*refusal)->code;
      e.reason = (*refusal)->reason;
      if (Status s = store_.record(e); !s.ok()) return s;
      return e;
    }
  }
  e.op.hlc = hlc_.receive(incoming.hlc, max_skew_ms);
  if (incoming.hlc.wall_ms <= clock_.now_ms() + max_skew_ms)
    e.op.hlc = incoming.hlc;  // trusted as sent
  auto last = store_.last_seq();
  if (!last.ok()) return last.status();
  e.seq = *last + 1;
  e.server_ms = clock_.now_ms();
  switch (incoming.kind) {
    case OpKind::kSetCell: {
      auto current = store_.cell(incoming.report, incoming.row, incoming.column);
      if (!current.ok()) return current.status();
      auto tomb = store_.tombstone(incoming.report, incoming.row);
      if (!tomb.ok()) return tomb.status();
      const MergeResult m = merge_set(*current, e.op, e.seq, *tomb);
      e.outcome = m.outcome;
      e.cell = m.cell;
      break;
    }
    case OpKind::kDeleteRow:
      e.row_deleted = true;
      break;
    case OpKind::kAddRow:
    case OpKind::kImport:
    case OpKind::kState:
    case OpKind::kConsolidate:
    case OpKind::kReportInfo:
      break;
  }
  if (Status s = store_.record(e); !s.ok()) return s;
  return e;
}

Result<std::optional<Refusal>> ServerCore::refuse_by_state(const Operation& op) {
  using Verdict = std::optional<Refusal>;
  auto state = store_.report_state(op.report);
  if (!state.ok()) return state.status();
  if (op.kind == OpKind::kReportInfo) {
    if (auto info = parse_report_info(op.value.value_or("")); !info.ok())
      return Verdict(refuse(RejectCode::kMalformed, info.status().message()));
  }
  if (op.kind != OpKind::kState) {
    if (!is_locked(*state)) return Verdict();
    return Verdict(
        refuse(RejectCode::kReportLocked,
               fmt::format("报表 {} 现为{}（{}），要等审核人退回后才能修改", op.report.to_string(),
                           state_label(*state), state_name(*state))));
  }
  auto change = parse_state_change(op.value.value_or(""));
  if (!change.ok()) return Verdict(refuse(RejectCode::kMalformed, change.status().message()));
  auto next = next_state(*state, change->action);
  if (!next.ok()) return Verdict(refuse(RejectCode::kInvalidTransition, next.status().message()));
  if (change->action != StateAction::kSubmit) return Verdict();
  return refuse_submission(op, *change);
}

Result<std::optional<Refusal>> ServerCore::refuse_submission(const Operation& op,
                                                             const StateChange& change) {
  using Verdict = std::optional<Refusal>;
  auto stored = store_.report_cells(op.report);
  if (!stored.ok()) return stored.status();
  // What the submitter saw must be what the server has, or the reviewer would
  // approve values the submitter never looked at.
  std::map<std::pair<std::string, std::string>, const std::string*> seen;
  for (const auto& c : change.cells) seen[{c.row, c.column}] = &c.value;
  size_t matched = 0;
  for (const auto& c : *stored) {
    auto it = seen.find({c.row, c.column});
    const std::string& value = *c.cell.value;
    if (it == seen.end() ? !value.empty() : *it->second != value) {
      return Verdict(refuse(
          RejectCode::kStaleSubmission,
          fmt::format(
              "行 {}、栏 {} 在服务器上是“{}”，在上报的设备上却是“{}”；请先同步，核对报表后再上报",
              c.row, c.column, value, it == seen.end() ? "" : *it->second)));
    }
    if (it != seen.end()) ++matched;
  }
  for (const auto& [key, value] : seen) {
    if (matched == seen.size()) break;
    const auto& cell = key;  // clang 14 cannot capture a structured binding
    const bool on_server = std::any_of(stored->begin(), stored->end(), [&](const StoredCell& c) {
      return c.row == cell.first && c.column == cell.second;
    });
    if (!on_server && !value->empty()) {
      return Verdict(refuse(
          RejectCode::kStaleSubmission,
          fmt::format("行 {}、栏 {} 在上报的设备上是“{}”，在服务器上却是空的；请先同步，再上报",
                      key.first, key.second, *value)));
    }
  }
  if (submission_check_) return submission_check_(op.report);
  return Verdict();
}

Result<std::vector<LogEntry>> ServerCore::push(const std::vector<Operation>& batch,
                                               const Authorizer& authorize, int64_t max_skew_ms) {
  if (Status s = store_.begin(); !s.ok()) return s;
  std::vector<LogEntry> results;
  std::vector<std::string> stopped;  // devices that reused an id in this batch
  for (const auto& op : batch) {
    const bool stop = std::find(stopped.begin(), stopped.end(), op.id.device) != stopped.end();
    auto r = handle(op, authorize, max_skew_ms, stop);
    if (!r.ok()) {
      store_.rollback();  // nothing of a failed batch is kept
      return r.status();
    }
    if (!stop && r->code == RejectCode::kOpIdReused) stopped.push_back(op.id.device);
    results.push_back(std::move(*r));
  }
  if (Status s = store_.commit(); !s.ok()) {
    store_.rollback();
    return s;
  }
  return results;
}

Result<ServerCore::Pulled> ServerCore::pull(int64_t cursor, size_t limit,
                                            const std::function<bool(const ReportKey&)>& visible) {
  auto entries = store_.read(cursor, limit);
  if (!entries.ok()) return entries.status();
  Pulled p;
  p.cursor = cursor;
  for (auto& e : *entries) {
    p.cursor = e.seq;
    if (!visible || visible(e.op.report)) p.entries.push_back(std::move(e));
  }
  p.more = entries->size() == limit;
  return p;
}

}  // namespace budgetsync::sync
