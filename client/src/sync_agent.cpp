// The only client translation unit that includes Beast (it is heavy to
// compile); the rest of the client sees sync_agent.h. This is the transport
// only: the protocol is sync::ClientSession's (sync/client_session.h) and the
// reconnection policy sync::Supervisor's; here they get a TLS WebSocket,
// timers and an io_context thread.
#include "client/sync_agent.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>

#include "client/agent_state.h"
#include "client/replica_sync_store.h"
#include "client/sync_text.h"
#include "sync/client_session.h"
#include "sync/supervisor.h"

namespace budgetsync::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using json = nlohmann::json;

namespace {

// A failed exchange, carried out of the coroutines as an exception and turned
// back into a Status at the module's edge. `unreachable`: the server could not
// be reached at all (the supervisor probes for its return).
struct SyncFailure {
  Status status;
  bool unreachable = false;
};

[[noreturn]] void fail_with(Status s, bool unreachable = false) {
  throw SyncFailure{std::move(s), unreachable};
}

std::string describe(const ServerAddress& server, const boost::system::error_code& ec) {
  // A connection the server ended (it stopped, was killed, or the network
  // dropped) is not a certificate problem: say so, not "check --ca".
  if (ec == asio::ssl::error::stream_truncated || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
      ec == beast::error::timeout) {
    return fmt::format("{} 关闭了连接或不再应答（{}）：服务器可能已停止，或网络已断开",
                       server.url(), ec.message());
  }
  if (ec.category() == asio::error::get_ssl_category() ||
      ec.category() == asio::ssl::error::get_stream_category()) {
    return fmt::format(
        "与 {} 的 TLS 连接失败（{}）：请确认 --ca 指向服务器管理员给您的根证书，"
        "并且地址与服务器证书上的一致",
        server.url(), ec.message());
  }
  return fmt::format("连不上 {}：{}", server.url(), ec.message());
}

Result<std::unique_ptr<ssl::context>> tls_context(const std::string& ca_file) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  ctx->load_verify_file(ca_file, ec);
  if (ec) {
    return Status::NotFound(fmt::format("{}：读不出根证书：{}", ca_file, ec.message()));
  }
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

// TCP connect and TLS handshake, verifying the server's name.
awaitable<void> connect_tls(beast::ssl_stream<beast::tcp_stream>& stream,
                            const ServerAddress& server, int64_t timeout_ms) {
  tcp::resolver resolver(co_await asio::this_coro::executor);
  boost::system::error_code ec;
  auto endpoints = co_await resolver.async_resolve(server.host, std::to_string(server.port),
                                                   asio::redirect_error(use_awaitable, ec));
  if (ec) fail_with(Status::IoError(describe(server, ec)), true);
  auto& tcp_layer = beast::get_lowest_layer(stream);
  tcp_layer.expires_after(std::chrono::milliseconds(timeout_ms));
  co_await tcp_layer.async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
  if (ec) fail_with(Status::IoError(describe(server, ec)), true);
  // Sync frames are small and answered at once: Nagle's algorithm would hold
  // each for the peer's delayed acknowledgement (40 ms on Linux).
  tcp_layer.socket().set_option(tcp::no_delay(true), ec);
  SSL_set_tlsext_host_name(stream.native_handle(), server.host.c_str());
  stream.set_verify_callback(ssl::host_name_verification(server.host));
  co_await stream.async_handshake(ssl::stream_base::client,
                                  asio::redirect_error(use_awaitable, ec));
  if (ec) fail_with(Status::IoError(describe(server, ec)));
  tcp_layer.expires_never();
}

// Runs a coroutine on a fresh io_context to completion.
Status run_to_end(asio::io_context& io, awaitable<void> work) {
  Status out;
  asio::co_spawn(io, std::move(work), [&](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const SyncFailure& f) {
        out = f.status;
      } catch (const std::exception& x) {
        out = Status::IoError(x.what());
      }
    }
    io.stop();  // a reader still parked on the socket is abandoned with the context
  });
  io.run();
  return out;
}

// One TLS WebSocket to the server's /sync. The reader coroutine queues every
// decoded message and wakes whoever waits in next(); send() starts writing at
// once (so a pull asked for before a page is applied is on its way while the
// replica writes), one frame at a time.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::io_context& io, ssl::context& tls, const SyncTarget& target,
             const AgentOptions& options)
      : ws_(io, tls), wake_(io), target_(target), options_(options) {}

  awaitable<void> open() {
    co_await connect_tls(ws_.next_layer(), target_.server, options_.connect_timeout_ms);
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::milliseconds(options_.connect_timeout_ms);
    t.idle_timeout = std::chrono::milliseconds(options_.idle_timeout_ms);
    t.keep_alive_pings = true;  // a silent dead server is noticed within idle_timeout
    ws_.set_option(t);
    ws_.set_option(
        websocket::stream_base::decorator([token = target_.token](websocket::request_type& req) {
          req.set(http::field::authorization, "Bearer " + token);
          req.set(http::field::user_agent, "budgetsync");
        }));
    ws_.read_message_max(256 * 1024 * 1024);
    websocket::response_type res;
    boost::system::error_code ec;
    co_await ws_.async_handshake(res,
                                 fmt::format("{}:{}", target_.server.host, target_.server.port),
                                 "/sync", asio::redirect_error(use_awaitable, ec));
    if (res.result() == http::status::unauthorized) {
      fail_with(Status::FailedPrecondition(fmt::format(
          "{} 不再接受本设备的登录凭据（已过期或已被吊销）；请重新运行 `budgetsync login`",
          target_.server.url())));
    }
    if (ec) fail_with(Status::IoError(describe(target_.server, ec)));
    ws_.binary(options_.encoding == sync::Encoding::kCbor);
    asio::co_spawn(ws_.get_executor(), reader(shared_from_this()), asio::detached);
  }

  // Ends the connection without a close handshake (after a failure).
  void abort() {
    boost::system::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

  void send(const sync::Message& m) {
    writes_.push_back(sync::encode(m, options_.encoding));
    if (!writing_) write_next();
  }

  // The next message, or none when `timeout_ms` passes first; a connection
  // that ended fails.
  awaitable<std::optional<sync::Message>> next(int64_t timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (inbox_.empty()) {
      if (!closed_.empty()) fail_with(Status::IoError(closed_));
      if (std::chrono::steady_clock::now() >= deadline) co_return std::nullopt;
      wake_.expires_at(deadline);
      boost::system::error_code ec;
      co_await wake_.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    sync::Message m = std::move(inbox_.front());
    inbox_.pop_front();
    co_return m;
  }

  // Waits for the frames queued to be written, then closes.
  awaitable<void> close() {
    while (writing_ && closed_.empty()) {
      wake_.expires_after(std::chrono::milliseconds(options_.reply_timeout_ms));
      boost::system::error_code ec;
      co_await wake_.async_wait(asio::redirect_error(use_awaitable, ec));
      if (!ec) break;  // the write never finished
    }
    if (!closed_.empty()) co_return;
    boost::system::error_code ec;
    co_await ws_.async_close(websocket::close_code::normal,
                             asio::redirect_error(use_awaitable, ec));
  }

 private:
  void write_next() {
    writing_ = true;
    ws_.async_write(asio::buffer(writes_.front()),
                    [self = shared_from_this()](boost::system::error_code ec, size_t) {
                      self->writes_.pop_front();
                      if (ec) {
                        self->writing_ = false;
                        if (self->closed_.empty())
                          self->closed_ = describe(self->target_.server, ec);
                        self->wake_.cancel();
                        return;
                      }
                      if (self->writes_.empty()) {
                        self->writing_ = false;
                        self->wake_.cancel();
                        return;
                      }
                      self->write_next();
                    });
  }

  static awaitable<void> reader(std::shared_ptr<Connection> self) {
    beast::flat_buffer buffer;
    sync::Limits limits;
    limits.max_frame_bytes = 256 * 1024 * 1024;
    limits.max_batch_ops = limits.max_pull_entries = 1'000'000;
    for (;;) {
      boost::system::error_code ec;
      co_await self->ws_.async_read(buffer, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (self->closed_.empty()) {
          self->closed_ = ec == websocket::error::closed
                              ? fmt::format("服务器关闭了连接（{}）",
                                            self->ws_.reason().reason.empty()
                                                ? std::to_string(self->ws_.reason().code)
                                                : std::string(self->ws_.reason().reason.data(),
                                                              self->ws_.reason().reason.size()))
                              : describe(self->target_.server, ec);
        }
        self->wake_.cancel();
        co_return;
      }
      const std::string frame = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      auto m = sync::decode(
          frame, self->ws_.got_binary() ? sync::Encoding::kCbor : sync::Encoding::kJson, limits);
      if (!m.ok()) {
        self->closed_ = fmt::format("服务器发来的一帧本程序读不懂（{}）：{}",
                                    sync::frame_error_code(m.status()), m.status().message());
        self->wake_.cancel();
        co_return;
      }
      self->inbox_.push_back(std::move(*m));
      self->wake_.cancel();
    }
  }

  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws_;
  asio::steady_timer wake_;
  const SyncTarget& target_;
  const AgentOptions& options_;
  std::deque<sync::Message> inbox_;
  std::deque<std::string> writes_;
  bool writing_ = false;
  std::string closed_;  // why the connection ended; empty while open
};

// What a connection's session reports to whoever runs it.
struct SessionHooks {
  std::function<void()> welcomed;
  std::function<void()> synced;
  std::function<void()> applied;  // pulled entries were applied
};

// Runs a ClientSession over an open connection until the session ends: its
// messages go out through the connection, the server's come in, and while it
// is idle (watch) it is polled every poll_ms for local edits. A session that
// failed, and a server that owes an answer longer than reply_timeout_ms,
// throw SyncFailure; kFinished and kReconnect return.
awaitable<void> drive(Connection& connection, sync::ClientSession& session,
                      const AgentOptions& options, const SyncTarget& target,
                      const SessionHooks& hooks) {
  auto report = [&](std::string line) {
    if (options.progress) options.progress(line);
  };
  auto handle = [&](sync::SessionEvent event) {
    switch (event) {
      case sync::SessionEvent::kWelcomed:
        if (hooks.welcomed) hooks.welcomed();
        break;
      case sync::SessionEvent::kPushed:
        report(push_progress_text(session.tally()));
        break;
      case sync::SessionEvent::kPulled:
        report(pull_progress_text(session.tally()));
        break;
      case sync::SessionEvent::kSynced:
        if (hooks.synced) hooks.synced();
        break;
      case sync::SessionEvent::kFailed:
        fail_with(session_failure_status(session.failure()));
      case sync::SessionEvent::kFinished:
        report(pull_progress_text(session.tally()));
        break;
      case sync::SessionEvent::kNone:
      case sync::SessionEvent::kReconnect:
        break;
    }
  };
  handle(session.start());
  while (!session.ended()) {
    const bool owed = session.awaiting_reply();
    auto message = co_await connection.next(owed ? options.reply_timeout_ms : options.poll_ms);
    if (message) {
      const int64_t pulled = session.tally().pulled;
      handle(session.receive(*message));
      if (session.tally().pulled != pulled && hooks.applied) hooks.applied();
    } else if (owed) {
      const int64_t ms = options.reply_timeout_ms;
      fail_with(Status::IoError(fmt::format(
          "{} 在 {} 内没有应答", target.server.url(),
          ms % 1000 == 0 ? fmt::format("{} 秒", ms / 1000) : fmt::format("{} 毫秒", ms))));
    } else {
      handle(session.poll());
    }
  }
}

sync::SessionOptions session_options(const AgentOptions& options, bool watch) {
  sync::SessionOptions s;
  s.push_batch = options.push_batch;
  s.pull_limit = options.pull_limit;
  s.watch = watch;
  return s;
}

}  // namespace

std::string ServerAddress::url() const {
  return fmt::format("https://{}:{}", host, port);
}

Result<ServerAddress> ServerAddress::parse(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Status::InvalidArgument(
        fmt::format("--server “{}” 必须以 https:// 开头（budgetsync 只用 TLS 通信）", url));
  }
  std::string_view rest = url.substr(kScheme.size());
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  ServerAddress a;
  a.port = 443;
  std::string_view host = rest;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    const auto close = rest.find(']');
    if (close == std::string_view::npos)
      return Status::InvalidArgument(fmt::format("--server “{}”：缺少与 [ 配对的 ]", url));
    host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest.front() != ':')
      return Status::InvalidArgument(
          fmt::format("--server “{}” 不是 https://主机:端口 的形式", url));
  } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    rest = rest.substr(colon);
  } else {
    rest = {};
  }
  if (!rest.empty()) {
    int port = 0;
    const std::string digits(rest.substr(1));
    if (digits.empty() || digits.size() > 5 ||
        digits.find_first_not_of("0123456789") != std::string::npos ||
        (port = std::stoi(digits)) < 1 || port > 65535) {
      return Status::InvalidArgument(fmt::format("--server “{}”：端口必须在 1–65535 之间", url));
    }
    a.port = static_cast<uint16_t>(port);
  }
  if (host.empty() || host.find('/') != std::string_view::npos)
    return Status::InvalidArgument(fmt::format("--server “{}” 不是 https://主机:端口 的形式", url));
  a.host = std::string(host);
  return a;
}

Result<LoginAnswer> login(const ServerAddress& server, const std::string& ca_file,
                          const std::string& user, const std::string& password,
                          int64_t timeout_ms) {
  auto tls = tls_context(ca_file);
  if (!tls.ok()) return tls.status();
  asio::io_context io;
  LoginAnswer answer;
  // Named, so the coroutine's captures outlive it.
  auto exchange = [&]() -> awaitable<void> {
    beast::ssl_stream<beast::tcp_stream> stream(co_await asio::this_coro::executor, **tls);
    co_await connect_tls(stream, server, timeout_ms);
    http::request<http::string_body> req(http::verb::post, "/api/login", 11);
    req.set(http::field::host, server.host);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, "budgetsync");
    req.body() = json{{"user", user}, {"password", password}}.dump();
    req.prepare_payload();
    beast::get_lowest_layer(stream).expires_after(std::chrono::milliseconds(timeout_ms));
    boost::system::error_code ec;
    co_await http::async_write(stream, req, asio::redirect_error(use_awaitable, ec));
    if (ec) fail_with(Status::IoError(describe(server, ec)));
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    co_await http::async_read(stream, buffer, res, asio::redirect_error(use_awaitable, ec));
    if (ec) fail_with(Status::IoError(describe(server, ec)));
    const json body = json::parse(res.body(), nullptr, false);
    if (res.result() != http::status::ok) {
      const std::string why =
          body.is_object() && body.contains("message") && body["message"].is_string()
              ? body["message"].get<std::string>()
              : std::string(res.reason());
      fail_with(Status::FailedPrecondition(fmt::format("{} 拒绝登录：{}", server.url(), why)));
    }
    try {
      answer.token = body.at("token").get<std::string>();
      answer.expires_ms = body.at("expires_ms").get<int64_t>();
      answer.user = body.at("user").get<std::string>();
      answer.role = body.at("role").get<std::string>();
      answer.unit = body.at("unit").get<std::string>();
    } catch (const json::exception&) {
      fail_with(Status::Corruption(fmt::format("{} 对登录的答复中没有登录凭据", server.url())));
    }
    stream.async_shutdown([](boost::system::error_code) {});
  };
  Status s = run_to_end(io, exchange());
  if (!s.ok()) return s;
  return answer;
}

Result<LoginAnswer> log_in(Replica& replica, const ServerAddress& server,
                           const std::string& ca_file, const std::string& password) {
  BS_ASSIGN_OR_RETURN(answer, login(server, ca_file, replica.identity().user, password));
  if (answer.unit != replica.identity().unit) {
    return Status::FailedPrecondition(
        fmt::format("{} 属于单位 {}，而这个本地副本属于单位 {}；未保存任何内容", answer.user,
                    answer.unit, replica.identity().unit));
  }
  BS_RETURN_IF_ERROR(
      replica.set_settings({{"server.url", server.url()},
                            {"server.ca", ca_file},
                            {"server.token", answer.token},
                            {"server.token_expires_ms", std::to_string(answer.expires_ms)},
                            {"server.user", answer.user},
                            {"server.role", answer.role}}));
  return answer;
}

void AgentRemote::network_changed(bool up) {
  std::lock_guard lock(mutex_);
  if (post_) post_(up);
}

void AgentRemote::attach(std::function<void(bool)> post) {
  std::lock_guard lock(mutex_);
  post_ = std::move(post);
}

void AgentRemote::detach() {
  std::lock_guard lock(mutex_);
  post_ = nullptr;
}

Result<SyncTarget> SyncTarget::from(const Replica& replica) {
  SyncTarget t;
  BS_ASSIGN_OR_RETURN(url, replica.setting("server.url"));
  if (url.empty()) {
    return Status::FailedPrecondition(
        "这个本地副本还没有连接服务器；请先运行 `budgetsync login --server https://主机:端口 --ca "
        "根证书.pem --user 用户名`");
  }
  BS_ASSIGN_OR_RETURN(server, ServerAddress::parse(url));
  t.server = server;
  BS_ASSIGN_OR_RETURN(ca, replica.setting("server.ca"));
  BS_ASSIGN_OR_RETURN(token, replica.setting("server.token"));
  t.ca_file = ca;
  t.token = token;
  return t;
}

Result<SyncTally> sync_once(Replica& replica, const SyncTarget& target, const AgentOptions& options,
                            sync::ClockSource& clock) {
  auto tls = tls_context(target.ca_file);
  if (!tls.ok()) return tls.status();
  asio::io_context io;
  ReplicaSyncStore store(replica);
  SyncTally tally;
  auto exchange = [&]() -> awaitable<void> {
    // A second connection only when the device took a new id: its hello
    // must name the new one.
    for (int connection = 0;; ++connection) {
      auto link = std::make_shared<Connection>(io, **tls, target, options);
      co_await link->open();
      sync::ClientSession session(
          store, session_options(options, false),
          [&link](const sync::Message& m) { link->send(m); }, tally);
      co_await drive(*link, session, options, target, {});
      tally = session.tally();
      co_await link->close();
      if (session.phase() != sync::SessionPhase::kReconnect) co_return;
      if (connection == 1) {
        fail_with(Status::FailedPrecondition(
            "服务器发现本设备的新编号也已被用过；请再同步一次以换用另一个"));
      }
    }
  };
  Status s = run_to_end(io, exchange());
  if (!s.ok()) {
    (void)replica.set_settings(failed_settings(s.message()));
    return s;
  }
  Status saved = replica.set_settings(synced_settings(clock.now_ms()));
  if (!saved.ok()) return saved;
  return tally;
}

namespace {

// The supervisor's timer on the agent's io_context.
class AsioTimer final : public sync::Timer {
 public:
  explicit AsioTimer(asio::io_context& io) : timer_(io) {}
  void bind(sync::Supervisor& supervisor) { supervisor_ = &supervisor; }
  void start(int64_t delay_ms) override {
    timer_.expires_after(std::chrono::milliseconds(delay_ms));
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) supervisor_->timer_fired();
    });
  }
  void cancel() override { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
  sync::Supervisor* supervisor_ = nullptr;
};

// sync --watch and the desktop app's agent: connections made when the
// supervisor says, each running a watching ClientSession until it ends.
class Agent final : public sync::Supervisor::Host {
 public:
  Agent(asio::io_context& io, Replica& replica, const SyncTarget& target,
        const AgentOptions& options, sync::ClockSource& clock, sync::RandomSource& random)
      : io_(io),
        replica_(replica),
        store_(replica),
        target_(target),
        options_(options),
        clock_(clock),
        timer_(io),
        supervisor_(*this, timer_, waits_, random, options.backoff) {
    timer_.bind(supervisor_);
  }

  void start() { supervisor_.start(); }
  void network_changed(bool up) {
    if (up) {
      supervisor_.network_up();
    } else {
      supervisor_.network_down();
    }
  }

  // Records the connection's state (none: only the heartbeat) and the last
  // error ("" clears it).
  void note(std::optional<AgentConnection> connection,
            std::optional<std::string> last_error = std::nullopt) {
    if (Status s = replica_.set_settings(
            agent_settings(connection, clock_.now_ms(), std::move(last_error)));
        !s.ok())
      event("cannot record state: " + s.message());
  }

  void connect() override { asio::co_spawn(io_, connection(), asio::detached); }

  // A plain TCP connection to the server's port: whether it answers at all.
  // One at a time: a name lookup that hangs does not pile them up.
  void probe() override {
    if (probing_) return;
    probing_ = true;
    asio::co_spawn(
        io_,
        [this]() -> awaitable<void> {
          tcp::resolver resolver(co_await asio::this_coro::executor);
          boost::system::error_code ec;
          auto endpoints = co_await resolver.async_resolve(target_.server.host,
                                                           std::to_string(target_.server.port),
                                                           asio::redirect_error(use_awaitable, ec));
          if (ec) {
            probing_ = false;
            co_return;
          }
          beast::tcp_stream stream(co_await asio::this_coro::executor);
          stream.expires_after(std::chrono::milliseconds(std::min<int64_t>(
              options_.connect_timeout_ms, std::max<int64_t>(options_.backoff.probe_ms, 100))));
          co_await stream.async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
          probing_ = false;
          if (ec) co_return;
          stream.socket().shutdown(tcp::socket::shutdown_both, ec);
          if (supervisor_.probe_answered())
            event(fmt::format("{} answers again; connecting now", target_.server.url()));
        },
        asio::detached);
  }

 private:
  void event(const std::string& line) {
    if (options_.event) options_.event(line);
  }
  void changed(int changes) {
    if (options_.changed) options_.changed(changes);
  }

  awaitable<void> connection() {
    if (auto fresh = SyncTarget::from(replica_); fresh.ok()) target_ = *fresh;  // a new login
    SyncFailure failure;
    bool reconnect = false;
    std::shared_ptr<Connection> link;
    auto tls = tls_context(target_.ca_file);
    if (!tls.ok()) {
      failure.status = tls.status();
    } else {
      try {
        link = std::make_shared<Connection>(io_, **tls, target_, options_);
        co_await link->open();
        sync::ClientSession session(store_, session_options(options_, true),
                                    [&link](const sync::Message& m) { link->send(m); });
        SessionHooks hooks;
        hooks.welcomed = [&] {
          note(AgentConnection::kOnline, "");
          event(fmt::format("online: {}", target_.server.url()));
          changed(kChangedSync);
        };
        hooks.applied = [&] { changed(kChangedCells | kChangedReports); };
        bool first = true;
        hooks.synced = [&] {
          supervisor_.synced();
          reconnects_ = 0;
          if (Status s = replica_.set_settings(synced_settings(clock_.now_ms())); !s.ok())
            event("cannot record state: " + s.message());
          changed(kChangedSync);
          if (first) {
            const auto& t = session.tally();
            event(fmt::format("synced: pushed {}, pulled {}, cursor {}", t.pushed, t.pulled,
                              t.cursor));
            first = false;
          }
        };
        co_await drive(*link, session, options_, target_, hooks);
        // A watching session ends only to say hello again under a new id.
        reconnect = session.phase() == sync::SessionPhase::kReconnect;
        co_await link->close();
      } catch (const SyncFailure& f) {
        failure = f;
        link->abort();  // its reader lets go of it
      } catch (const std::exception& e) {
        // Whatever went wrong, the agent carries on trying.
        failure.status = Status::IoError(e.what());
        if (link) link->abort();
      }
    }
    // A device that needs a new hello twice running without an exchange in
    // between (an outbox that keeps naming another id) waits like a failure
    // rather than reconnect in a loop.
    if (reconnect && ++reconnects_ > 1) {
      reconnect = false;
      failure.status = Status::FailedPrecondition("本设备的待发送修改仍用旧的设备编号；稍后重试");
    }
    if (!reconnect) reconnects_ = 0;
    if (reconnect) {
      event(
          "this device took a new id (another copy of the replica used the old one); "
          "reconnecting under it");
      supervisor_.reconnect_now();
      co_return;
    }
    const int64_t wait = supervisor_.disconnected(failure.unreachable);
    note(AgentConnection::kOffline, failure.status.message());
    changed(kChangedSync);
    event(fmt::format("offline: {}; retrying in {}.{} s", failure.status.message(), wait / 1000,
                      wait % 1000 / 100));
  }

  asio::io_context& io_;
  Replica& replica_;
  ReplicaSyncStore store_;
  SyncTarget target_;
  const AgentOptions& options_;
  sync::ClockSource& clock_;
  sync::MonotonicClock waits_;  // the supervisor's: a wall clock set back stretches no wait
  AsioTimer timer_;
  sync::Supervisor supervisor_;
  bool probing_ = false;
  int reconnects_ = 0;
};

}  // namespace

Status run_agent(Replica& replica, const SyncTarget& target, const AgentOptions& options,
                 sync::ClockSource& clock, sync::RandomSource& random) {
  asio::io_context io;
  // io_context::stop is safe from any thread.
  if (options.stop && !options.stop->attach([&io] { io.stop(); })) return Status::Ok();
  Agent agent(io, replica, target, options, clock, random);
  if (options.remote) {
    options.remote->attach(
        [&io, &agent](bool up) { asio::post(io, [&agent, up] { agent.network_changed(up); }); });
  }
  // Named, so the coroutine's captures live as long as the loop runs.
  auto heartbeat = [&]() -> awaitable<void> {
    asio::steady_timer beat(co_await asio::this_coro::executor);
    for (;;) {
      agent.note(std::nullopt);
      beat.expires_after(std::chrono::milliseconds(kHeartbeatMs));
      boost::system::error_code ec;
      co_await beat.async_wait(asio::redirect_error(use_awaitable, ec));
    }
  };
  asio::co_spawn(io, heartbeat(), asio::detached);
  agent.start();
  io.run();
  if (options.stop) options.stop->detach();
  if (options.remote) options.remote->detach();
  agent.note(AgentConnection::kStopped);
  return Status::Ok();
}

}  // namespace budgetsync::client
