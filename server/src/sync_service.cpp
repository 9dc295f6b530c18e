#include "server/sync_service.h"

#include <fmt/format.h>

#include <chrono>

#include "server/credentials.h"
#include "server/submission_check.h"

namespace budgetsync::server {
namespace {

using sync::ErrorMessage;
using sync::Message;

int64_t steady_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool valid_device_id(const std::string& d) {
  if (d.empty() || d.size() > 64) return false;
  for (char c : d) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
          c == '_')) {
      return false;
    }
  }
  return true;
}

// The scope digest: which units the user may read, so a change of scope is
// noticed by the client's next hello.
std::string scope_digest(const std::set<std::string>& units) {
  std::string joined;
  for (const auto& u : units) joined += u + "\n";
  return token_digest(joined).substr(0, 16);
}

}  // namespace

ErrorMessage error_message(std::string code, std::string message, bool fatal) {
  return ErrorMessage{std::move(code), std::move(message), fatal};
}

SyncService::SyncService(AdminStore& admin, sync::ServerStore& store, sync::ClockSource& clock,
                         SyncOptions options)
    : admin_(admin), store_(store), clock_(clock), options_(options), core_(store, clock) {
  if (options_.catalog) core_.set_submission_check(validation_gate(store_, *options_.catalog));
}

bool SyncService::take_rate_token(SyncPeer& peer) {
  const int64_t now = clock_.now_ms();
  const int64_t capacity = options_.rate_burst * 1000;
  if (peer.bucket_milli < 0) {
    peer.bucket_milli = capacity;
  } else if (now > peer.bucket_at_ms) {
    peer.bucket_milli = std::min(
        capacity, peer.bucket_milli + (now - peer.bucket_at_ms) * options_.rate_per_second);
  }
  peer.bucket_at_ms = std::max(peer.bucket_at_ms, now);
  if (peer.bucket_milli < 1000) return false;
  peer.bucket_milli -= 1000;
  return true;
}

// The refusals in a reply, one line each, naming who was refused.
SyncService::Reply SyncService::logged(const SyncPeer& peer, Reply reply) const {
  for (const auto& m : reply.messages) {
    if (const auto* e = std::get_if<ErrorMessage>(&m)) {
      log_.write("sync_refused", {{"user", peer.user.name},
                                  {"device", peer.device},
                                  {"address", peer.address},
                                  {"code", e->code},
                                  {"message", e->message}});
    } else if (const auto* p = std::get_if<sync::PushResult>(&m)) {
      size_t rejected = 0;
      const sync::LogEntry* first = nullptr;
      for (const auto& r : p->results) {
        if (r.outcome != sync::Outcome::kRejected) continue;
        ++rejected;
        if (!first) first = &r;
      }
      if (first) {
        log_.write("ops_rejected", {{"user", peer.user.name},
                                    {"device", peer.device},
                                    {"address", peer.address},
                                    {"batch", p->batch_id},
                                    {"count", rejected},
                                    {"first", first->op.id.to_string()},
                                    {"report", first->op.report.to_string()},
                                    {"reason", first->reason}});
      }
    }
  }
  return reply;
}

SyncService::Reply SyncService::refuse_frame(SyncPeer& peer, const Status& decode_error) {
  ++counters_.errors;
  Reply r;
  r.messages.push_back(
      error_message(std::string(sync::frame_error_code(decode_error)), decode_error.message()));
  return logged(peer, std::move(r));
}

SyncService::Reply SyncService::handle(SyncPeer& peer, const Message& message) {
  return logged(peer, answer(peer, message));
}

SyncService::Reply SyncService::answer(SyncPeer& peer, const Message& message) {
  Reply r;
  if (!take_rate_token(peer)) {
    ++counters_.rate_limited;
    r.messages.push_back(error_message(
        "rate_limited", fmt::format("每秒超过 {} 条消息；这条 {} 已丢弃，请稍后重发",
                                    options_.rate_per_second, sync::message_type(message))));
    return r;
  }
  if (const auto* m = std::get_if<sync::Hello>(&message)) return hello(peer, *m);
  if (std::holds_alternative<ErrorMessage>(message))
    return r;  // the client's complaint: nothing to do
  if (!peer.welcomed) {
    ++counters_.errors;
    r.messages.push_back(error_message(
        "out_of_order",
        fmt::format("在 hello 之前收到 {}：请先发送 hello", sync::message_type(message))));
    return r;
  }
  // A token revoked (or a user disabled) since the connection opened ends it.
  auto user = admin_.authenticate(peer.token, clock_.now_ms());
  if (!user.ok()) {
    r.messages.push_back(error_message("server_error", user.status().message()));
    return r;
  }
  if (!*user) {
    r.messages.push_back(token_ended());
    r.close = true;
    return r;
  }
  if (const auto* m = std::get_if<sync::Push>(&message)) return push(peer, *m);
  if (const auto* m = std::get_if<sync::Pull>(&message)) return pull(peer, *m);
  ++counters_.errors;
  r.messages.push_back(error_message(
      "out_of_order",
      fmt::format("{} 是服务器发出的消息，服务器不接收", sync::message_type(message))));
  return r;
}

sync::ErrorMessage SyncService::token_ended() {
  return error_message("unauthorized", "登录凭据已过期或已被吊销；请重新登录", true);
}

SyncService::Standing SyncService::standing(SyncPeer& peer, int64_t revocations) {
  if (clock_.now_ms() >= peer.expires_ms) return Standing::kExpired;
  if (revocations == peer.revocations) return Standing::kValid;
  auto session = admin_.authenticate(peer.token, clock_.now_ms());
  if (!session.ok()) return Standing::kValid;  // asked again next time
  if (!*session) return Standing::kRevoked;
  peer.revocations = revocations;
  return Standing::kValid;
}

SyncService::Reply SyncService::hello(SyncPeer& peer, const sync::Hello& m) {
  Reply r;
  if (!valid_device_id(m.device)) {
    ++counters_.errors;
    r.messages.push_back(error_message(
        "malformed",
        fmt::format("hello.device：“{}”不是设备编号（1–64 个字母、数字、- 或 _）", m.device)));
    return r;
  }
  if (peer.welcomed && m.device != peer.device) {
    ++counters_.errors;
    r.messages.push_back(error_message("out_of_order", "hello：这个连接已属于另一台设备"));
    return r;
  }
  auto identity = admin_.identity();
  auto units = admin_.units_within(peer.user.unit);
  auto last = store_.last_seq();
  auto bound = admin_.touch_device(m.device, peer.user.name, clock_.now_ms());
  Status bad = !identity.ok() ? identity.status()
               : !units.ok()  ? units.status()
               : !last.ok()   ? last.status()
                              : bound.status();
  if (!bad.ok()) {
    r.messages.push_back(error_message("server_error", bad.message()));
    return r;
  }
  if (!*bound) {
    // A device id is bound to the user who registered it: nobody else may
    // sync as that device, push under its ids, or appear as its owner.
    ++counters_.errors;
    r.messages.push_back(error_message(
        "device_forbidden",
        fmt::format("hello.device：设备 {} 属于另一个用户；请在自己的设备上登录", m.device), true));
    r.close = true;
    return r;
  }
  peer.device = m.device;
  if (peer.user.role == Role::kStaff) {
    peer.units = {peer.user.unit};
  } else {
    peer.units = std::set<std::string>(units->begin(), units->end());
  }
  peer.welcomed = true;
  sync::Welcome w;
  w.store_id = identity->first;
  w.epoch = identity->second;
  w.last_seq = *last;
  w.scope = scope_digest(peer.units);
  const bool first_contact = m.store_id.empty() && m.cursor == 0;
  w.cursor_valid = first_contact || (m.store_id == w.store_id && m.epoch == w.epoch &&
                                     m.scope == w.scope && m.cursor >= 0 && m.cursor <= *last);
  r.messages.push_back(w);
  return r;
}

std::optional<sync::Refusal> SyncService::refuse_op(const SyncPeer& peer,
                                                    const sync::Operation& op) const {
  if (op.id.device != peer.device) {
    return sync::refuse(sync::RejectCode::kDeviceMismatch,
                        fmt::format("修改 {} 写的是设备 {}，而这个连接是设备 {}", op.id.to_string(),
                                    op.id.device, peer.device));
  }
  if (op.author != peer.user.name) {
    return sync::refuse(sync::RejectCode::kAuthorMismatch,
                        fmt::format("修改 {} 署名为 {}，而登录的是 {}", op.id.to_string(),
                                    op.author, peer.user.name));
  }
  const bool staff = peer.user.role == Role::kStaff;
  const bool own_unit = op.report.unit == peer.user.unit;
  auto outside = [&]() -> std::optional<sync::Refusal> {
    if (peer.units.count(op.report.unit)) return std::nullopt;
    return sync::refuse(sync::RejectCode::kUnitForbidden,
                        fmt::format("单位 {} 不在 {} 所属单位 {} 之下；报表 {}", op.report.unit,
                                    peer.user.name, peer.user.unit, op.report.to_string()));
  };
  if (op.kind == sync::OpKind::kState) {
    auto change = sync::parse_state_change(op.value.value_or(""));
    if (!change.ok()) return sync::refuse(sync::RejectCode::kMalformed, change.status().message());
    if (!sync::is_review_action(change->action)) {
      if (!staff) {
        return sync::refuse(sync::RejectCode::kForbidden,
                            fmt::format("{} {} 负责审核报表；只有本单位经办人才能上报",
                                        role_label(peer.user.role), peer.user.name));
      }
      if (!own_unit) {
        return sync::refuse(sync::RejectCode::kUnitForbidden,
                            fmt::format("{}（单位 {}）不能上报单位 {} 的报表 {}", peer.user.name,
                                        peer.user.unit, op.report.unit, op.report.to_string()));
      }
      return std::nullopt;
    }
    if (staff) {
      return sync::refuse(
          sync::RejectCode::kForbidden,
          fmt::format("{} 是单位 {} 的经办人；只有报表上级单位的审核人才能{}它", peer.user.name,
                      peer.user.unit, sync::action_verb(change->action)));
    }
    return outside();
  }
  if (op.kind == sync::OpKind::kConsolidate) {
    if (staff) {
      return sync::refuse(sync::RejectCode::kForbidden,
                          fmt::format("{} 是单位 {} 的经办人；只有审核人才能汇总下级单位",
                                      peer.user.name, peer.user.unit));
    }
    if (!own_unit) {
      return sync::refuse(sync::RejectCode::kUnitForbidden,
                          fmt::format("{} 只能汇总到自己的单位 {}，不能汇总到 {}", peer.user.name,
                                      peer.user.unit, op.report.unit));
    }
    return std::nullopt;
  }
  if (staff) {
    if (own_unit) return std::nullopt;
    return sync::refuse(sync::RejectCode::kUnitForbidden,
                        fmt::format("{}（单位 {}）不能修改单位 {} 的报表 {}", peer.user.name,
                                    peer.user.unit, op.report.unit, op.report.to_string()));
  }
  // A reviewer writes their own unit's reports (the consolidated ones) and
  // settles open conflicts below it; every other cell belongs to the unit's staff.
  if (own_unit) return std::nullopt;
  if (auto refusal = outside()) return refusal;
  if (op.kind == sync::OpKind::kSetCell) {
    auto cell = store_.cell(op.report, op.row, op.column);
    if (cell.ok() && !cell->conflict.empty()) return std::nullopt;
  }
  return sync::refuse(
      sync::RejectCode::kReadOnly,
      fmt::format("{} {} 审核单位 {} 的报表，只能处理其中未解决的冲突；单元格由该单位经办人填写",
                  role_label(peer.user.role), peer.user.name, op.report.unit));
}

SyncService::Reply SyncService::push(SyncPeer& peer, const sync::Push& m) {
  const int64_t started = steady_us();
  Reply r;
  // Nothing of a failed batch is kept (rolled back), and the client resends it.
  auto not_stored = [&](const Status& why) {
    ++counters_.errors;
    r.messages.push_back(error_message(
        "server_error", fmt::format("批次 {} 未能保存（{}）；请重发", m.batch_id, why.message())));
    return r;
  };
  auto before = store_.last_seq();
  if (!before.ok()) return not_stored(before.status());
  auto results = core_.push(
      m.ops, [&](const sync::Operation& op) { return refuse_op(peer, op); }, options_.max_skew_ms);
  if (!results.ok()) return not_stored(results.status());
  for (const auto& e : *results) {
    if (e.resent) {
      ++counters_.resent;  // answered before: counted then, under its outcome
      continue;
    }
    switch (e.outcome) {
      case sync::Outcome::kApplied:
        ++counters_.applied;
        break;
      case sync::Outcome::kConflict:
        ++counters_.conflict;
        break;
      case sync::Outcome::kRejected:
        ++counters_.rejected;
        break;
    }
    // Entries at or before `before` are earlier answers to resent operations.
    if (e.seq > *before) {
      r.changed_units.insert(e.op.report.unit);
      r.last_seq = std::max(r.last_seq, e.seq);
      r.live_entries.push_back(e);
    }
  }
  r.from = *before;
  if (r.live_entries.size() > options_.max_live_entries) r.live_entries.clear();
  r.messages.push_back(sync::PushResult{m.batch_id, std::move(*results)});
  counters_.push_latency.observe(steady_us() - started);
  return r;
}

SyncService::Reply SyncService::pull(SyncPeer& peer, const sync::Pull& m) {
  const int64_t started = steady_us();
  Reply r;
  if (m.cursor < 0) {
    ++counters_.errors;
    r.messages.push_back(error_message("malformed", "pull.cursor：不能是负数"));
    return r;
  }
  auto pulled = core_.pull(m.cursor, m.limit, [&](const ReportKey& report) {
    return peer.units.count(report.unit) > 0;
  });
  if (!pulled.ok()) {
    ++counters_.errors;
    r.messages.push_back(error_message("server_error", pulled.status().message()));
    return r;
  }
  r.messages.push_back(sync::PullResult{std::move(pulled->entries), pulled->cursor, pulled->more});
  counters_.pull_latency.observe(steady_us() - started);
  return r;
}

std::string SyncService::metrics_text() const {
  std::string out =
      labelled_counter_header("budgetsync_ops_total", "Pushed operations by outcome.");
  out += labelled_counter_line("budgetsync_ops_total", "{outcome=\"applied\"}", counters_.applied);
  out +=
      labelled_counter_line("budgetsync_ops_total", "{outcome=\"conflict\"}", counters_.conflict);
  out +=
      labelled_counter_line("budgetsync_ops_total", "{outcome=\"rejected\"}", counters_.rejected);
  out += labelled_counter_line("budgetsync_ops_total", "{outcome=\"resent\"}", counters_.resent);
  out += counter_text("budgetsync_sync_errors_total",
                      "Sync messages answered with an error (malformed, out of order, ...).",
                      counters_.errors);
  out +=
      counter_text("budgetsync_sync_rate_limited_total",
                   "Sync messages dropped for exceeding the rate limit.", counters_.rate_limited);
  out += counters_.push_latency.text("budgetsync_push_seconds",
                                     "Time to merge and durably commit a pushed batch.");
  out += counters_.pull_latency.text("budgetsync_pull_seconds", "Time to serve a pull batch.");
  return out;
}

}  // namespace budgetsync::server
