// Sync fan-out benchmarks against the real budgetsync-server over loopback TLS:
//
//   budgetsync-fanout-bench [--clients N] [--edits N] [--idle N]
//
// 1. Edit-to-other-client latency: N staff devices of one unit hold sync
//    connections; one more device pushes an edit; every other device gets it
//    with the notify (or pulls when the notify comes without it). Latency is
//    from the push being sent to the edit arriving at each device; p50/p99/max over devices x
//    edits. Edits go one at a time: the next is sent once every device has
//    the last.
// 2. Idle connections: the server's resident memory (VmRSS) with no sync
//    connection, then with N idle ones that each completed hello/welcome.
//
// All the devices live in this one process on one thread, so their TLS and
// JSON work is inside the measured latency; on a 2-core machine they share
// the CPU with the server.
#include <sys/resource.h>

// clang-format off
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../support/processes.h"
#include "sync/protocol.h"

namespace {

using namespace budgetsync;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using SteadyClock = std::chrono::steady_clock;
using Ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "fanout-bench: %s\n", what.c_str());
  std::exit(1);
}

const char* kUnit = "bench-unit";
const char* kPassword = "bench-password";

// A server with one unit and one staff user, started on a free port.
void prepare(testing::ServerProcess& server) {
  auto ok = [](const testing::CliResult& r, const char* what) {
    if (r.exit_code != 0) die(std::string(what) + ": " + r.err);
  };
  ok(server.admin({"init"}), "init");
  ok(server.admin({"unit", "add", kUnit, "基准单位"}), "unit add");
  ok(server.admin({"user", "add", "staff", "--role", "staff", "--unit", kUnit},
                  std::string(kPassword) + "\n"),
     "user add");
  if (!server.start()) die(server.error());
}

long resident_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  die("no VmRSS for the server");
}

class Devices {
 public:
  Devices(const testing::ServerProcess& server) : server_(server) {
    tls_.load_verify_file(server.ca());
    tls_.set_verify_mode(ssl::verify_peer);
  }

  std::string login() {
    beast::ssl_stream<beast::tcp_stream> s(io_, tls_);
    beast::get_lowest_layer(s).connect(endpoint());
    s.handshake(ssl::stream_base::client);
    http::request<http::string_body> req(http::verb::post, "/api/login", 11);
    req.set(http::field::host, "localhost");
    req.body() = nlohmann::json{{"user", "staff"}, {"password", kPassword}}.dump();
    req.prepare_payload();
    http::write(s, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(s, buffer, res);
    if (res.result() != http::status::ok) die("login: " + res.body());
    return nlohmann::json::parse(res.body())["token"].get<std::string>();
  }

  // A device connected and welcomed; its reads are left to the caller.
  awaitable<std::unique_ptr<Ws>> open(const std::string& token, const std::string& device) {
    auto ws = std::make_unique<Ws>(io_, tls_);
    auto& tcp_layer = beast::get_lowest_layer(*ws);
    tcp_layer.expires_after(std::chrono::seconds(30));
    co_await tcp_layer.async_connect(endpoint(), use_awaitable);
    tcp_layer.socket().set_option(tcp::no_delay(true));  // as the real client does
    co_await ws->next_layer().async_handshake(ssl::stream_base::client, use_awaitable);
    tcp_layer.expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(30);
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws->set_option(t);
    ws->set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
      req.set(http::field::authorization, "Bearer " + token);
    }));
    co_await ws->async_handshake("localhost", "/sync", use_awaitable);
    sync::Hello hello;
    hello.device = device;
    co_await send(*ws, hello);
    const sync::Message welcome = co_await read(*ws);
    if (!std::holds_alternative<sync::Welcome>(welcome)) die("no welcome for " + device);
    co_return ws;
  }

  static awaitable<void> send(Ws& ws, const sync::Message& m) {
    const std::string bytes = sync::encode(m, sync::Encoding::kJson);
    co_await ws.async_write(asio::buffer(bytes), use_awaitable);
  }

  static awaitable<sync::Message> read(Ws& ws) {
    beast::flat_buffer buffer;
    co_await ws.async_read(buffer, use_awaitable);
    auto m = sync::decode(beast::buffers_to_string(buffer.data()), sync::Encoding::kJson);
    if (!m.ok()) die("undecodable frame: " + m.status().message());
    if (const auto* e = std::get_if<sync::ErrorMessage>(&*m)) die("server error: " + e->message);
    co_return std::move(*m);
  }

  asio::io_context& io() { return io_; }

 private:
  tcp::endpoint endpoint() const {
    return {asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(server_.port())};
  }

  const testing::ServerProcess& server_;
  asio::io_context io_;
  ssl::context tls_{ssl::context::tls_client};
};

void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

// Opens `count` devices, `parallel` at a time (a burst of thousands would
// overflow the listen backlog and measure TCP retries instead).
struct Opening {
  Devices& d;
  const std::string& token;
  std::vector<std::unique_ptr<Ws>>& out;
  size_t next = 0;
  size_t running = 0;
  asio::steady_timer done;
};

awaitable<void> open_some(Opening& o) {
  while (o.next < o.out.size()) {
    const size_t i = o.next++;
    o.out[i] = co_await o.d.open(o.token, "bench-device-" + std::to_string(i));
  }
  if (--o.running == 0) o.done.cancel();
}

awaitable<void> open_all(Devices& d, const std::string& token, size_t count, size_t parallel,
                         std::vector<std::unique_ptr<Ws>>& out) {
  out.resize(count);
  Opening o{d, token, out, 0, 0, asio::steady_timer(d.io(), SteadyClock::time_point::max())};
  for (size_t w = 0; w < std::min(parallel, count); ++w) {
    ++o.running;
    asio::co_spawn(d.io(), open_some(o), rethrow);
  }
  boost::system::error_code ec;
  co_await o.done.async_wait(asio::redirect_error(use_awaitable, ec));
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// One latency run: the listening devices and the writer, all coroutines on
// the bench's one thread.
class LatencyRun {
 public:
  LatencyRun(Devices& d, std::string token, size_t clients, size_t edits)
      : d_(d), token_(std::move(token)), clients_(clients), sent_(edits), all_have_(d.io()) {}

  awaitable<void> run() {
    const auto t = SteadyClock::now();
    co_await open_all(d_, token_, clients_, 50, listeners_);
    std::printf("latency: %zu devices connected in %.1f s\n", clients_,
                std::chrono::duration<double>(SteadyClock::now() - t).count());
    for (auto& ws : listeners_) {
      asio::co_spawn(d_.io(), listen(*ws), [](std::exception_ptr) {});  // ends at close
    }
    auto writer = co_await d_.open(token_, "bench-writer");
    int64_t version = 0;
    for (size_t k = 0; k < sent_.size(); ++k) {
      received_ = 0;
      all_have_.expires_at(SteadyClock::time_point::max());
      sync::Operation op;
      // (Named steps, not braced temporaries: g++ 12 miscompiles those in
      // coroutines.)
      op.id.device = std::string("bench-writer");
      op.id.counter = static_cast<int64_t>(k + 1);
      op.hlc.wall_ms = 1'700'000'000'000 + static_cast<int64_t>(k);
      op.author = "staff";
      op.report = *ReportKey::parse(std::string(kUnit) + "/2024/final02");
      op.row = "2101505";
      op.column = "total";
      op.value = std::to_string(k);
      op.base_version = version;
      sent_[k] = SteadyClock::now();
      sync::Push push;
      push.batch_id = "b" + std::to_string(k);
      push.ops.push_back(op);
      co_await Devices::send(*writer, push);
      sync::Message m = co_await Devices::read(*writer);
      while (!std::holds_alternative<sync::PushResult>(m)) m = co_await Devices::read(*writer);
      version = std::get<sync::PushResult>(m).results.at(0).cell.version;
      if (received_ < listeners_.size()) {
        boost::system::error_code ec;
        co_await all_have_.async_wait(asio::redirect_error(use_awaitable, ec));
      }
    }
    d_.io().stop();
  }

  const std::vector<double>& latencies_ms() const { return latencies_ms_; }

 private:
  // A device that pulls whenever told there is something new.
  awaitable<void> listen(Ws& ws) {
    int64_t cursor = 0;
    for (;;) {
      sync::Message m = co_await Devices::read(ws);
      const std::vector<sync::LogEntry>* arrived = nullptr;
      if (const auto* n = std::get_if<sync::Notify>(&m)) {
        if (n->from && *n->from == cursor) {
          arrived = &n->entries;  // as the real client does: no pull needed
          cursor = n->last_seq;
        } else if (n->last_seq > cursor) {
          co_await Devices::send(ws, sync::Pull{cursor, 100});
        }
      } else if (const auto* r = std::get_if<sync::PullResult>(&m)) {
        arrived = &r->entries;
        cursor = r->cursor;
      }
      for (const auto& e : arrived ? *arrived : std::vector<sync::LogEntry>{}) {
        const size_t k = std::stoul(e.op.value.value_or("0"));
        latencies_ms_.push_back(
            std::chrono::duration<double, std::milli>(SteadyClock::now() - sent_[k]).count());
        if (++received_ == listeners_.size()) all_have_.cancel();
      }
    }
  }

  Devices& d_;
  std::string token_;
  size_t clients_;
  std::vector<SteadyClock::time_point> sent_;
  asio::steady_timer all_have_;
  size_t received_ = 0;  // devices holding the current edit
  std::vector<std::unique_ptr<Ws>> listeners_;
  std::vector<double> latencies_ms_;
};

void bench_latency(size_t clients, size_t edits) {
  testing::TempDir dir;
  testing::ServerProcess server(dir.path());
  prepare(server);
  Devices d(server);
  LatencyRun run(d, d.login(), clients, edits);
  asio::co_spawn(d.io(), run.run(), rethrow);
  d.io().run();
  std::printf(
      "latency: edit to other device (push sent -> the edit received), %zu devices x %zu "
      "edits: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
      clients, edits, percentile(run.latencies_ms(), 0.50), percentile(run.latencies_ms(), 0.99),
      percentile(run.latencies_ms(), 1.0));
  server.kill9();
}

awaitable<void> open_idle(Devices& d, const std::string& token, size_t count, pid_t server,
                          long& after, std::vector<std::unique_ptr<Ws>>& idle) {
  const auto t = SteadyClock::now();
  co_await open_all(d, token, count, 50, idle);
  std::printf("idle: %zu devices connected in %.1f s\n", count,
              std::chrono::duration<double>(SteadyClock::now() - t).count());
  after = resident_kib(server);
  d.io().stop();
}

void bench_idle(size_t count) {
  testing::TempDir dir;
  testing::ServerProcess server(dir.path());
  prepare(server);
  Devices d(server);
  const std::string token = d.login();
  const long before = resident_kib(server.pid());
  long after = 0;
  std::vector<std::unique_ptr<Ws>> idle;
  asio::co_spawn(d.io(), open_idle(d, token, count, server.pid(), after, idle), rethrow);
  d.io().run();
  std::printf(
      "idle: server resident memory %ld KiB with no sync connection, %ld KiB with %zu idle "
      "ones: %.1f KiB per connection\n",
      before, after, count, static_cast<double>(after - before) / static_cast<double>(count));
  server.kill9();
}

}  // namespace

int main(int argc, char** argv) {
  size_t clients = 1000;
  size_t edits = 100;
  size_t idle = 10'000;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || i + 1 >= argc) {
      std::printf("usage: budgetsync-fanout-bench [--clients N] [--edits N] [--idle N]\n");
      return flag == "--help" ? 0 : 2;
    }
    const size_t value = std::stoul(argv[++i]);
    if (flag == "--clients") {
      clients = value;
    } else if (flag == "--edits") {
      edits = value;
    } else if (flag == "--idle") {
      idle = value;
    } else {
      std::fprintf(stderr, "unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  // Each connection is a descriptor here and one in the server (which
  // inherits this limit).
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  setrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_cur < std::max(clients, idle) + 100) {
    std::fprintf(stderr, "fanout-bench: %zu connections need more open files than %ld\n",
                 std::max(clients, idle), static_cast<long>(files.rlim_cur));
    return 1;
  }
  if (clients > 0) bench_latency(clients, edits);
  if (idle > 0) bench_idle(idle);
  return 0;
}
