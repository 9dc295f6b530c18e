// The client's half of sync over the network: login over HTTPS, and the sync
// protocol over a WebSocket on the same TLS connection, verified against the
// certificate authority the server's administrator handed out.
//
// `sync_once` pushes the outbox, pulls to the end of the log and returns.
// `run_agent` (sync --watch) stays connected: it pulls when the server says
// there is something new, pushes a local edit within `poll_ms` of it being
// saved (by any process), and after a lost connection retries as
// sync::Supervisor says (backoff with full jitter, capped; at once when a
// probe finds the server back), resuming from the cursor and outbox the
// replica keeps. The protocol itself is sync::ClientSession's; this is its
// TLS WebSocket transport.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "client/replica.h"
#include "client/stop_request.h"
#include "shared/status.h"
#include "sync/client_session.h"
#include "sync/clock.h"
#include "sync/protocol.h"
#include "sync/random.h"
#include "sync/supervisor.h"

namespace budgetsync::client {

struct ServerAddress {
  std::string host;
  uint16_t port = 0;
  std::string url() const;
  // "https://HOST:PORT" (the port defaults to 443).
  static Result<ServerAddress> parse(std::string_view url);
};

struct LoginAnswer {
  std::string token;
  int64_t expires_ms = 0;
  std::string user;
  std::string role;
  std::string unit;
};

// Logs the replica's user in to `server` and keeps the token (and the
// server's address, CA file and the user's role) in the replica. Refused,
// saving nothing, when the account belongs to another unit than the replica.
Result<LoginAnswer> log_in(Replica& replica, const ServerAddress& server,
                           const std::string& ca_file, const std::string& password);

// POST /api/login. A refused login (wrong password, throttled) is a
// FailedPrecondition naming the server's reason.
Result<LoginAnswer> login(const ServerAddress& server, const std::string& ca_file,
                          const std::string& user, const std::string& password,
                          int64_t timeout_ms = 15'000);

// The replica settings a sync needs, written by `budgetsync login`.
struct SyncTarget {
  ServerAddress server;
  std::string ca_file;
  std::string token;
  // Reads them from the replica; a replica that never logged in is refused
  // with what to do.
  static Result<SyncTarget> from(const Replica& replica);
};

using SyncTally = sync::SyncTally;

// What a running agent changed, for an app's listener (bits, as budgetsync.h's
// bs_change).
enum AgentChange : int { kChangedCells = 1, kChangedReports = 2, kChangedSync = 4 };

// Tells a running agent, from any thread, that the network went away or came
// back (the operating system said so): back, a waiting agent connects at once.
class AgentRemote {
 public:
  void network_changed(bool up);
  // For run_agent.
  void attach(std::function<void(bool)> post);
  void detach();

 private:
  std::mutex mutex_;
  std::function<void(bool)> post_;
};

struct AgentOptions {
  sync::Encoding encoding = sync::Encoding::kJson;
  size_t push_batch = 1000;
  size_t pull_limit = 1000;
  int64_t connect_timeout_ms = 10'000;
  // An answer the server owes that takes longer than this ends the connection.
  int64_t reply_timeout_ms = 60'000;
  // --watch: how often the replica is checked for local edits, and how long
  // the connection may stay silent before a ping must be answered.
  int64_t poll_ms = 250;
  int64_t idle_timeout_ms = 20'000;
  // Reconnection: backoff, and how often a server that could not be reached
  // is probed for its return (sync/supervisor.h).
  sync::BackoffPolicy backoff;
  // Progress lines ("pulled 5000 of 120000") and agent events ("online",
  // "offline: ...; retrying in 2.3 s").
  std::function<void(const std::string&)> progress;
  std::function<void(const std::string&)> event;
  // run_agent ends when this is requested (the program asks on SIGINT and
  // SIGTERM; the library installs no signal handlers).
  StopRequest* stop = nullptr;
  AgentRemote* remote = nullptr;
  // Called on the agent's thread after it applied entries it pulled, and when
  // it went online or offline or finished an exchange (AgentChange bits).
  std::function<void(int changes)> changed;
};

// `clock` stamps the last successful sync.
Result<SyncTally> sync_once(Replica& replica, const SyncTarget& target, const AgentOptions& options,
                            sync::ClockSource& clock);

// Runs until `options.stop` is requested. Records "online"/"offline", the
// last successful sync and a heartbeat in the replica's settings for
// `status`.
Status run_agent(Replica& replica, const SyncTarget& target, const AgentOptions& options,
                 sync::ClockSource& clock, sync::RandomSource& random);

}  // namespace budgetsync::client
