// The server's network face: one TLS listener (TLS 1.2 or newer) serving HTTPS
// (`GET /healthz`, `GET /metrics`, `POST /api/login`) and the WebSocket `/sync`
// endpoint, authenticated by a login token. Single-threaded: every session runs
// on the io_context the server is given, so a pushed batch is merged and
// committed within one handler and a stop never cuts one in half. Only login
// password checks (the KDF) run elsewhere, on the server's own small pool,
// with the stores touched before and after on the io_context.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "server/admin_store.h"
#include "server/event_log.h"
#include "server/sync_service.h"
#include "shared/status.h"
#include "sync/clock.h"

namespace boost::asio {
class io_context;
}

namespace budgetsync::server {

struct HttpsOptions {
  std::string cert_file;  // PEM chain
  std::string key_file;
  int64_t handshake_timeout_ms = 10'000;
  int64_t request_timeout_ms = 30'000;
  size_t max_body_bytes = 64 * 1024;
  // Outgoing messages a sync connection may have queued; a peer that stops
  // reading is disconnected rather than let the queue grow.
  size_t max_queued_messages = 64;
  // How often every open sync connection's token is checked again (expiry by
  // the clock, revocation or a disabled user through the store), besides
  // before every notify: a token that ends is cut off within this.
  int64_t token_check_interval_ms = 250;
  // How long a stop waits for open connections to close before ending.
  int64_t stop_grace_ms = 2'000;
  // Threads that check login passwords (PBKDF2), off the I/O thread; logins
  // waiting for one beyond `max_pending_logins` are answered 503.
  size_t kdf_threads = 2;
  size_t max_pending_logins = 64;
  // Logins, refused tokens and slow consumers are written here.
  EventLog log;
};

class HttpsServer {
 public:
  // `sync` may be null: then `/sync` answers 404.
  HttpsServer(boost::asio::io_context& io, AdminStore& admin, sync::ClockSource& clock,
              HttpsOptions options, SyncService* sync = nullptr);
  ~HttpsServer();

  // Binds and starts accepting; port 0 picks a free port (see port()).
  Status listen(const std::string& host, uint16_t port);
  uint16_t port() const;
  // Stops accepting and asks every sync connection to close (going away);
  // sessions in flight finish their current exchange.
  void stop();
  // Open WebSocket sync connections.
  size_t sync_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Serves on host:port until SIGINT or SIGTERM, then stops accepting and lets
// the exchanges in flight finish. `on_listening` is told the bound port.
Status serve_until_signal(AdminStore& admin, SyncService& sync, sync::ClockSource& clock,
                          const HttpsOptions& options, const std::string& host, uint16_t port,
                          const std::function<void(uint16_t)>& on_listening);

}  // namespace budgetsync::server
