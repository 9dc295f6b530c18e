// The only test translation unit of session_fault_tests that includes Beast.
// Each relayed connection is a pair of WebSocket streams and two pump
// coroutines (client to server, server to client) on the relay's one thread;
// each pump is the only writer of the stream it forwards to.
#include "faulty_relay.h"

#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <mutex>
#include <thread>

#include "sync/protocol.h"

namespace budgetsync::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

namespace {

using Ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr size_t kMaxMessageBytes = 256 * 1024 * 1024;

// One relayed connection: the client's side (`down`) and the server's (`up`).
struct Link {
  Link(tcp::socket client, ssl::context& server_tls, asio::io_context& io, ssl::context& client_tls)
      : down(std::move(client), server_tls), up(io, client_tls) {}

  // Closes both TCP connections at once, with a reset and no TLS or WebSocket
  // goodbye: what a dropped network or a killed process looks like.
  void cut() {
    if (cut_done) return;
    cut_done = true;
    for (Ws* ws : {&down, &up}) {
      auto& socket = beast::get_lowest_layer(*ws).socket();
      beast::error_code ec;
      socket.set_option(asio::socket_base::linger(true, 0), ec);
      socket.close(ec);
    }
  }

  Ws down;
  Ws up;
  int64_t generation = 0;
  bool cut_done = false;
};

std::string message_type(const std::string& frame, bool binary) {
  sync::Limits limits;
  limits.max_frame_bytes = kMaxMessageBytes;
  limits.max_batch_ops = limits.max_pull_entries = 1'000'000;
  auto m = sync::decode(frame, binary ? sync::Encoding::kCbor : sync::Encoding::kJson, limits);
  return m.ok() ? std::string(sync::message_type(*m)) : std::string("?");
}

}  // namespace

struct FaultyRelay::Impl {
  enum class Action { kForward, kDrop, kDuplicate, kCut };

  Impl(int port, std::string cert, std::string key, std::string ca)
      : upstream_port(port),
        cert_file(std::move(cert)),
        key_file(std::move(key)),
        ca_file(std::move(ca)) {}

  // The fate of one data message, counted when its connection belongs to the
  // current plan.
  Action decide(int64_t generation_of_link, Direction direction, const std::string& frame,
                bool binary) {
    std::lock_guard lock(mutex);
    if (generation_of_link != generation) return Action::kForward;
    ++count;
    if (!fault || hit || count != fault_at) return Action::kForward;
    hit = Hit{direction, count, message_type(frame, binary)};
    switch (*fault) {
      case Fault::kDrop:
        return Action::kDrop;
      case Fault::kDuplicate:
        return Action::kDuplicate;
      case Fault::kCut:
        return Action::kCut;
    }
    return Action::kForward;
  }

  void replan(std::optional<Fault> next, int64_t n) {
    std::lock_guard lock(mutex);
    ++generation;
    fault = next;
    fault_at = n;
    count = 0;
    hit.reset();
  }

  awaitable<void> accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      asio::co_spawn(io, serve(std::move(socket)), asio::detached);
    }
  }

  // TLS and the upgrade from the client, the same to the server, then the pumps.
  awaitable<void> serve(tcp::socket socket) {
    auto link = std::make_shared<Link>(std::move(socket), server_tls, io, client_tls);
    {
      std::lock_guard lock(mutex);
      link->generation = generation;
    }
    beast::error_code ec;
    auto& down_tcp = beast::get_lowest_layer(link->down);
    down_tcp.expires_after(kHandshakeTimeout);
    co_await link->down.next_layer().async_handshake(ssl::stream_base::server,
                                                     asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    co_await http::async_read(link->down.next_layer(), buffer, req,
                              asio::redirect_error(use_awaitable, ec));
    if (ec || !websocket::is_upgrade(req)) co_return;
    down_tcp.expires_never();

    auto& up_tcp = beast::get_lowest_layer(link->up);
    up_tcp.expires_after(kHandshakeTimeout);
    co_await up_tcp.async_connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(upstream_port)),
        asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    up_tcp.socket().set_option(tcp::no_delay(true), ec);
    SSL_set_tlsext_host_name(link->up.next_layer().native_handle(), "localhost");
    link->up.next_layer().set_verify_callback(ssl::host_name_verification("localhost"));
    co_await link->up.next_layer().async_handshake(ssl::stream_base::client,
                                                   asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    up_tcp.expires_never();

    link->up.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    const auto auth_field = req[http::field::authorization];
    const auto agent_field = req[http::field::user_agent];
    const std::string authorization(auth_field.data(), auth_field.size());
    const std::string user_agent(agent_field.data(), agent_field.size());
    link->up.set_option(websocket::stream_base::decorator(
        [authorization, user_agent](websocket::request_type& up_req) {
          if (!authorization.empty()) up_req.set(http::field::authorization, authorization);
          if (!user_agent.empty()) up_req.set(http::field::user_agent, user_agent);
        }));
    link->up.read_message_max(kMaxMessageBytes);
    websocket::response_type res;
    co_await link->up.async_handshake(res, "127.0.0.1:" + std::to_string(upstream_port), "/sync",
                                      asio::redirect_error(use_awaitable, ec));
    if (ec) {
      // The server's refusal (a 401 for a bad token) reaches the client as is.
      http::response<http::string_body> refusal{
          ec == websocket::error::upgrade_declined ? res.result() : http::status::bad_gateway,
          req.version()};
      refusal.body() = res.body();
      refusal.keep_alive(false);
      refusal.prepare_payload();
      co_await http::async_write(link->down.next_layer(), refusal,
                                 asio::redirect_error(use_awaitable, ec));
      co_return;
    }

    link->down.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    link->down.read_message_max(kMaxMessageBytes);
    co_await link->down.async_accept(req, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    asio::co_spawn(io, pump(link, Direction::kToServer), asio::detached);
    asio::co_spawn(io, pump(link, Direction::kToClient), asio::detached);
  }

  // Forwards one direction's data messages until its source ends: a clean
  // close is passed on as a close, anything else cuts both connections.
  awaitable<void> pump(std::shared_ptr<Link> link, Direction direction) {
    Ws& from = direction == Direction::kToServer ? link->down : link->up;
    Ws& to = direction == Direction::kToServer ? link->up : link->down;
    beast::flat_buffer buffer;
    for (;;) {
      beast::error_code ec;
      co_await from.async_read(buffer, asio::redirect_error(use_awaitable, ec));
      if (link->cut_done) co_return;
      if (ec == websocket::error::closed) {
        co_await to.async_close(from.reason(), asio::redirect_error(use_awaitable, ec));
        co_return;
      }
      if (ec) {
        link->cut();
        co_return;
      }
      const bool binary = from.got_binary();
      const std::string frame = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      const Action action = decide(link->generation, direction, frame, binary);
      if (action == Action::kCut) {
        link->cut();
        co_return;
      }
      if (action == Action::kDrop) continue;
      for (int copy = 0; copy < (action == Action::kDuplicate ? 2 : 1); ++copy) {
        to.binary(binary);
        co_await to.async_write(asio::buffer(frame), asio::redirect_error(use_awaitable, ec));
        if (link->cut_done) co_return;
        if (ec) {
          link->cut();
          co_return;
        }
      }
    }
  }

  const int upstream_port;
  const std::string cert_file, key_file, ca_file;
  int port = 0;

  mutable std::mutex mutex;  // guards the plan below
  int64_t generation = 0;
  std::optional<Fault> fault;
  int64_t fault_at = 0;
  int64_t count = 0;
  std::optional<Hit> hit;

  // Before the io_context: the streams it may still hold when it is destroyed
  // use these.
  ssl::context server_tls{ssl::context::tls_server};
  ssl::context client_tls{ssl::context::tls_client};
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;
};

FaultyRelay::FaultyRelay(int upstream_port, std::string cert_file, std::string key_file,
                         std::string ca_file)
    : impl_(std::make_unique<Impl>(upstream_port, std::move(cert_file), std::move(key_file),
                                   std::move(ca_file))) {}

FaultyRelay::~FaultyRelay() {
  if (impl_->thread.joinable()) {
    impl_->io.stop();
    impl_->thread.join();
  }
}

Status FaultyRelay::start() {
  Impl& m = *impl_;
  beast::error_code ec;
  m.server_tls.use_certificate_chain_file(m.cert_file, ec);
  if (!ec) m.server_tls.use_private_key_file(m.key_file, ssl::context::pem, ec);
  if (ec) return Status::IoError("relay: cannot load the server's certificate: " + ec.message());
  m.client_tls.load_verify_file(m.ca_file, ec);
  if (ec) return Status::IoError("relay: cannot load the CA: " + ec.message());
  m.client_tls.set_verify_mode(ssl::verify_peer);
  const tcp::endpoint here(asio::ip::make_address("127.0.0.1"), 0);
  m.acceptor.open(here.protocol(), ec);
  if (!ec) m.acceptor.bind(here, ec);
  if (!ec) m.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IoError("relay: cannot listen: " + ec.message());
  m.port = m.acceptor.local_endpoint().port();
  asio::co_spawn(m.io, m.accept_loop(), asio::detached);
  m.thread = std::thread([&m] { m.io.run(); });
  return Status::Ok();
}

int FaultyRelay::port() const {
  return impl_->port;
}

void FaultyRelay::arm(Fault fault, int64_t n) {
  impl_->replan(fault, n);
}

void FaultyRelay::disarm() {
  impl_->replan(std::nullopt, 0);
}

std::optional<FaultyRelay::Hit> FaultyRelay::fired() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->hit;
}

int64_t FaultyRelay::messages() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->count;
}

const char* fault_name(FaultyRelay::Fault fault) {
  switch (fault) {
    case FaultyRelay::Fault::kDrop:
      return "drop";
    case FaultyRelay::Fault::kDuplicate:
      return "duplicate";
    case FaultyRelay::Fault::kCut:
      return "cut";
  }
  return "?";
}

const char* direction_name(FaultyRelay::Direction direction) {
  return direction == FaultyRelay::Direction::kToServer ? "to server" : "to client";
}

}  // namespace budgetsync::testing
