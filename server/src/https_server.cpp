// The only translation unit that includes Beast: it is heavy to compile, so the
// rest of the server talks to it through https_server.h.
#include "server/https_server.h"

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

namespace budgetsync::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
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
    return out;
  }
};

// One connection: TLS handshake, then request/response exchanges until the
// client closes or a phase times out.
class HttpsConnection : public std::enable_shared_from_this<HttpsConnection> {
 public:
  HttpsConnection(tcp::socket socket, ssl::context& ctx, AdminStore& admin,
                  sync::ClockSource& clock, const HttpsOptions& options, Metrics& metrics)
      : stream_(std::move(socket), ctx),
        admin_(admin),
        clock_(clock),
        options_(options),
        metrics_(metrics) {
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
    const auto& req = parser_->get();
    ++metrics_.requests;
    keep_alive_ = req.keep_alive();
    handle(req);
  }

  void handle(const http::request<http::string_body>& req) {
    if (req.target() == "/healthz" && req.method() == http::verb::get) {
      return respond(http::status::ok, {{"status", "ok"}});
    }
    if (req.target() == "/metrics" && req.method() == http::verb::get) {
      return respond_text(http::status::ok, metrics_.text(), "text/plain; version=0.0.4");
    }
    if (req.target() == "/api/login") {
      if (req.method() != http::verb::post)
        return respond(http::status::method_not_allowed, {{"error", "use POST"}});
      json body = json::parse(req.body(), nullptr, false);
      if (!body.is_object() || !body.contains("user") || !body.contains("password") ||
          !body["user"].is_string() || !body["password"].is_string()) {
        return respond(http::status::bad_request,
                       {{"error", "malformed"},
                        {"message", "send {\"user\": \"...\", \"password\": \"...\"}"}});
      }
      auto session = admin_.login(body["user"].get<std::string>(),
                                  body["password"].get<std::string>(), remote_, clock_.now_ms());
      if (!session.ok()) {
        const bool throttled = session.status().message().find("too many") != std::string::npos;
        ++(throttled ? metrics_.logins_throttled : metrics_.logins_refused);
        return respond(throttled ? http::status::too_many_requests : http::status::unauthorized,
                       {{"error", throttled ? "throttled" : "unauthorized"},
                        {"message", session.status().message()}});
      }
      ++metrics_.logins_ok;
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
  AdminStore& admin;
  sync::ClockSource& clock;
  HttpsOptions options;
  ssl::context ctx{ssl::context::tls_server};
  tcp::acceptor acceptor;
  Metrics metrics;

  Impl(asio::io_context& i, AdminStore& a, sync::ClockSource& c, HttpsOptions o)
      : io(i), admin(a), clock(c), options(std::move(o)), acceptor(asio::make_strand(i)) {}

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec)
        std::make_shared<HttpsConnection>(std::move(socket), ctx, admin, clock, options, metrics)
            ->start();
      accept();
    });
  }
};

HttpsServer::HttpsServer(asio::io_context& io, AdminStore& admin, sync::ClockSource& clock,
                         HttpsOptions options)
    : impl_(std::make_unique<Impl>(io, admin, clock, std::move(options))) {}

HttpsServer::~HttpsServer() = default;

Status HttpsServer::listen(const std::string& host, uint16_t port) {
  beast::error_code ec;
  // TLS 1.2 or newer only.
  impl_->ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
  impl_->ctx.use_certificate_chain_file(impl_->options.cert_file, ec);
  if (ec)
    return Status::IoError(
        fmt::format("{}: cannot load the certificate: {}", impl_->options.cert_file, ec.message()));
  impl_->ctx.use_private_key_file(impl_->options.key_file, ssl::context::pem, ec);
  if (ec)
    return Status::IoError(
        fmt::format("{}: cannot load the key: {}", impl_->options.key_file, ec.message()));
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
}

Status serve_until_signal(AdminStore& admin, sync::ClockSource& clock, const HttpsOptions& options,
                          const std::string& host, uint16_t port,
                          const std::function<void(uint16_t)>& on_listening) {
  asio::io_context io;
  HttpsServer server(io, admin, clock, options);
  if (Status s = server.listen(host, port); !s.ok()) return s;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) {
    server.stop();
    // Exchanges in flight get a moment to finish; then the loop ends.
    io.stop();
  });
  if (on_listening) on_listening(server.port());
  io.run();
  return Status::Ok();
}

}  // namespace budgetsync::server
