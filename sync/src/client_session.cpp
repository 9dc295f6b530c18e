#include "sync/client_session.h"

#include <fmt/format.h>

#include <algorithm>

namespace budgetsync::sync {

ClientSession::ClientSession(ClientStore& store, SessionOptions options, Send send,
                             SyncTally carried)
    : store_(store), options_(options), send_(std::move(send)), tally_(carried) {
  options_.push_batch = std::max<size_t>(options_.push_batch, 1);
  options_.pull_limit = std::max<size_t>(options_.pull_limit, 1);
}

SessionEvent ClientSession::fail(SessionFailure f) {
  failure_ = std::move(f);
  phase_ = SessionPhase::kFailed;
  return SessionEvent::kFailed;
}

SessionEvent ClientSession::fail_store(Status s) {
  SessionFailure f;
  f.error = SessionError::kStore;
  f.store = std::move(s);
  return fail(std::move(f));
}

SessionEvent ClientSession::unexpected(const Message& m, const char* wanted) {
  SessionFailure f;
  f.error = SessionError::kUnexpectedMessage;
  f.got = std::string(message_type(m));
  f.wanted = wanted;
  return fail(std::move(f));
}

SessionEvent ClientSession::start() {
  if (phase_ != SessionPhase::kNotStarted) return SessionEvent::kNone;
  auto device = store_.device();
  if (!device.ok()) return fail_store(device.status());
  auto cursor = store_.cursor();
  if (!cursor.ok()) return fail_store(cursor.status());
  auto server = store_.server();
  if (!server.ok()) return fail_store(server.status());
  auto version = store_.data_version();
  if (!version.ok()) return fail_store(version.status());
  seen_version_ = *version;
  Hello hello;
  hello.device = hello_device_ = *device;
  hello.cursor = *cursor;
  hello.store_id = server->store_id;
  hello.epoch = server->epoch;
  hello.scope = server->scope;
  phase_ = SessionPhase::kHello;
  send_(hello);
  return SessionEvent::kNone;
}

SessionEvent ClientSession::receive(const Message& message) {
  if (ended() || phase_ == SessionPhase::kNotStarted) return SessionEvent::kNone;
  if (const auto* e = std::get_if<ErrorMessage>(&message)) {
    SessionFailure f;
    f.error = SessionError::kServerRefused;
    f.server_code = e->code;
    f.server_message = e->message;
    return fail(std::move(f));
  }
  if (const auto* n = std::get_if<Notify>(&message)) {
    tally_.server_last_seq = std::max(tally_.server_last_seq, n->last_seq);
    if (phase_ != SessionPhase::kIdle) return SessionEvent::kNone;  // pulled for when idle
    if (apply_live(*n)) {
      if (ended()) return SessionEvent::kFailed;
      SessionEvent next = idle_work();
      // Synced only when nothing is owed again (idle_work may have sent).
      return next == SessionEvent::kNone && phase_ == SessionPhase::kIdle ? SessionEvent::kSynced
                                                                          : next;
    }
    if (ended()) return SessionEvent::kFailed;
    return idle_work();
  }
  switch (phase_) {
    case SessionPhase::kHello:
      if (const auto* w = std::get_if<Welcome>(&message)) return welcome(*w);
      return unexpected(message, "welcome");
    case SessionPhase::kPushing:
      if (const auto* r = std::get_if<PushResult>(&message)) return pushed(*r);
      return unexpected(message, "push_result");
    case SessionPhase::kPulling:
      if (const auto* r = std::get_if<PullResult>(&message)) return pulled(*r);
      return unexpected(message, "pull_result");
    default:
      return unexpected(message, "notify");  // nothing else comes unasked
  }
}

SessionEvent ClientSession::welcome(const Welcome& w) {
  auto reset = store_.note_server(w.store_id, w.epoch);
  if (!reset.ok()) return fail_store(reset.status());
  if (!w.cursor_valid && !*reset) {
    if (Status s = store_.restart_download(); !s.ok()) return fail_store(s);
  }
  if (Status s = store_.remember_server({w.store_id, w.epoch, w.scope}); !s.ok())
    return fail_store(s);
  tally_.download_restarted = tally_.download_restarted || *reset || !w.cursor_valid;
  tally_.server_last_seq = std::max(tally_.server_last_seq, w.last_seq);
  auto cursor = store_.cursor();
  if (!cursor.ok()) return fail_store(cursor.status());
  tally_.cursor = *cursor;
  SessionEvent next = push_next();
  return next == SessionEvent::kFailed || next == SessionEvent::kReconnect
             ? next
             : SessionEvent::kWelcomed;
}

SessionEvent ClientSession::push_next() {
  auto ops = store_.outbox(options_.push_batch);
  if (!ops.ok()) return fail_store(ops.status());
  if (ops->empty()) return start_pull();
  std::vector<OpId> ids;
  ids.reserve(ops->size());
  for (const auto& op : *ops) ids.push_back(op.id);
  // Another program re-keyed the replica since the hello: this connection
  // speaks for the old id.
  if (std::any_of(ids.begin(), ids.end(),
                  [&](const OpId& id) { return id.device != hello_device_; })) {
    phase_ = SessionPhase::kReconnect;
    return SessionEvent::kReconnect;
  }
  if (ids == last_sent_) {
    SessionFailure f;
    f.error = SessionError::kResentUnchanged;
    f.sent = ids.size();
    f.first_op = ids.front().to_string();
    return fail(std::move(f));
  }
  last_sent_ = std::move(ids);
  Push push;
  push.batch_id = batch_id_ = fmt::format("{}-{}", hello_device_, ++batches_);
  batch_size_ = ops->size();
  push.ops = std::move(*ops);
  phase_ = SessionPhase::kPushing;
  send_(push);
  return SessionEvent::kNone;
}

SessionEvent ClientSession::pushed(const PushResult& r) {
  if (r.batch_id != batch_id_) {
    // An answer to another batch (one already answered, sent again): nothing
    // of this batch is known yet, so it stays in the outbox.
    SessionFailure f;
    f.error = SessionError::kWrongBatch;
    f.got = r.batch_id;
    f.wanted = batch_id_;
    return fail(std::move(f));
  }
  if (r.results.size() != batch_size_) {
    SessionFailure f;
    f.error = SessionError::kShortAnswer;
    f.answered = r.results.size();
    f.sent = batch_size_;
    return fail(std::move(f));
  }
  auto rekeyed = store_.acknowledge(r.results);
  if (!rekeyed.ok()) return fail_store(rekeyed.status());
  for (const auto& e : r.results) {
    if (e.outcome == Outcome::kRejected && e.code == RejectCode::kOpIdReused)
      continue;  // sent again under the new id
    ++tally_.pushed;
    switch (e.outcome) {
      case Outcome::kApplied:
        ++tally_.applied;
        break;
      case Outcome::kConflict:
        ++tally_.conflicts;
        break;
      case Outcome::kRejected:
        ++tally_.rejected;
        break;
    }
    tally_.server_last_seq = std::max(tally_.server_last_seq, e.seq);
  }
  if (*rekeyed) {
    tally_.rekeyed = true;
    phase_ = SessionPhase::kReconnect;
    return SessionEvent::kReconnect;
  }
  SessionEvent next = push_next();
  return next == SessionEvent::kNone ? SessionEvent::kPushed : next;
}

SessionEvent ClientSession::start_pull() {
  auto cursor = store_.cursor();
  if (!cursor.ok()) return fail_store(cursor.status());
  tally_.cursor = *cursor;
  // Watching, an exchange that only pushed pulls only what it is owed.
  if (options_.watch && phase_ != SessionPhase::kHello && tally_.server_last_seq <= *cursor)
    return exchange_done();
  phase_ = SessionPhase::kPulling;
  send_(Pull{*cursor, options_.pull_limit});
  return SessionEvent::kNone;
}

SessionEvent ClientSession::pulled(const PullResult& r) {
  const bool again = r.more || (r.cursor < tally_.server_last_seq && !r.entries.empty());
  // The next page is asked for before this one is written.
  if (again) send_(Pull{r.cursor, options_.pull_limit});
  if (Status s = store_.apply_pulled(r.entries, r.cursor); !s.ok()) return fail_store(s);
  tally_.pulled += static_cast<int64_t>(r.entries.size());
  tally_.cursor = r.cursor;
  if (again) return SessionEvent::kPulled;
  // Stopped short of the announced end: the rest is not readable (yet), and
  // is not asked for again until a notify announces more.
  if (r.cursor < tally_.server_last_seq) unreadable_through_ = tally_.server_last_seq;
  return exchange_done();
}

SessionEvent ClientSession::exchange_done() {
  if (!options_.watch) {
    phase_ = SessionPhase::kFinished;
    return SessionEvent::kFinished;
  }
  phase_ = SessionPhase::kIdle;
  SessionEvent next = idle_work();
  return next == SessionEvent::kNone && phase_ == SessionPhase::kIdle ? SessionEvent::kSynced
                                                                      : next;
}

SessionEvent ClientSession::poll() {
  if (phase_ != SessionPhase::kIdle) return SessionEvent::kNone;
  return idle_work();
}

SessionEvent ClientSession::idle_work() {
  // Read afresh: another program may have synced this replica meanwhile.
  auto cursor = store_.cursor();
  if (!cursor.ok()) return fail_store(cursor.status());
  tally_.cursor = *cursor;
  if (tally_.server_last_seq > std::max(*cursor, unreadable_through_)) {
    phase_ = SessionPhase::kPulling;
    send_(Pull{*cursor, options_.pull_limit});
    return SessionEvent::kNone;
  }
  auto version = store_.data_version();
  if (!version.ok()) return fail_store(version.status());
  if (*version == seen_version_ && !local_change_) return SessionEvent::kNone;
  seen_version_ = *version;
  local_change_ = false;
  return push_next();
}

bool ClientSession::apply_live(const Notify& n) {
  if (!n.from) return false;
  auto cursor = store_.cursor();
  if (!cursor.ok()) {
    fail_store(cursor.status());
    return false;
  }
  if (*n.from != *cursor) return false;
  if (Status s = store_.apply_pulled(n.entries, n.last_seq); !s.ok()) {
    fail_store(s);
    return false;
  }
  tally_.pulled += static_cast<int64_t>(n.entries.size());
  tally_.cursor = n.last_seq;
  return true;
}

}  // namespace budgetsync::sync
