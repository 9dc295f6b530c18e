// The only translation unit that includes Beast: it is heavy to compile, so the
// rest of the server talks to it through https_server.h.
#include "server/https_server.h"

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <nlohmann/json.hpp>
#include <set>

#include "server/login_request.h"

namespace budgetsync::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

namespace {

// What /metrics reports (Prometheus text format). One io thread: plain integers.
struct Metrics {
  uint64_t connections = 0;
  uint64_t handshake_failures = 0;
  uint64_t requests = 0;
  uint64_t logins_ok = 0;
  uint64_t logins_refused = 0;
  uint64_t logins_throttled = 0;
  uint64_t sync_connections = 0;
  uint64_t slow_consumers = 0;

  std::string text() const {
    std::string out;
    auto counter = [&](const char* name, const char* help, const std::string& labels, uint64_t v) {
      out += fmt::format("# HELP {} {}\n# TYPE {} counter\n{}{} {}\n", name, help, name, name,
                         labels, v);
    };
    counter("budgetsync_connections_total", "TLS connections accepted.", "", connections);
    counter("budgetsync_tls_handshake_failures_total",
            "Connections that never completed a TLS handshake.", "", handshake_failures);
    counter("budgetsync_http_requests_total", "HTTPS requests read.", "", requests);
    out +=
        "# HELP budgetsync_logins_total Login attempts by result.\n# TYPE budgetsync_logins_total "
        "counter\n";
    out += fmt::format("budgetsync_logins_total{{result=\"ok\"}} {}\n", logins_ok);
    out += fmt::format("budgetsync_logins_total{{result=\"refused\"}} {}\n", logins_refused);
    out += fmt::format("budgetsync_logins_total{{result=\"throttled\"}} {}\n", logins_throttled);
    out += fmt::format(
        "# HELP budgetsync_sync_connections Open WebSocket sync connections.\n# TYPE "
        "budgetsync_sync_connections gauge\nbudgetsync_sync_connections {}\n",
        sync_connections);
    counter("budgetsync_sync_slow_consumers_total",
            "Sync connections closed because their outgoing queue was full.", "", slow_consumers);
    return out;
  }
};

class SyncConnection;

// A push's new entries, sent with the notify to every device that reads all
// their units: encoded once per encoding however many devices get them.
class LiveEntries {
 public:
  LiveEntries(const SyncService::Reply& reply) : reply_(reply) {
    for (const auto& e : reply.live_entries) units_.insert(e.op.report.unit);
  }

  // The notify frame for a device reading `readable`; null when it gets only
  // the plain notify.
  std::shared_ptr<const std::string> frame(const std::set<std::string>& readable,
                                           sync::Encoding encoding) {
    if (reply_.live_entries.empty()) return nullptr;
    bool reads_all = true;
    for (const auto& u : units_) reads_all = reads_all && readable.count(u) > 0;
    if (reads_all) {
      auto& shared = encoding == sync::Encoding::kCbor ? cbor_ : json_;
      if (!shared) shared = encode(reply_.live_entries, encoding);
      return shared;
    }
    std::vector<sync::LogEntry> visible;
    for (const auto& e : reply_.live_entries) {
      if (readable.count(e.op.report.unit) > 0) visible.push_back(e);
    }
    return encode(visible, encoding);
  }

 private:
  std::shared_ptr<const std::string> encode(const std::vector<sync::LogEntry>& entries,
                                            sync::Encoding encoding) const {
    return std::make_shared<const std::string>(
        sync::encode(sync::Notify{reply_.last_seq, reply_.from, entries}, encoding));
  }

  const SyncService::Reply& reply_;
  std::set<std::string> units_;
  std::shared_ptr<const std::string> json_, cbor_;
};

// What every connection shares: the stores, the options, the counters, and the
// open sync connections (to notify them of new entries).
struct Shared {
  AdminStore& admin;
  sync::ClockSource& clock;
  HttpsOptions options;
  SyncService* sync;
  Metrics metrics;
  std::set<std::shared_ptr<SyncConnection>> sync_connections;
  bool stopping = false;
};

// One WebSocket sync connection: frames in, SyncService, frames out through a
// bounded queue. A frame's encoding (text: JSON, binary: CBOR) is the encoding
// of the answer.
class SyncConnection : public std::enable_shared_from_this<SyncConnection> {
 public:
  SyncConnection(beast::ssl_stream<beast::tcp_stream> stream, Shared& shared, SyncPeer peer)
      : ws_(std::move(stream)), shared_(shared), peer_(std::move(peer)) {}

  void start(http::request<http::string_body> req) {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "budgetsync-server"); }));
    ws_.read_message_max(shared_.sync->options().limits.max_frame_bytes);
    ws_.async_accept(req, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      if (self->shared_.stopping) return self->close(websocket::close_code::going_away);
      self->shared_.sync_connections.insert(self);
      ++self->shared_.metrics.sync_connections;
      self->do_read();
    });
  }

  // New log entries exist up to `seq`: queued once, however many arrive before
  // the peer reads it. A lone notify carries the entries themselves; notifies
  // that pile up become one plain notify and the device pulls.
  void notify(int64_t seq, const std::set<std::string>& units, LiveEntries& live) {
    if (!peer_.welcomed || closing_) return;
    bool reads = false;
    for (const auto& u : units) reads = reads || peer_.units.count(u) > 0;
    if (!reads) return;
    if (notify_queued_) {
      notify_seq_ = std::max(notify_seq_, seq);
      notify_frame_.reset();
      return;
    }
    notify_queued_ = true;
    notify_seq_ = seq;
    notify_frame_ = live.frame(peer_.units, encoding_);
    enqueue({}, true);
  }

  void close(websocket::close_code code) {
    if (closing_) return;
    closing_ = true;
    close_code_ = code;
    if (!writing_) do_close();
  }

 private:
  struct Outgoing {
    std::string bytes;
    std::shared_ptr<const std::string> shared_bytes;  // instead of bytes, when set
    bool binary = false;
    bool is_notify = false;
  };

  void do_read() {
    ws_.async_read(
        buffer_, [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec && ec != websocket::error::closed) {
      // Not a normal close: a frame over the limit (closed 1009), a timeout, a
      // dropped connection.
      shared_.options.log.write(
          "sync_closed",
          fmt::format("user={} device={} address={} {}", peer_.user.name,
                      peer_.device.empty() ? "-" : peer_.device, peer_.address, ec.message()));
    }
    if (ec) return finish();  // closed, timed out, or a frame over the limit (closed 1009)
    const bool binary = ws_.got_binary();
    encoding_ = binary ? sync::Encoding::kCbor : sync::Encoding::kJson;
    const std::string frame = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    if (buffer_.capacity() > 16 * 1024) buffer_.shrink_to_fit();  // idle connections stay small
    SyncService& service = *shared_.sync;
    auto decoded = sync::decode(frame, encoding_, service.options().limits);
    SyncService::Reply reply = decoded.ok() ? service.handle(peer_, *decoded)
                                            : service.refuse_frame(peer_, decoded.status());
    for (const auto& m : reply.messages) enqueue(sync::encode(m, encoding_), false);
    if (!reply.changed_units.empty()) {
      LiveEntries live(reply);
      for (const auto& c :
           std::vector(shared_.sync_connections.begin(), shared_.sync_connections.end())) {
        if (c.get() != this) c->notify(reply.last_seq, reply.changed_units, live);
      }
    }
    if (reply.close) return close(websocket::close_code::policy_error);
    if (!closing_) do_read();
  }

  void enqueue(std::string bytes, bool is_notify) {
    if (closing_) return;
    if (queue_.size() >= shared_.options.max_queued_messages) {
      // The peer has stopped reading: let it reconnect and resume from its cursor.
      ++shared_.metrics.slow_consumers;
      shared_.options.log.write(
          "sync_slow_consumer",
          fmt::format("user={} device={} address={} queued={}: closed, it will resume from its "
                      "cursor",
                      peer_.user.name, peer_.device, peer_.address, queue_.size()));
      queue_.clear();
      return close(websocket::close_code::try_again_later);
    }
    queue_.push_back({std::move(bytes), nullptr, encoding_ == sync::Encoding::kCbor, is_notify});
    if (!writing_) do_write();
  }

  void do_write() {
    Outgoing& next = queue_.front();
    if (next.is_notify) {
      if (notify_frame_) {
        next.shared_bytes = std::move(notify_frame_);
      } else {
        next.bytes = sync::encode(sync::Notify{notify_seq_, std::nullopt, {}}, encoding_);
      }
      notify_frame_.reset();
      notify_queued_ = false;
    }
    writing_ = true;
    ws_.binary(next.binary);
    ws_.async_write(asio::buffer(next.shared_bytes ? *next.shared_bytes : next.bytes),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      self->writing_ = false;
                      if (ec) return self->finish();
                      self->queue_.pop_front();
                      if (!self->queue_.empty()) return self->do_write();
                      if (self->closing_) self->do_close();
                    });
  }

  void do_close() {
    ws_.async_close(close_code_,
                    [self = shared_from_this()](beast::error_code) { self->finish(); });
  }

  void finish() {
    if (shared_.sync_connections.erase(shared_from_this()) > 0) --shared_.metrics.sync_connections;
  }

  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws_;
  Shared& shared_;
  SyncPeer peer_;
  beast::flat_buffer buffer_;
  sync::Encoding encoding_ = sync::Encoding::kJson;
  std::deque<Outgoing> queue_;
  bool writing_ = false;
  bool closing_ = false;
  websocket::close_code close_code_ = websocket::close_code::normal;
  bool notify_queued_ = false;
  int64_t notify_seq_ = 0;
  std::shared_ptr<const std::string> notify_frame_;  // shared by the devices told the same
};

// One connection: TLS handshake, then request/response exchanges until the
// client closes, a phase times out, or it upgrades to a sync WebSocket.
class HttpsConnection : public std::enable_shared_from_this<HttpsConnection> {
 public:
  HttpsConnection(tcp::socket socket, ssl::context& ctx, Shared& shared)
      : stream_(std::move(socket), ctx),
        shared_(shared),
        admin_(shared.admin),
        clock_(shared.clock),
        options_(shared.options),
        metrics_(shared.metrics) {
    ++metrics_.connections;
    remote_ =
        beast::get_lowest_layer(stream_).socket().remote_endpoint(ignored_).address().to_string();
  }

  void start() {
    beast::get_lowest_layer(stream_).expires_after(
        std::chrono::milliseconds(options_.handshake_timeout_ms));
    stream_.async_handshake(
        ssl::stream_base::server,
        [self = shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
  }

 private:
  void on_handshake(beast::error_code ec) {
    if (ec) {
      ++metrics_.handshake_failures;
      return;  // not TLS, or too slow: nothing was read, nothing to answer
    }
    do_read();
  }

  void do_read() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    beast::get_lowest_layer(stream_).expires_after(
        std::chrono::milliseconds(options_.request_timeout_ms));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return close();
    if (ec == http::error::body_limit)
      return respond(http::status::payload_too_large, {{"error", "too_large"}}, false);
    if (ec) return;
    ++metrics_.requests;
    keep_alive_ = parser_->get().keep_alive();
    if (parser_->get().target() == "/sync") return upgrade();
    handle(parser_->get());
  }

  // The sync WebSocket: authenticated by the login token before the upgrade.
  void upgrade() {
    auto req = parser_->release();
    if (!shared_.sync) return respond(http::status::not_found, {{"error", "not_found"}});
    if (!websocket::is_upgrade(req)) {
      return respond(http::status::upgrade_required,
                     {{"error", "upgrade_required"},
                      {"message", "/sync speaks the sync protocol over a WebSocket"}});
    }
    const auto field = req[http::field::authorization];
    const std::string_view auth(field.data(), field.size());
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.substr(0, kBearer.size()) != kBearer) {
      options_.log.write("sync_unauthorized", fmt::format("address={} no bearer token", remote_));
      return respond(
          http::status::unauthorized,
          {{"error", "unauthorized"},
           {"message", "send “Authorization: Bearer TOKEN” with a token from /api/login"}},
          false);
    }
    const std::string token(auth.substr(kBearer.size()));
    auto user = admin_.authenticate(token, clock_.now_ms());
    if (!user.ok())
      return respond(http::status::internal_server_error,
                     {{"error", "server_error"}, {"message", user.status().message()}}, false);
    if (!*user) {
      options_.log.write("sync_unauthorized",
                         fmt::format("address={} token unknown, expired or revoked", remote_));
      return respond(http::status::unauthorized,
                     {{"error", "unauthorized"},
                      {"message", "the token is unknown, expired or revoked; log in again"}},
                     false);
    }
    SyncPeer peer;
    peer.token = token;
    peer.user = **user;
    peer.address = remote_;
    std::make_shared<SyncConnection>(std::move(stream_), shared_, std::move(peer))
        ->start(std::move(req));
  }

  void handle(const http::request<http::string_body>& req) {
    if (req.target() == "/healthz" && req.method() == http::verb::get) {
      return respond(http::status::ok, {{"status", "ok"}});
    }
    if (req.target() == "/metrics" && req.method() == http::verb::get) {
      return respond_text(http::status::ok,
                          metrics_.text() + (shared_.sync ? shared_.sync->metrics_text() : ""),
                          "text/plain; version=0.0.4");
    }
    if (req.target() == "/api/login") {
      if (req.method() != http::verb::post)
        return respond(http::status::method_not_allowed, {{"error", "use POST"}});
      const auto body = parse_login_request(req.body());
      if (!body) {
        return respond(http::status::bad_request,
                       {{"error", "malformed"},
                        {"message", "send {\"user\": \"...\", \"password\": \"...\"}"}});
      }
      auto session = admin_.login(body->user, body->password, remote_, clock_.now_ms());
      if (!session.ok()) {
        const bool throttled = session.status().message().find("too many") != std::string::npos;
        ++(throttled ? metrics_.logins_throttled : metrics_.logins_refused);
        options_.log.write(
            throttled ? "login_throttled" : "login_refused",
            fmt::format("user={} address={} {}", body->user, remote_, session.status().message()));
        return respond(throttled ? http::status::too_many_requests : http::status::unauthorized,
                       {{"error", throttled ? "throttled" : "unauthorized"},
                        {"message", session.status().message()}});
      }
      ++metrics_.logins_ok;
      options_.log.write("login", fmt::format("user={} address={}", session->user.name, remote_));
      return respond(http::status::ok, {{"token", session->token},
                                        {"expires_ms", session->expires_ms},
                                        {"user", session->user.name},
                                        {"role", std::string(role_name(session->user.role))},
                                        {"unit", session->user.unit}});
    }
    respond(http::status::not_found, {{"error", "not_found"}});
  }

  void respond(http::status status, const json& body, bool keep_alive = true) {
    respond_text(status, body.dump(), "application/json", keep_alive);
  }

  void respond_text(http::status status, std::string body, const char* content_type,
                    bool keep_alive = true) {
    auto res = std::make_shared<http::response<http::string_body>>(status, 11);
    res->set(http::field::server, "budgetsync-server");
    res->set(http::field::content_type, content_type);
    res->keep_alive(keep_alive && keep_alive_);
    res->body() = std::move(body);
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec) return;
                        if (!res->keep_alive()) return self->close();
                        self->do_read();
                      });
  }

  void close() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {});
  }

  beast::ssl_stream<beast::tcp_stream> stream_;
  Shared& shared_;
  AdminStore& admin_;
  sync::ClockSource& clock_;
  const HttpsOptions& options_;
  Metrics& metrics_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = true;
  std::string remote_;
  beast::error_code ignored_;
};

}  // namespace

struct HttpsServer::Impl {
  asio::io_context& io;
  Shared shared;
  ssl::context ctx{ssl::context::tls_server};
  tcp::acceptor acceptor;

  Impl(asio::io_context& i, AdminStore& a, sync::ClockSource& c, HttpsOptions o, SyncService* s)
      : io(i), shared{a, c, std::move(o), s, {}, {}, false}, acceptor(asio::make_strand(i)) {}

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        // Small frames answered at once: no waiting for delayed ACKs (Nagle).
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<HttpsConnection>(std::move(socket), ctx, shared)->start();
      }
      accept();
    });
  }
};

HttpsServer::HttpsServer(asio::io_context& io, AdminStore& admin, sync::ClockSource& clock,
                         HttpsOptions options, SyncService* sync)
    : impl_(std::make_unique<Impl>(io, admin, clock, std::move(options), sync)) {}

HttpsServer::~HttpsServer() = default;

Status HttpsServer::listen(const std::string& host, uint16_t port) {
  beast::error_code ec;
  // TLS 1.2 or newer only.
  impl_->ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
  // An idle connection gives its TLS buffers back (tens of KiB each).
  SSL_CTX_set_mode(impl_->ctx.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  // Clients make a full handshake on every connect: no session is kept for
  // them and no ticket sent.
  SSL_CTX_set_session_cache_mode(impl_->ctx.native_handle(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(impl_->ctx.native_handle(), 0);
  const HttpsOptions& options = impl_->shared.options;
  impl_->ctx.use_certificate_chain_file(options.cert_file, ec);
  if (ec)
    return Status::IoError(
        fmt::format("{}: cannot load the certificate: {}", options.cert_file, ec.message()));
  impl_->ctx.use_private_key_file(options.key_file, ssl::context::pem, ec);
  if (ec)
    return Status::IoError(
        fmt::format("{}: cannot load the key: {}", options.key_file, ec.message()));
  const auto address = asio::ip::make_address(host, ec);
  if (ec)
    return Status::InvalidArgument(fmt::format("“{}” is not an IP address to listen on", host));
  const tcp::endpoint endpoint(address, port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Status::IoError(fmt::format("cannot listen on {}:{}: {}", host, port, ec.message()));
  impl_->accept();
  return Status::Ok();
}

uint16_t HttpsServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void HttpsServer::stop() {
  beast::error_code ec;
  impl_->acceptor.close(ec);
  impl_->shared.stopping = true;
  for (const auto& c :
       std::vector(impl_->shared.sync_connections.begin(), impl_->shared.sync_connections.end())) {
    c->close(websocket::close_code::going_away);
  }
}

size_t HttpsServer::sync_connections() const {
  return impl_->shared.sync_connections.size();
}

Status serve_until_signal(AdminStore& admin, SyncService& sync, sync::ClockSource& clock,
                          const HttpsOptions& options, const std::string& host, uint16_t port,
                          const std::function<void(uint16_t)>& on_listening) {
  asio::io_context io;
  HttpsServer server(io, admin, clock, options, &sync);
  if (Status s = server.listen(host, port); !s.ok()) return s;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::steady_timer tick(io);
  int64_t waited_ms = 0;
  std::function<void()> wait_for_connections = [&] {
    // Ends once every sync connection has closed, or when the grace is over.
    if (server.sync_connections() == 0 || waited_ms >= options.stop_grace_ms) return io.stop();
    waited_ms += 20;
    tick.expires_after(std::chrono::milliseconds(20));
    tick.async_wait([&](beast::error_code) { wait_for_connections(); });
  };
  signals.async_wait([&](beast::error_code, int) {
    // Handlers run one at a time, so no batch is mid-merge here: every pushed
    // batch is either committed (and answered, or answered again on resend) or
    // not started. Connections are asked to close; then the loop ends.
    server.stop();
    wait_for_connections();
  });
  if (on_listening) on_listening(server.port());
  io.run();
  return Status::Ok();
}

}  // namespace budgetsync::server
