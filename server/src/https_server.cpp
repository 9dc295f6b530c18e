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
#include <boost/asio/thread_pool.hpp>
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

// The suites offered, in the server's order of preference (OpenSSL names).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kTls13Ciphers =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

// What /metrics reports (Prometheus text format). One io thread: plain integers.
struct Metrics {
  uint64_t connections = 0;
  uint64_t handshake_failures = 0;
  uint64_t requests = 0;
  uint64_t logins_ok = 0;
  uint64_t logins_refused = 0;
  uint64_t logins_throttled = 0;
  uint64_t logins_busy = 0;
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
    out += fmt::format("budgetsync_logins_total{{result=\"busy\"}} {}\n", logins_busy);
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
  // Password checks (PBKDF2) run here, off the I/O thread.
  asio::thread_pool& kdf_pool;
  size_t pending_logins = 0;
};

// The store's revocation count, read once per fan-out or check round; -1
// (which no peer has seen, so each is looked up) when the store cannot say.
int64_t current_revocations(Shared& shared) {
  auto n = shared.admin.revocation_generation();
  return n.ok() ? *n : -1;
}

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
  void notify(int64_t seq, const std::set<std::string>& units, LiveEntries& live,
              int64_t revocations) {
    if (closing_ || !check_token(revocations)) return;
    if (!peer_.welcomed) return;
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

  // False, having told the peer and begun closing (policy), when its token has
  // expired or was revoked or its user disabled: it gets nothing more.
  bool check_token(int64_t revocations) {
    if (closing_) return false;
    const auto standing = shared_.sync->standing(peer_, revocations);
    if (standing == SyncService::Standing::kValid) return true;
    shared_.options.log.write("sync_revoked", {{"user", peer_.user.name},
                                               {"device", peer_.device},
                                               {"address", peer_.address},
                                               {"why", standing == SyncService::Standing::kExpired
                                                           ? "token expired"
                                                           : "token revoked or user disabled"}});
    drop_queued();  // a notify already queued is not sent either
    enqueue(sync::encode(sync::Message{SyncService::token_ended()}, encoding_), false);
    close(websocket::close_code::policy_error);
    return false;
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
      shared_.options.log.write("sync_closed", {{"user", peer_.user.name},
                                                {"device", peer_.device},
                                                {"address", peer_.address},
                                                {"why", ec.message()}});
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
      const int64_t revocations = current_revocations(shared_);
      for (const auto& c :
           std::vector(shared_.sync_connections.begin(), shared_.sync_connections.end())) {
        if (c.get() != this) c->notify(reply.last_seq, reply.changed_units, live, revocations);
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
      // Closed; it will resume from its cursor.
      shared_.options.log.write("sync_slow_consumer", {{"user", peer_.user.name},
                                                       {"device", peer_.device},
                                                       {"address", peer_.address},
                                                       {"queued", queue_.size()}});
      drop_queued();
      return close(websocket::close_code::try_again_later);
    }
    queue_.push_back({std::move(bytes), nullptr, encoding_ == sync::Encoding::kCbor, is_notify});
    if (!writing_) do_write();
  }

  // Drops every queued message but the one being written (its buffer is in
  // use until the write completes).
  void drop_queued() {
    const bool in_flight = writing_ && !queue_.empty();
    queue_.erase(queue_.begin() + (in_flight ? 1 : 0), queue_.end());
    notify_queued_ = false;
    notify_frame_.reset();
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
      return respond(
          http::status::upgrade_required,
          {{"error", "upgrade_required"}, {"message", "/sync 只通过 WebSocket 使用同步协议"}});
    }
    const auto field = req[http::field::authorization];
    const std::string_view auth(field.data(), field.size());
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.substr(0, kBearer.size()) != kBearer) {
      options_.log.write("sync_unauthorized", {{"address", remote_}, {"why", "no bearer token"}});
      return respond(http::status::unauthorized,
                     {{"error", "unauthorized"},
                      {"message", "请带上“Authorization: Bearer 凭据”，凭据由 /api/login 取得"}},
                     false);
    }
    const std::string token(auth.substr(kBearer.size()));
    // Read before the look-up: a revocation after it raises the number, and the
    // connection's next check asks again.
    auto revocations = admin_.revocation_generation();
    if (!revocations.ok()) return server_error(revocations.status());
    auto session = admin_.authenticate(token, clock_.now_ms());
    if (!session.ok()) return server_error(session.status());
    if (!*session) {
      options_.log.write("sync_unauthorized",
                         {{"address", remote_}, {"why", "token unknown, expired or revoked"}});
      return respond(
          http::status::unauthorized,
          {{"error", "unauthorized"}, {"message", "登录凭据无效、已过期或已被吊销；请重新登录"}},
          false);
    }
    SyncPeer peer;
    peer.token = token;
    peer.user = (*session)->user;
    peer.expires_ms = (*session)->expires_ms;
    peer.revocations = *revocations;
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
        return respond(
            http::status::bad_request,
            {{"error", "malformed"}, {"message", "请发送 {\"user\": \"…\", \"password\": \"…\"}"}});
      }
      return login(body->user, body->password);
    }
    respond(http::status::not_found, {{"error", "not_found"}});
  }

  // The store's steps run here, on the I/O thread; the KDF runs on the KDF
  // pool, so health checks, metrics and sync frames are answered meanwhile. The
  // connection reads nothing more until the login is answered.
  void login(std::string user, std::string password) {
    auto attempt = admin_.begin_login(user, remote_, clock_.now_ms());
    if (!attempt.ok()) return server_error(attempt.status());
    if (attempt->retry_after_ms > 0) return finish_login(*attempt, false);
    if (shared_.pending_logins >= options_.max_pending_logins) {
      ++metrics_.logins_busy;
      return respond(http::status::service_unavailable,
                     {{"error", "busy"}, {"message", "同时登录的人太多；请稍后再试"}});
    }
    ++shared_.pending_logins;
    auto home = stream_.get_executor();
    asio::post(shared_.kdf_pool, [self = shared_from_this(), home, attempt = std::move(*attempt),
                                  password = std::move(password)]() mutable {
      const bool ok = self->admin_.check_password(attempt, password);
      asio::post(home, [self, attempt = std::move(attempt), ok] {
        --self->shared_.pending_logins;
        self->finish_login(attempt, ok);
      });
    });
  }

  void finish_login(const LoginAttempt& attempt, bool password_ok) {
    auto result = admin_.finish_login(attempt, password_ok, clock_.now_ms());
    if (!result.ok()) return server_error(result.status());
    // A name that is no account may be a password typed into the wrong field.
    const std::string who = attempt.known_user ? attempt.user : unknown_user_label(attempt.user);
    switch (result->refusal) {
      case LoginRefusal::kNone:
        break;
      case LoginRefusal::kBackingOff: {
        ++metrics_.logins_throttled;
        const int64_t seconds = (result->retry_after_ms + 999) / 1000;
        options_.log.write("login_throttled", {{"user", who},
                                               {"address", remote_},
                                               {"why", "backing off after failed logins"},
                                               {"retry_after_ms", result->retry_after_ms}});
        return respond(http::status::too_many_requests,
                       {{"error", "throttled"},
                        {"retry_after_ms", result->retry_after_ms},
                        {"message", fmt::format("登录失败次数太多；请 {} 秒后再试", seconds)}},
                       true, std::to_string(seconds));
      }
      case LoginRefusal::kWrongCredentials:
        ++metrics_.logins_refused;
        options_.log.write(
            "login_refused",
            {{"user", who}, {"address", remote_}, {"why", "wrong user name or password"}});
        return respond(http::status::unauthorized,
                       {{"error", "unauthorized"}, {"message", "用户名或密码错误"}});
    }
    const Session& session = *result->session;
    ++metrics_.logins_ok;
    options_.log.write("login", {{"user", session.user.name}, {"address", remote_}});
    respond(http::status::ok, {{"token", session.token},
                               {"expires_ms", session.expires_ms},
                               {"user", session.user.name},
                               {"role", std::string(role_name(session.user.role))},
                               {"unit", session.user.unit}});
  }

  void server_error(const Status& why) {
    respond(http::status::internal_server_error,
            {{"error", "server_error"}, {"message", why.message()}}, false);
  }

  void respond(http::status status, const json& body, bool keep_alive = true,
               const std::string& retry_after = "") {
    respond_text(status, body.dump(), "application/json", keep_alive, retry_after);
  }

  void respond_text(http::status status, std::string body, const char* content_type,
                    bool keep_alive = true, const std::string& retry_after = "") {
    auto res = std::make_shared<http::response<http::string_body>>(status, 11);
    res->set(http::field::server, "budgetsync-server");
    res->set(http::field::content_type, content_type);
    if (!retry_after.empty()) res->set(http::field::retry_after, retry_after);
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
  // Constructed before `shared`, which refers to it; joined first when the
  // server goes, so no password check outlives it.
  asio::thread_pool kdf_pool;
  Shared shared;
  ssl::context ctx{ssl::context::tls_server};
  tcp::acceptor acceptor;

  Impl(asio::io_context& i, AdminStore& a, sync::ClockSource& c, HttpsOptions o, SyncService* s)
      : io(i),
        kdf_pool(std::max<size_t>(1, o.kdf_threads)),
        shared{a, c, std::move(o), s, {}, {}, false, kdf_pool, 0},
        acceptor(asio::make_strand(i)) {}
  ~Impl() {
    kdf_pool.stop();
    kdf_pool.join();
  }

  // Every open sync connection's token, checked every token_check_interval_ms
  // (expiry by the clock, revocation through the store's count), so one that
  // only idles or pings is cut off too.
  asio::steady_timer token_timer{io};
  void check_tokens() {
    token_timer.expires_after(std::chrono::milliseconds(shared.options.token_check_interval_ms));
    token_timer.async_wait([this](beast::error_code ec) {
      if (ec || shared.stopping) return;
      if (!shared.sync_connections.empty()) {
        const int64_t revocations = current_revocations(shared);
        for (const auto& c :
             std::vector(shared.sync_connections.begin(), shared.sync_connections.end())) {
          c->check_token(revocations);
        }
      }
      check_tokens();
    });
  }

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
  // TLS 1.2 or newer only (docs/security.md says what an audit finds).
  SSL_CTX* native = impl_->ctx.native_handle();
  impl_->ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
  // The server's order of suites wins, and a TLS 1.2 peer cannot renegotiate.
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  // TLS 1.2: AEAD suites with forward secrecy (ECDHE) only — no CBC (LUCKY13),
  // no static RSA key exchange. ECDSA first: `init` makes a P-256 certificate;
  // the RSA ones serve an RSA certificate an operator installs instead.
  // TLS 1.3's suites are all AEAD with forward secrecy; the order is fixed here.
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(native, kTls13Ciphers) != 1) {
    return Status::IoError("OpenSSL 不接受服务器的密码套件");
  }
  // An idle connection gives its TLS buffers back (tens of KiB each).
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  // Clients make a full handshake on every connect: no session is kept for
  // them and no ticket sent — SSL_OP_NO_TICKET for TLS 1.2 (whose stateless
  // tickets the cache mode does not stop), no tickets for TLS 1.3.
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(native, 0);
  const HttpsOptions& options = impl_->shared.options;
  impl_->ctx.use_certificate_chain_file(options.cert_file, ec);
  if (ec)
    return Status::IoError(fmt::format("{}：无法载入证书：{}", options.cert_file, ec.message()));
  impl_->ctx.use_private_key_file(options.key_file, ssl::context::pem, ec);
  if (ec)
    return Status::IoError(fmt::format("{}：无法载入密钥：{}", options.key_file, ec.message()));
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument(fmt::format("“{}”不是可以监听的 IP 地址", host));
  const tcp::endpoint endpoint(address, port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IoError(fmt::format("无法在 {}:{} 上监听：{}", host, port, ec.message()));
  impl_->accept();
  if (impl_->shared.sync) impl_->check_tokens();
  return Status::Ok();
}

uint16_t HttpsServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void HttpsServer::stop() {
  beast::error_code ec;
  impl_->acceptor.close(ec);
  impl_->token_timer.cancel();
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
