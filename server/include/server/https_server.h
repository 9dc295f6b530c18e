// The server's network face: one TLS listener (TLS 1.2 or newer) serving HTTPS
// (`GET /healthz`, `POST /api/login`). The WebSocket `/sync` endpoint joins it
// with the sync work. Single-threaded: every session runs on the io_context the
// server is given.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "server/admin_store.h"
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
};

class HttpsServer {
 public:
  HttpsServer(boost::asio::io_context& io, AdminStore& admin, sync::ClockSource& clock,
              HttpsOptions options);
  ~HttpsServer();

  // Binds and starts accepting; port 0 picks a free port (see port()).
  Status listen(const std::string& host, uint16_t port);
  uint16_t port() const;
  // Stops accepting; sessions in flight finish their current exchange.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Serves on host:port until SIGINT or SIGTERM, then stops accepting and lets
// the exchanges in flight finish. `on_listening` is told the bound port.
Status serve_until_signal(AdminStore& admin, sync::ClockSource& clock, const HttpsOptions& options,
                          const std::string& host, uint16_t port,
                          const std::function<void(uint16_t)>& on_listening);

}  // namespace budgetsync::server
