// The client's half of the sync protocol without sockets: messages in,
// messages out, over a ClientStore. A transport (the TLS WebSocket in the
// desktop program, the host app's own socket through the C API, an in-memory
// pipe in tests) opens a connection, calls start(), hands every decoded
// message from the server to receive(), sends what the session gives its
// `send` function, and calls poll() now and then while the session is idle.
// The session never reads a clock, sleeps or touches a socket; how long to
// wait for an answer is the transport's business (awaiting_reply() says when
// one is owed), and when to connect again is the supervisor's
// (supervisor.h).
//
// The rules, in the order a connection meets them:
//
//  1. Hello names the device's current id, its cursor, and the store id,
//     epoch and scope of the last welcome. The welcome that answers it is
//     noted before anything else: a different store or a risen epoch resets
//     the store (ClientStore::note_server); a cursor the server cannot honour
//     otherwise (the scope changed) restarts the download; then the identity
//     is remembered for the next hello.
//  2. The outbox goes out in batches of `push_batch`, one at a time, each
//     answered before the next. A batch whose answer names another batch id,
//     or answers fewer operations than were sent, ends the connection with
//     nothing acknowledged. If the very operations of an answered batch are
//     still waiting after the answer, the session fails rather than send them
//     unchanged again. When an answer makes the device take a new id, or an
//     operation in the outbox carries an id other than the hello's (another
//     program re-keyed the replica), the rest must go over a new connection:
//     the session ends with kReconnect.
//  3. Then it pulls until its cursor reaches the last sequence the server
//     announced (welcome, push answers, notifies). The next page is asked for
//     before this one is applied, so the server reads while the store writes.
//     A page that is empty although the announced end is not reached means
//     the rest is not readable by this user: the pull stops there rather than
//     ask forever.
//  4. A `watch` session then stays idle. A notify raises what there is to
//     pull; one that carries its entries for exactly this cursor is applied
//     as a page would be. poll() starts a pull when there is more to read and
//     a push when the store's data version moved (or local_change() said so).
//     Every finished exchange is reported as kSynced.
//  5. An error message from the server ends the session (kServerRefused).
//     Any store failure ends it too (kStore, carrying the store's status).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "shared/status.h"
#include "sync/client_store.h"
#include "sync/protocol.h"

namespace budgetsync::sync {

struct SessionOptions {
  size_t push_batch = 1000;
  size_t pull_limit = 1000;
  // Stay connected after the first exchange (sync --watch, the apps).
  bool watch = false;
};

// What one or more sessions did, for the user's summary.
struct SyncTally {
  int64_t pushed = 0;
  int64_t applied = 0;
  int64_t conflicts = 0;
  int64_t rejected = 0;
  int64_t pulled = 0;  // entries from other devices and own ones confirmed
  int64_t cursor = 0;
  int64_t server_last_seq = 0;
  bool download_restarted = false;
  // The server held another change under one of this device's ids: the device
  // took a new id and its waiting edits were sent again under it.
  bool rekeyed = false;
};

// Why a session ended. The words for the user are the edge's (the client's
// sync_text.h); here only what happened and its particulars.
enum class SessionError {
  kNone,
  kStore,              // the local store failed: `store`
  kUnexpectedMessage,  // `got` arrived where `wanted` was owed (message types)
  kWrongBatch,         // the answer was for batch `got`, not `wanted`
  kShortAnswer,        // `answered` results for `sent` operations
  kResentUnchanged,    // `sent` operations from `first_op` still waiting after their answer
  kServerRefused,      // the server's error message: `server_code`, `server_message`
};

struct SessionFailure {
  SessionError error = SessionError::kNone;
  Status store;
  std::string got, wanted;
  size_t answered = 0, sent = 0;
  std::string first_op;
  std::string server_code, server_message;
};

enum class SessionPhase {
  kNotStarted,
  kHello,      // the welcome is owed
  kPushing,    // a push answer is owed
  kPulling,    // a pull answer is owed
  kIdle,       // watch: nothing owed
  kFinished,   // not watch: pushed and pulled to the end; close the connection
  kReconnect,  // the device's id changed: close, and connect again at once
  kFailed,     // failure() says why; close the connection
};

// What a call changed, for progress lines and the supervisor.
enum class SessionEvent {
  kNone,
  kWelcomed,  // the server answered the hello: the connection is up
  kPushed,    // a batch was answered (tally().pushed)
  kPulled,    // a page was applied (tally().cursor of tally().server_last_seq)
  kSynced,    // watch: an exchange ended with nothing left to send or fetch
  kFinished,  // see SessionPhase
  kReconnect,
  kFailed,
};

class ClientSession {
 public:
  using Send = std::function<void(const Message&)>;
  // `carried` continues a tally (a second connection after kReconnect).
  ClientSession(ClientStore& store, SessionOptions options, Send send, SyncTally carried = {});
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  // Sends the hello.
  SessionEvent start();
  // A message from the server. Ignored once the session has ended.
  SessionEvent receive(const Message& message);
  // While idle: pulls when the server announced more, pushes when the store's
  // data version moved. Does nothing in any other phase.
  SessionEvent poll();
  // Something was written to the store through this process's own connection
  // (whose writes do not move its data version): the next poll pushes.
  void local_change() { local_change_ = true; }

  SessionPhase phase() const { return phase_; }
  bool ended() const {
    return phase_ == SessionPhase::kFinished || phase_ == SessionPhase::kReconnect ||
           phase_ == SessionPhase::kFailed;
  }
  // The server owes an answer: the transport's reply timeout runs.
  bool awaiting_reply() const {
    return phase_ == SessionPhase::kHello || phase_ == SessionPhase::kPushing ||
           phase_ == SessionPhase::kPulling;
  }
  const SyncTally& tally() const { return tally_; }
  const SessionFailure& failure() const { return failure_; }

 private:
  SessionEvent welcome(const Welcome& w);
  SessionEvent push_next();
  SessionEvent pushed(const PushResult& r);
  SessionEvent pulled(const PullResult& r);
  SessionEvent start_pull();
  SessionEvent exchange_done();
  SessionEvent idle_work();
  bool apply_live(const Notify& n);
  SessionEvent fail(SessionFailure f);
  SessionEvent fail_store(Status s);
  SessionEvent unexpected(const Message& m, const char* wanted);

  ClientStore& store_;
  SessionOptions options_;
  Send send_;
  SyncTally tally_;
  SessionFailure failure_;
  SessionPhase phase_ = SessionPhase::kNotStarted;
  std::string hello_device_;
  std::string batch_id_;
  size_t batch_size_ = 0;
  std::vector<OpId> last_sent_;
  int64_t batches_ = 0;
  int64_t seen_version_ = 0;
  int64_t unreadable_through_ = 0;  // a pull stopped short of this announced end
  bool local_change_ = false;
};

}  // namespace budgetsync::sync
