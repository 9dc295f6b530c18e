// The only translation unit of the UI that includes Beast: it is heavy to
// compile, so the rest of the client talks to it through ui_server.h.
#include "client/ui_server.h"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>

#include "client/ui_api.h"

namespace budgetsync::client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kMaxBody = 16 << 20;  // a cell edit is a few hundred bytes; a workbook, some MiB

// 256 random bits as hex, from OpenSSL's generator.
Result<std::string> new_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return Status::IoError("无法为界面的密钥取得随机数");
  std::string hex;
  for (unsigned char b : bytes) hex += fmt::format("{:02x}", b);
  return hex;
}

class UiConnection : public std::enable_shared_from_this<UiConnection> {
 public:
  UiConnection(tcp::socket socket, UiApi& api) : stream_(std::move(socket)), api_(api) {}

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(kMaxBody);
    stream_.expires_after(std::chrono::minutes(5));  // an idle page's connection
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->answer();
                     });
  }

  void answer() {
    const auto& req = parser_->get();
    UiRequest in;
    in.method = std::string(req.method_string());
    in.target = std::string(req.target());
    in.host = std::string(req[http::field::host]);
    in.origin = std::string(req[http::field::origin]);
    in.cookie = std::string(req[http::field::cookie]);
    in.token = std::string(req["X-Budgetsync-Token"]);
    in.body = req.body();
    const UiResponse out = api_.handle(in);
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(out.status), req.version());
    res->set(http::field::content_type, out.content_type);
    res->set(http::field::cache_control, "no-store");
    res->set("X-Content-Type-Options", "nosniff");
    res->set("X-Frame-Options", "DENY");
    for (const auto& [name, value] : out.headers) res->set(name, value);
    res->body() = out.body;
    res->keep_alive(req.keep_alive());
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        if (!ec && res->keep_alive()) self->read();
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  UiApi& api_;
};

void accept(tcp::acceptor& acceptor, UiApi& api) {
  acceptor.async_accept([&acceptor, &api](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) std::make_shared<UiConnection>(std::move(socket), api)->start();
    accept(acceptor, api);
  });
}

}  // namespace

Status serve_ui(Replica& replica, const Catalog& catalog, uint16_t port, sync::ClockSource& clock,
                StopRequest& stop, const std::function<void(const std::string& url)>& on_ready) {
  BS_ASSIGN_OR_RETURN(token, new_token());
  asio::io_context io;
  tcp::acceptor acceptor(io);
  beast::error_code ec;
  // Loopback only: the UI is for the person at this machine.
  const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IoError(fmt::format("无法在 127.0.0.1:{} 上监听：{}", port, ec.message()));
  UiApi api(replica, catalog, acceptor.local_endpoint().port(), token, clock);
  accept(acceptor, api);
  // io_context::stop is safe from any thread.
  if (!stop.attach([&io] { io.stop(); })) return Status::Ok();
  if (on_ready) on_ready(api.start_url());
  io.run();
  stop.detach();
  return Status::Ok();
}

}  // namespace budgetsync::client
