// The sync protocol's server side, without sockets: a decoded message from an
// authenticated peer in, the messages to send back out. The WebSocket session
// in https_server.cpp feeds it frames; tests drive it directly.
//
// Authorization (architecture.md, "Wire protocol and security"): staff read and
// write their own unit and submit its reports; reviewers and administrators
// read their unit's subtree, return, approve and reopen its reports, settle its
// open conflicts, and write only their own unit's (consolidated) reports. Every
// push re-checks the peer's token, so revoking it or disabling the user takes
// effect on connections already open; notifies check it too (standing()).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "server/admin_store.h"
#include "server/event_log.h"
#include "server/metrics.h"
#include "shared/catalog.h"
#include "sync/clock.h"
#include "sync/protocol.h"
#include "sync/server_core.h"

namespace budgetsync::server {

struct SyncOptions {
  sync::Limits limits;
  int64_t max_skew_ms = sync::HybridClock::kDefaultMaxSkewMs;
  // Messages a peer may send: a burst, then this many per second.
  int64_t rate_burst = 200;
  int64_t rate_per_second = 100;
  // A push that logs at most this many entries sends them with its notify, so
  // connected devices have them without a pull; a bigger one only notifies.
  size_t max_live_entries = 200;
  // The form templates submissions are validated against; without them the
  // server checks only the review states and the submitted snapshot.
  const Catalog* catalog = nullptr;
};

// One connection's state, kept by the transport and handed to every call.
struct SyncPeer {
  std::string token;
  User user;
  int64_t expires_ms = 0;     // when the token ends, by the server's clock
  int64_t revocations = 0;    // AdminStore::revocation_generation when it was last checked
  std::string address;
  bool welcomed = false;
  std::string device;
  std::set<std::string> units;  // the units this user may read
  // Rate limiting: a token bucket in thousandths of a message.
  int64_t bucket_milli = -1;  // -1: full, set on first message
  int64_t bucket_at_ms = 0;
};

class SyncService {
 public:
  SyncService(AdminStore& admin, sync::ServerStore& store, sync::ClockSource& clock,
              SyncOptions options = {});

  struct Reply {
    std::vector<sync::Message> messages;
    bool close = false;  // close the connection after sending
    // Units whose reports got new log entries; peers reading them are notified
    // of `last_seq`.
    std::set<std::string> changed_units;
    int64_t last_seq = 0;
    // The new entries after `from` up to `last_seq`, when few enough to send
    // with the notify (none otherwise).
    int64_t from = 0;
    std::vector<sync::LogEntry> live_entries;
  };

  Reply handle(SyncPeer& peer, const sync::Message& message);

  // Whether the peer's token still holds, asked before every notify and
  // periodically, so a revoked or expired token gets nothing more on a live
  // connection. Expiry is checked against the clock; the store is asked again
  // only when `revocations` (AdminStore::revocation_generation, read once for
  // all peers) differs from what the peer last saw. A store that fails to
  // answer keeps the peer (kValid) and is asked again next time.
  enum class Standing { kValid, kExpired, kRevoked };
  Standing standing(SyncPeer& peer, int64_t revocations);
  // The error a peer whose token ended is sent before it is closed.
  static sync::ErrorMessage token_ended();
  // A frame that did not decode (sync::decode's status): the error to answer.
  Reply refuse_frame(SyncPeer& peer, const Status& decode_error);

  // Every refusal (error answer, rejected operation) is written here.
  void set_event_log(EventLog log) { log_ = std::move(log); }

  const SyncOptions& options() const { return options_; }
  // The sync counters and histograms, Prometheus text.
  std::string metrics_text() const;

 private:
  Reply answer(SyncPeer& peer, const sync::Message& message);
  Reply logged(const SyncPeer& peer, Reply reply) const;
  Reply hello(SyncPeer& peer, const sync::Hello& m);
  Reply push(SyncPeer& peer, const sync::Push& m);
  Reply pull(SyncPeer& peer, const sync::Pull& m);
  bool take_rate_token(SyncPeer& peer);
  std::optional<sync::Refusal> refuse_op(const SyncPeer& peer, const sync::Operation& op) const;

  AdminStore& admin_;
  sync::ServerStore& store_;
  sync::ClockSource& clock_;
  SyncOptions options_;
  EventLog log_;
  sync::ServerCore core_;

  struct Counters {
    uint64_t applied = 0, conflict = 0, rejected = 0, resent = 0;
    uint64_t errors = 0, rate_limited = 0;
    LatencyHistogram push_latency, pull_latency;
  } counters_;
};

// A reply's messages made into an error reply.
sync::ErrorMessage error_message(std::string code, std::string message, bool fatal = false);

}  // namespace budgetsync::server
