// The only client translation unit that includes Beast (it is heavy to
// compile); the rest of the client sees sync_agent.h. The session logic is
// written as C++20 coroutines on one io_context thread.
#include "client/sync_agent.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
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

constexpr int64_t kHeartbeatMs = 5'000;
constexpr int64_t kHeartbeatStaleMs = 15'000;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A failed exchange, carried out of the coroutines as an exception and turned
// back into a Status at the module's edge.
struct SyncFailure {
  Status status;
};

[[noreturn]] void fail_with(Status s) {
  throw SyncFailure{std::move(s)};
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
  if (ec) fail_with(Status::IoError(describe(server, ec)));
  auto& tcp_layer = beast::get_lowest_layer(stream);
  tcp_layer.expires_after(std::chrono::milliseconds(timeout_ms));
  co_await tcp_layer.async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
  if (ec) fail_with(Status::IoError(describe(server, ec)));
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

// One connection's sync exchange. The reader coroutine owns reading: it
// queues every decoded message and wakes the driver, which alone writes.
class SyncSession : public std::enable_shared_from_this<SyncSession> {
 public:
  SyncSession(asio::io_context& io, ssl::context& tls, Replica& replica, const SyncTarget& target,
              const AgentOptions& options, SyncTally& tally)
      : ws_(io, tls),
        wake_(io),
        replica_(replica),
        target_(target),
        options_(options),
        tally_(tally) {}

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

    sync::Hello hello;
    hello.device = hello_device_ = replica_.device();
    hello.cursor = replica_.sync_cursor();
    hello.store_id = check(replica_.setting("server.store_id"));
    const std::string epoch = check(replica_.setting("server.epoch"));
    hello.epoch = epoch.empty() ? 0 : std::stoll(epoch);
    hello.scope = check(replica_.setting("server.scope"));
    co_await send(hello);
    sync::Message reply = co_await expect_reply();
    const auto* welcome = std::get_if<sync::Welcome>(&reply);
    if (!welcome) fail_with(unexpected(reply, "welcome"));
    const bool reset = check(replica_.note_server(welcome->store_id, welcome->epoch));
    if (!welcome->cursor_valid && !reset) check(replica_.restart_download());
    check(replica_.set_settings({{"server.store_id", welcome->store_id},
                                 {"server.epoch", std::to_string(welcome->epoch)},
                                 {"server.scope", welcome->scope}}));
    tally_.download_restarted = tally_.download_restarted || reset || !welcome->cursor_valid;
    tally_.server_last_seq = welcome->last_seq;
    tally_.cursor = replica_.sync_cursor();
  }

  // Sends the outbox in batches until it is empty. Returns early when the
  // device took a new id (the connection's hello named the old one: open a
  // new session). A batch the server answered is never sent again unchanged:
  // if the same operations are still waiting after its answer, the exchange
  // fails (and the agent backs off) rather than repeat it.
  awaitable<void> push_all() {
    std::vector<sync::OpId> last_sent;
    for (;;) {
      auto ops = check(replica_.outbox(options_.push_batch));
      if (ops.empty()) co_return;
      std::vector<sync::OpId> ids;
      ids.reserve(ops.size());
      for (const auto& op : ops) ids.push_back(op.id);
      // Another program on this replica re-keyed it since the hello: this
      // connection speaks for the old id, so the rest goes over a new one.
      if (std::any_of(ids.begin(), ids.end(),
                      [&](const sync::OpId& id) { return id.device != hello_device_; })) {
        rekeyed_ = true;
        co_return;
      }
      if (ids == last_sent) {
        fail_with(Status::FailedPrecondition(
            fmt::format("服务器已答复从 {} 起的 {} 项修改，它们却仍在待发送；不再原样重发",
                        ids.size(), ids.front().to_string())));
      }
      last_sent = std::move(ids);
      sync::Push push;
      push.batch_id = fmt::format("{}-{}", replica_.device(), ++batches_);
      push.ops = std::move(ops);
      co_await send(push);
      sync::Message reply = co_await expect_reply();
      const auto* result = std::get_if<sync::PushResult>(&reply);
      if (!result) fail_with(unexpected(reply, "push_result"));
      if (result->batch_id != push.batch_id) {
        // An answer to another batch (one already answered, sent again):
        // nothing of this batch is known yet, so it stays in the outbox.
        fail_with(Status::Corruption(
            fmt::format("服务器答复的是批次 {}，应答复的是 {}", result->batch_id, push.batch_id)));
      }
      if (result->results.size() != push.ops.size()) {
        fail_with(Status::Corruption(fmt::format("服务器只答复了 {} 项修改，共发送 {} 项",
                                                 result->results.size(), push.ops.size())));
      }
      const bool rekeyed = check(replica_.acknowledge(result->results));
      for (const auto& e : result->results) {
        if (e.outcome == sync::Outcome::kRejected && e.code == sync::RejectCode::kOpIdReused)
          continue;  // sent again under the new id
        ++tally_.pushed;
        switch (e.outcome) {
          case sync::Outcome::kApplied:
            ++tally_.applied;
            break;
          case sync::Outcome::kConflict:
            ++tally_.conflicts;
            break;
          case sync::Outcome::kRejected:
            ++tally_.rejected;
            break;
        }
        tally_.server_last_seq = std::max(tally_.server_last_seq, e.seq);
      }
      report(fmt::format("推送 {} 项修改", tally_.pushed));
      if (rekeyed) {
        tally_.rekeyed = rekeyed_ = true;
        co_return;
      }
    }
  }

  // Whether push_all stopped because the device took a new id.
  bool rekeyed() const { return rekeyed_; }

  // Pulls until the cursor reaches the last sequence the server announced.
  // The next batch is asked for before this one is applied, so the server
  // reads and sends it while the replica writes.
  awaitable<void> pull_all() {
    co_await send(sync::Pull{replica_.sync_cursor(), options_.pull_limit});
    for (;;) {
      sync::Message reply = co_await expect_reply();
      auto* result = std::get_if<sync::PullResult>(&reply);
      if (!result) fail_with(unexpected(reply, "pull_result"));
      // An empty batch short of the announced end means the rest is not
      // readable by this user (yet): stop rather than ask again forever.
      const bool again =
          result->more || (result->cursor < tally_.server_last_seq && !result->entries.empty());
      if (again) co_await send(sync::Pull{result->cursor, options_.pull_limit});
      check(replica_.apply_pulled(result->entries, result->cursor));
      tally_.pulled += static_cast<int64_t>(result->entries.size());
      tally_.cursor = result->cursor;
      report(fmt::format("下载 {}/{}", result->cursor,
                         std::max(tally_.server_last_seq, result->cursor)));
      if (!again) co_return;
    }
  }

  // Stays connected: pulls on notification, pushes local edits as they are
  // saved. Returns only by a failure (the connection dropped).
  awaitable<void> watch(const std::function<void()>& synced) {
    int64_t seen_version = check(replica_.data_version());
    for (;;) {
      bool worked = false;
      if (tally_.server_last_seq > replica_.sync_cursor()) {
        co_await pull_all();
        worked = true;
      }
      const int64_t version = check(replica_.data_version());
      if (version != seen_version) {
        seen_version = version;
        co_await push_all();
        if (rekeyed_) {
          fail_with(Status::FailedPrecondition(
              "本设备已换用新的设备编号（本地副本的另一份拷贝用过旧编号），正用新编号重新连接"));
        }
        worked = true;
      }
      if (worked) synced();
      auto message = co_await next(options_.poll_ms);
      if (!message) continue;
      absorb(*message);
      if (apply_live(*message)) synced();
    }
  }

  // A notify that carries its entries, for exactly where this replica's
  // cursor stands, is applied as a pull would be; any other is pulled for.
  bool apply_live(const sync::Message& m) {
    const auto* n = std::get_if<sync::Notify>(&m);
    if (!n || !n->from || *n->from != replica_.sync_cursor()) return false;
    check(replica_.apply_pulled(n->entries, n->last_seq));
    tally_.pulled += static_cast<int64_t>(n->entries.size());
    tally_.cursor = n->last_seq;
    return true;
  }

  awaitable<void> close() {
    boost::system::error_code ec;
    co_await ws_.async_close(websocket::close_code::normal,
                             asio::redirect_error(use_awaitable, ec));
  }

 private:
  template <typename T>
  T check(Result<T> r) {
    if (!r.ok()) fail_with(r.status());
    return std::move(*r);
  }
  void check(Status s) {
    if (!s.ok()) fail_with(std::move(s));
  }

  void report(const std::string& line) {
    if (options_.progress) options_.progress(line);
  }

  static Status unexpected(const sync::Message& m, const char* wanted) {
    return Status::Corruption(
        fmt::format("服务器发来的是 {}，应为 {}", sync::message_type(m), wanted));
  }

  static awaitable<void> reader(std::shared_ptr<SyncSession> self) {
    beast::flat_buffer buffer;
    sync::Limits limits;
    limits.max_frame_bytes = 256 * 1024 * 1024;
    limits.max_batch_ops = limits.max_pull_entries = 1'000'000;
    for (;;) {
      boost::system::error_code ec;
      co_await self->ws_.async_read(buffer, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        self->closed_ = ec == websocket::error::closed
                            ? fmt::format("服务器关闭了连接（{}）",
                                          self->ws_.reason().reason.empty()
                                              ? std::to_string(self->ws_.reason().code)
                                              : std::string(self->ws_.reason().reason.data(),
                                                            self->ws_.reason().reason.size()))
                            : describe(self->target_.server, ec);
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

  awaitable<void> send(const sync::Message& m) {
    boost::system::error_code ec;
    const std::string bytes = sync::encode(m, options_.encoding);
    co_await ws_.async_write(asio::buffer(bytes), asio::redirect_error(use_awaitable, ec));
    if (ec) fail_with(Status::IoError(describe(target_.server, ec)));
  }

  // The next message, or none when `timeout_ms` passes first.
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

  // Notifications update what there is to pull; errors end the exchange.
  void absorb(const sync::Message& m) {
    if (const auto* n = std::get_if<sync::Notify>(&m)) {
      tally_.server_last_seq = std::max(tally_.server_last_seq, n->last_seq);
    } else if (const auto* e = std::get_if<sync::ErrorMessage>(&m)) {
      fail_with(
          Status::FailedPrecondition(fmt::format("服务器拒绝：{}（{}）", e->message, e->code)));
    }
  }

  // The answer to the request just sent; notifications in between are noted.
  awaitable<sync::Message> expect_reply() {
    for (;;) {
      auto m = co_await next(options_.reply_timeout_ms);
      if (!m) {
        const int64_t ms = options_.reply_timeout_ms;
        fail_with(Status::IoError(fmt::format(
            "{} 在 {} 内没有应答", target_.server.url(),
            ms % 1000 == 0 ? fmt::format("{} 秒", ms / 1000) : fmt::format("{} 毫秒", ms))));
      }
      absorb(*m);
      if (!std::holds_alternative<sync::Notify>(*m)) co_return std::move(*m);
    }
  }

  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws_;
  asio::steady_timer wake_;
  Replica& replica_;
  const SyncTarget& target_;
  const AgentOptions& options_;
  SyncTally& tally_;
  std::deque<sync::Message> inbox_;
  std::string closed_;  // why the connection ended; empty while open
  int64_t batches_ = 0;
  bool rekeyed_ = false;
  std::string hello_device_;  // the device id this connection's hello named
};

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

Result<SyncTally> sync_once(Replica& replica, const SyncTarget& target,
                            const AgentOptions& options) {
  auto tls = tls_context(target.ca_file);
  if (!tls.ok()) return tls.status();
  asio::io_context io;
  SyncTally tally;
  auto exchange = [&]() -> awaitable<void> {
    auto session = std::make_shared<SyncSession>(io, **tls, replica, target, options, tally);
    co_await session->open();
    co_await session->push_all();
    if (session->rekeyed()) {
      // The hello named the old device id: the rest goes over a new session.
      co_await session->close();
      session = std::make_shared<SyncSession>(io, **tls, replica, target, options, tally);
      co_await session->open();
      co_await session->push_all();
      if (session->rekeyed()) {
        fail_with(Status::FailedPrecondition(
            "服务器发现本设备的新编号也已被用过；请再同步一次以换用另一个"));
      }
    }
    co_await session->pull_all();
    co_await session->close();
  };
  Status s = run_to_end(io, exchange());
  if (!s.ok()) {
    (void)replica.set_settings({{"sync.last_error", s.message()}});
    return s;
  }
  Status saved = replica.set_settings(
      {{"sync.last_ok_ms", std::to_string(wall_ms())}, {"sync.last_error", ""}});
  if (!saved.ok()) return saved;
  return tally;
}

void AgentStop::request() {
  std::lock_guard lock(mutex_);
  requested_ = true;
  if (stop_loop_) stop_loop_();
}

bool AgentStop::attach(std::function<void()> stop_loop) {
  std::lock_guard lock(mutex_);
  if (requested_) return false;
  stop_loop_ = std::move(stop_loop);
  return true;
}

void AgentStop::detach() {
  std::lock_guard lock(mutex_);
  stop_loop_ = nullptr;
}

Status run_agent(Replica& replica, const SyncTarget& first_target, const AgentOptions& options,
                 sync::RandomSource& random) {
  asio::io_context io;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) { io.stop(); });
  // io_context::stop is safe from any thread.
  if (options.stop && !options.stop->attach([&io] { io.stop(); })) return Status::Ok();
  auto event = [&](const std::string& line) {
    if (options.event) options.event(line);
  };
  auto note = [&](std::vector<std::pair<std::string, std::string>> values) {
    values.emplace_back("agent.heartbeat_ms", std::to_string(wall_ms()));
    if (Status s = replica.set_settings(values); !s.ok())
      event("cannot record state: " + s.message());
  };

  // Named, so the coroutines' captures live as long as the loop runs.
  auto heartbeat = [&]() -> awaitable<void> {
    asio::steady_timer beat(co_await asio::this_coro::executor);
    for (;;) {
      note({});
      beat.expires_after(std::chrono::milliseconds(kHeartbeatMs));
      boost::system::error_code ec;
      co_await beat.async_wait(asio::redirect_error(use_awaitable, ec));
    }
  };
  auto connection_loop = [&]() -> awaitable<void> {
    asio::steady_timer pause(co_await asio::this_coro::executor);
    int attempt = 0;
    SyncTarget target = first_target;
    for (;;) {
      Status failure;
      if (auto fresh = SyncTarget::from(replica); fresh.ok()) target = *fresh;  // a new login
      auto tls = tls_context(target.ca_file);
      if (!tls.ok()) {
        failure = tls.status();
      } else {
        SyncTally tally;
        auto session = std::make_shared<SyncSession>(io, **tls, replica, target, options, tally);
        try {
          co_await session->open();
          note({{"agent.state", "online"}, {"sync.last_error", ""}});
          event(fmt::format("online: {}", target.server.url()));
          auto synced = [&] { note({{"sync.last_ok_ms", std::to_string(wall_ms())}}); };
          co_await session->push_all();
          if (session->rekeyed()) {
            event(
                "this device took a new id (another copy of the replica used the old one); "
                "reconnecting under it");
            co_await session->close();
            continue;  // a new hello at once
          }
          co_await session->pull_all();
          // Only a whole exchange resets the back-off: a server that accepts
          // the connection and then refuses every batch is retried ever more
          // slowly, like one that is down.
          attempt = 0;
          synced();
          event(fmt::format("synced: pushed {}, pulled {}, cursor {}", tally.pushed, tally.pulled,
                            tally.cursor));
          co_await session->watch(synced);
        } catch (const SyncFailure& f) {
          failure = f.status;
        }
      }
      // Full jitter: a uniformly random wait up to the capped exponential
      // bound, so many clients returning together do not arrive together.
      const int64_t bound = std::min<int64_t>(options.max_backoff_ms,
                                              options.initial_backoff_ms << std::min(attempt, 20));
      const int64_t wait = bound / 2 + static_cast<int64_t>(random.next() % (bound / 2 + 1));
      ++attempt;
      note({{"agent.state", "offline"}, {"sync.last_error", failure.message()}});
      event(fmt::format("offline: {}; retrying in {}.{} s", failure.message(), wait / 1000,
                        wait % 1000 / 100));
      pause.expires_after(std::chrono::milliseconds(wait));
      boost::system::error_code ec;
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
    }
  };
  asio::co_spawn(io, heartbeat(), asio::detached);
  asio::co_spawn(io, connection_loop(), asio::detached);
  io.run();
  if (options.stop) options.stop->detach();
  note({{"agent.state", "stopped"}});
  return Status::Ok();
}

Result<AgentState> agent_state(const Replica& replica, int64_t now_ms) {
  AgentState a;
  BS_ASSIGN_OR_RETURN(state, replica.setting("agent.state"));
  BS_ASSIGN_OR_RETURN(beat, replica.setting("agent.heartbeat_ms"));
  BS_ASSIGN_OR_RETURN(last_ok, replica.setting("sync.last_ok_ms"));
  BS_ASSIGN_OR_RETURN(error, replica.setting("sync.last_error"));
  BS_ASSIGN_OR_RETURN(server, replica.setting("server.url"));
  const int64_t beat_ms = beat.empty() ? 0 : std::stoll(beat);
  a.agent_running = state != "stopped" && beat_ms > 0 && now_ms - beat_ms <= kHeartbeatStaleMs;
  a.online = a.agent_running && state == "online";
  a.last_sync_ms = last_ok.empty() ? 0 : std::stoll(last_ok);
  a.last_error = error;
  a.server = server;
  return a;
}

}  // namespace budgetsync::client
