// The sync WebSocket of the real server, spoken to frame by frame: no token,
// garbage, an oversized frame, CBOR, a write to another unit, and live
// notification. After each abuse the server still serves.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <fstream>
#include <optional>
#include <sstream>

#include "../support/in_process_server.h"
#include "../support/processes.h"
#include "server/credentials.h"
#include "sync/protocol.h"

namespace budgetsync::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using nlohmann::json;

class SyncWire : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(server_.admin({"init"}).exit_code, 0);
    ASSERT_EQ(server_.admin({"unit", "add", "411325-ybj", "内乡县医疗保障局"}).exit_code, 0);
    ASSERT_EQ(server_.admin({"unit", "add", "430602-ybj", "岳阳楼区医疗保障局"}).exit_code, 0);
    ASSERT_EQ(server_
                  .admin({"user", "add", "wang", "--role", "staff", "--unit", "411325-ybj"},
                         "pw-wang-secret\n")
                  .exit_code,
              0);
    ASSERT_TRUE(server_.start()) << server_.error();
    use_server(server_.port(), server_.ca());
  }

  // Where connect() goes: the server process, or one in this process.
  void use_server(int port, const std::string& ca) {
    port_ = port;
    tls_ = ssl::context(ssl::context::tls_client);
    tls_.load_verify_file(ca);
    tls_.set_verify_mode(ssl::verify_peer);
  }

  beast::ssl_stream<beast::tcp_stream> connect() {
    beast::ssl_stream<beast::tcp_stream> s(io_, tls_);
    beast::get_lowest_layer(s).connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port_)));
    beast::get_lowest_layer(s).expires_after(std::chrono::seconds(10));
    SSL_set_tlsext_host_name(s.native_handle(), "localhost");
    s.handshake(ssl::stream_base::client);
    return s;
  }

  http::response<http::string_body> request(http::verb verb, const std::string& target,
                                            const std::string& body = "",
                                            const std::string& token = "") {
    auto s = connect();
    http::request<http::string_body> req(verb, target, 11);
    req.set(http::field::host, "localhost");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    req.body() = body;
    req.prepare_payload();
    http::write(s, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(s, buffer, res);
    return res;
  }

  std::string login(const std::string& user = "wang") {
    const json body = {{"user", user}, {"password", test_password(user)}};
    auto res = request(http::verb::post, "/api/login", body.dump());
    EXPECT_EQ(res.result(), http::status::ok) << res.body();
    return json::parse(res.body())["token"].get<std::string>();
  }

  using Ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
  std::unique_ptr<Ws> open_ws(const std::string& token) {
    auto ws = std::make_unique<Ws>(connect());
    beast::get_lowest_layer(*ws).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(10);
    t.idle_timeout = std::chrono::seconds(10);  // a silent server fails the read, never hangs it
    t.keep_alive_pings = false;
    ws->set_option(t);
    ws->set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
      req.set(http::field::authorization, "Bearer " + token);
    }));
    ws->handshake("localhost", "/sync");
    return ws;
  }

  static sync::Message read(Ws& ws) {
    beast::flat_buffer buffer;
    ws.read(buffer);
    auto m = sync::decode(beast::buffers_to_string(buffer.data()),
                          ws.got_binary() ? sync::Encoding::kCbor : sync::Encoding::kJson);
    EXPECT_TRUE(m.ok()) << m.status().message();
    return m.ok() ? *m : sync::Message{sync::ErrorMessage{"undecodable", "", false}};
  }

  static void send(Ws& ws, const sync::Message& m, sync::Encoding enc = sync::Encoding::kJson) {
    ws.binary(enc == sync::Encoding::kCbor);
    ws.write(asio::buffer(sync::encode(m, enc)));
  }

  static std::string error_code(const sync::Message& m) {
    const auto* e = std::get_if<sync::ErrorMessage>(&m);
    return e ? e->code : std::string(sync::message_type(m));
  }

  bool healthy() { return request(http::verb::get, "/healthz").result() == http::status::ok; }

  // The server's event log (its standard error). Each event is written before
  // the answer that follows it is sent, so reading after the answer is enough.
  std::string server_log() const {
    std::ifstream in(server_.data() + "/server.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // Its lines, each one JSON object; a line that is not one is a failure.
  std::vector<json> server_events() const {
    std::vector<json> events;
    std::istringstream lines(server_log());
    for (std::string line; std::getline(lines, line);) {
      json e = json::parse(line, nullptr, false);
      EXPECT_TRUE(e.is_object() && e.contains("time") && e.contains("event"))
          << "not an event: " << line;
      if (e.is_object()) events.push_back(std::move(e));
    }
    return events;
  }
  // The first event named `event` holding every field of `fields`, or null.
  json logged(const std::string& event, const json& fields = json::object()) const {
    for (const json& e : server_events()) {
      if (e.value("event", "") != event) continue;
      bool all = true;
      for (const auto& [k, v] : fields.items()) all = all && e.contains(k) && e[k] == v;
      if (all) return e;
    }
    return nullptr;
  }

  static sync::Operation edit(const std::string& device, int64_t counter, const std::string& unit,
                              const std::string& value) {
    sync::Operation op;
    op.id = {device, counter};
    op.hlc = {1'700'000'000'000 + counter, 0};
    op.author = "wang";
    op.report = *ReportKey::parse(unit + "/2024/final02");
    op.row = "2101505";
    op.column = "total";
    op.value = value;
    return op;
  }

  // What `ws` receives until the server closes it, or `timeout_ms` passes
  // (then the last element is an error "still_open"); `closed_after_ms` is
  // how long after `since` the close came.
  struct Ending {
    std::vector<sync::Message> messages;
    websocket::close_code code = websocket::close_code::none;
    int64_t closed_after_ms = -1;
  };
  using Time = std::chrono::steady_clock::time_point;
  Ending read_until_closed(Ws& ws, Time since, int64_t timeout_ms = 5'000) {
    Ending out;
    // Reads asynchronously and runs the io_context until a deadline, so a
    // server that never closes fails the test instead of hanging it.
    const Time deadline = since + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      beast::flat_buffer buffer;
      std::optional<beast::error_code> done;
      ws.async_read(buffer, [&](beast::error_code ec, size_t) { done = ec; });
      io_.restart();
      while (!done && std::chrono::steady_clock::now() < deadline) io_.run_one_until(deadline);
      if (!done) {
        beast::get_lowest_layer(ws).cancel();
        io_.restart();
        io_.run();
        out.messages.push_back(sync::ErrorMessage{"still_open", "no close by the deadline", false});
        return out;
      }
      const beast::error_code ec = *done;
      if (ec == websocket::error::closed) {
        out.code = static_cast<websocket::close_code>(ws.reason().code);
        out.closed_after_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - since)
                                  .count();
        return out;
      }
      if (ec) {
        out.messages.push_back(sync::ErrorMessage{"still_open", ec.message(), false});
        return out;
      }
      auto m = sync::decode(beast::buffers_to_string(buffer.data()),
                            ws.got_binary() ? sync::Encoding::kCbor : sync::Encoding::kJson);
      out.messages.push_back(m.ok() ? *m : sync::Message{sync::ErrorMessage{"undecodable", "", false}});
    }
  }

  // A watcher that has had a notify with an entry, and the writer that made it
  // (another staff member of the same unit).
  struct Feed {
    std::unique_ptr<Ws> watcher, writer;
    int64_t counter = 0;
  };
  Feed live_feed() {
    Feed f;
    f.watcher = open_ws(login("wang"));
    f.writer = open_ws(login("zhang"));
    send(*f.watcher, sync::Hello{"dev-watch", 0, "", 0, ""});
    EXPECT_EQ(error_code(read(*f.watcher)), "welcome");
    send(*f.writer, sync::Hello{"dev-zhang", 0, "", 0, ""});
    EXPECT_EQ(error_code(read(*f.writer)), "welcome");
    push_from(f);
    auto heard = read(*f.watcher);
    const auto* n = std::get_if<sync::Notify>(&heard);
    EXPECT_TRUE(n && n->entries.size() == 1) << error_code(heard);
    return f;
  }
  static void push_from(Feed& f) {
    const int64_t n = ++f.counter;
    sync::Operation op = edit("dev-zhang", n, "411325-ybj", std::to_string(n));
    op.author = "zhang";
    send(*f.writer, sync::Push{"b" + std::to_string(f.counter), {op}});
    EXPECT_EQ(error_code(read(*f.writer)), "push_result");
  }
  // The watcher's token has ended: it is told so and closed (policy) within a
  // second, with no notify before, even while the writer keeps writing.
  void expect_cut_off(Feed& f, Time since) {
    push_from(f);
    const Ending end = read_until_closed(*f.watcher, since);
    for (const auto& m : end.messages) {
      EXPECT_FALSE(std::holds_alternative<sync::Notify>(m)) << "a notify after the token ended";
      if (const auto* e = std::get_if<sync::ErrorMessage>(&m)) {
        EXPECT_EQ(e->code, "unauthorized") << e->message;
        EXPECT_TRUE(e->fatal);
      }
    }
    EXPECT_EQ(end.code, websocket::close_code::policy_error);
    EXPECT_GE(end.closed_after_ms, 0) << "not closed";
    EXPECT_LT(end.closed_after_ms, 1000);
  }

  TempDir dir_;
  ServerProcess server_{dir_.path()};
  asio::io_context io_;
  ssl::context tls_{ssl::context::tls_client};
  int port_ = 0;
};

TEST_F(SyncWire, TheWebSocketNeedsAValidToken) {
  EXPECT_EQ(request(http::verb::get, "/sync").result(), http::status::upgrade_required);
  Ws ws(connect());
  beast::error_code ec;
  websocket::response_type res;
  ws.set_option(websocket::stream_base::decorator(
      [](websocket::request_type& req) { req.set(http::field::authorization, "Bearer forged"); }));
  ws.handshake(res, "localhost", "/sync", ec);
  EXPECT_EQ(ec, websocket::error::upgrade_declined);
  EXPECT_FALSE(logged("sync_unauthorized", {{"address", "127.0.0.1"},
                                            {"why", "token unknown, expired or revoked"}})
                   .is_null())
      << server_log();
  EXPECT_TRUE(healthy());
}

TEST_F(SyncWire, GarbageGetsAnErrorAndTheConnectionStaysUsable) {
  auto ws = open_ws(login());
  ws->text(true);
  ws->write(asio::buffer(std::string("{this is not json")));
  EXPECT_EQ(error_code(read(*ws)), "malformed");
  ws->write(asio::buffer(std::string(R"({"v":1,"type":"push","batch_id":"b"})")));
  EXPECT_EQ(error_code(read(*ws)), "malformed");  // ops missing
  send(*ws, sync::Pull{0, 10});
  EXPECT_EQ(error_code(read(*ws)), "out_of_order");  // no hello yet
  send(*ws, sync::Hello{"dev-wire", 0, "", 0, ""});
  EXPECT_EQ(error_code(read(*ws)), "welcome");
  send(*ws, sync::Pull{0, 10});
  EXPECT_EQ(error_code(read(*ws)), "pull_result");
  // Each refusal is logged with who was refused.
  EXPECT_FALSE(logged("login", {{"user", "wang"}, {"address", "127.0.0.1"}}).is_null())
      << server_log();
  EXPECT_FALSE(logged("sync_refused", {{"user", "wang"},
                                       {"device", ""},
                                       {"address", "127.0.0.1"},
                                       {"code", "malformed"}})
                   .is_null())
      << server_log();
  EXPECT_FALSE(logged("sync_refused", {{"code", "out_of_order"}}).is_null()) << server_log();
}

TEST_F(SyncWire, AnOversizedFrameClosesTheConnectionCleanlyAndNothingElse) {
  auto ws = open_ws(login());
  ws->text(true);
  beast::error_code ec;
  ws->write(asio::buffer(std::string(5 * 1024 * 1024, ' ')), ec);  // over the 4 MiB limit
  beast::flat_buffer buffer;
  ws->read(buffer, ec);
  // The server closes with 1009 (too big); the close may reach us as a reset
  // when we were still sending the rest of the frame.
  EXPECT_TRUE(ec) << "the oversized frame was accepted";
  if (ec == websocket::error::closed) {
    EXPECT_EQ(ws->reason().code, websocket::close_code::too_big);
  }
  EXPECT_TRUE(healthy());
  // A fresh connection works.
  auto again = open_ws(login());
  send(*again, sync::Hello{"dev-wire", 0, "", 0, ""});
  EXPECT_EQ(error_code(read(*again)), "welcome");
  // Logged when the server closed, several exchanges ago on its one thread.
  EXPECT_FALSE(
      logged("sync_closed", {{"user", "wang"}, {"device", ""}, {"address", "127.0.0.1"}}).is_null())
      << server_log();
}

TEST_F(SyncWire, CborFramesAreAnsweredInCbor) {
  auto ws = open_ws(login());
  send(*ws, sync::Hello{"dev-cbor", 0, "", 0, ""}, sync::Encoding::kCbor);
  beast::flat_buffer buffer;
  ws->read(buffer);
  EXPECT_TRUE(ws->got_binary());
  auto m = sync::decode(beast::buffers_to_string(buffer.data()), sync::Encoding::kCbor);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_TRUE(std::holds_alternative<sync::Welcome>(*m));
}

// A device id is bound to the user who first synced with it: another user —
// here staff of another unit — cannot say hello as that device, so cannot
// push under its ids, spoil its owner's next edits or appear as its owner.
TEST_F(SyncWire, ADeviceIdBelongsToTheUserWhoRegisteredIt) {
  ASSERT_EQ(server_
                .admin({"user", "add", "liu", "--role", "staff", "--unit", "430602-ybj"},
                       "pw-liu-secret\n")
                .exit_code,
            0);
  auto own = open_ws(login());
  send(*own, sync::Hello{"dev-wang", 0, "", 0, ""});
  ASSERT_EQ(error_code(read(*own)), "welcome");

  auto res =
      request(http::verb::post, "/api/login", R"({"user":"liu","password":"pw-liu-secret"})");
  ASSERT_EQ(res.result(), http::status::ok) << res.body();
  auto thief = open_ws(json::parse(res.body())["token"].get<std::string>());
  send(*thief, sync::Hello{"dev-wang", 0, "", 0, ""});
  EXPECT_EQ(error_code(read(*thief)), "device_forbidden");
  beast::flat_buffer buffer;
  beast::error_code ec;
  thief->read(buffer, ec);
  EXPECT_EQ(ec, websocket::error::closed);  // the connection ends with the refusal

  // The owner's edits under that id go ahead, and the device is still his.
  send(*own, sync::Push{"b1", {edit("dev-wang", 1, "411325-ybj", "15.50")}});
  auto answer = read(*own);
  const auto* r = std::get_if<sync::PushResult>(&answer);
  ASSERT_NE(r, nullptr) << error_code(answer);
  EXPECT_EQ(r->results.at(0).outcome, sync::Outcome::kApplied) << r->results.at(0).reason;
  const std::string devices = server_.admin({"device", "list"}).out;
  const size_t line = devices.find("dev-wang");
  ASSERT_NE(line, std::string::npos) << devices;
  const std::string row = devices.substr(line, devices.find('\n', line) - line);
  EXPECT_NE(row.find("wang"), std::string::npos) << devices;
  EXPECT_EQ(row.find("liu"), std::string::npos) << devices;
}

TEST_F(SyncWire, WritesToAnotherUnitAreRejectedAndOthersAreNotified) {
  const std::string token = login();
  auto writer = open_ws(token);
  auto watcher = open_ws(token);
  send(*writer, sync::Hello{"dev-writer", 0, "", 0, ""});
  ASSERT_EQ(error_code(read(*writer)), "welcome");
  send(*watcher, sync::Hello{"dev-watcher", 0, "", 0, ""});
  ASSERT_EQ(error_code(read(*watcher)), "welcome");

  send(*writer, sync::Push{"b1", {edit("dev-writer", 1, "430602-ybj", "9.99")}});
  auto refused = read(*writer);
  const auto* r = std::get_if<sync::PushResult>(&refused);
  ASSERT_NE(r, nullptr) << error_code(refused);
  EXPECT_EQ(r->results.at(0).outcome, sync::Outcome::kRejected);
  EXPECT_EQ(r->results.at(0).reason.rfind("unit_forbidden", 0), 0u);
  const json rejected = logged("ops_rejected", {{"user", "wang"},
                                               {"device", "dev-writer"},
                                               {"address", "127.0.0.1"},
                                               {"batch", "b1"},
                                               {"count", 1},
                                               {"first", "dev-writer:1"},
                                               {"report", "430602-ybj/2024/final02"}});
  ASSERT_FALSE(rejected.is_null()) << server_log();
  EXPECT_EQ(rejected["reason"].get<std::string>().rfind("unit_forbidden", 0), 0u);

  send(*writer, sync::Push{"b2", {edit("dev-writer", 2, "411325-ybj", "15.50")}});
  auto applied = read(*writer);
  ASSERT_TRUE(std::holds_alternative<sync::PushResult>(applied));
  EXPECT_EQ(std::get<sync::PushResult>(applied).results.at(0).seq, 1);
  // The other connection hears of it without asking, the edit included.
  auto heard = read(*watcher);
  const auto* n = std::get_if<sync::Notify>(&heard);
  ASSERT_NE(n, nullptr) << error_code(heard);
  EXPECT_EQ(n->last_seq, 1);
  EXPECT_EQ(n->from, 0);
  ASSERT_EQ(n->entries.size(), 1u);
  EXPECT_EQ(n->entries[0].op.value, "15.50");
  EXPECT_EQ(n->entries[0].seq, 1);
  // A pull gives the same.
  send(*watcher, sync::Pull{0, 10});
  auto pulled = read(*watcher);
  ASSERT_TRUE(std::holds_alternative<sync::PullResult>(pulled));
  ASSERT_EQ(std::get<sync::PullResult>(pulled).entries.size(), 1u);
  EXPECT_EQ(std::get<sync::PullResult>(pulled).entries[0].op.value, "15.50");

  auto metrics = request(http::verb::get, "/metrics");
  EXPECT_NE(metrics.body().find("budgetsync_sync_connections 2\n"), std::string::npos)
      << metrics.body();
  EXPECT_NE(metrics.body().find("budgetsync_ops_total{outcome=\"rejected\"} 1\n"),
            std::string::npos);
}

// What a forged line would look like in the old "TIME EVENT DETAIL" format.
constexpr const char* kForgedLine = "2026-01-01T00:00:00.000Z login user=admin address=10.0.0.1";

TEST_F(SyncWire, ALoginNameCannotForgeLogLinesNorLeakAPasswordTypedIntoIt) {
  const json forged = {{"user", std::string("nobody\n") + kForgedLine}, {"password", "x"}};
  EXPECT_EQ(request(http::verb::post, "/api/login", forged.dump()).result(),
            http::status::unauthorized);
  // The password typed into the user field.
  const json mistyped = {{"user", "pw-wang-secret"}, {"password", "wang"}};
  EXPECT_EQ(request(http::verb::post, "/api/login", mistyped.dump()).result(),
            http::status::unauthorized);
  const std::string log = server_log();
  const auto events = server_events();  // every line one JSON object
  for (const json& e : events) {
    EXPECT_NE(e.value("address", ""), "10.0.0.1") << "a forged line: " << e.dump();
  }
  EXPECT_EQ(log.find("pw-wang-secret"), std::string::npos) << log;
  EXPECT_EQ(log.find("login user=admin"), std::string::npos) << log;
  // Unknown names are written as a digest, the same for the same name.
  int refused = 0;
  for (const json& e : events) {
    if (e["event"] != "login_refused") continue;
    ++refused;
    const std::string user = e["user"];
    EXPECT_EQ(user.rfind("unknown:", 0), 0u) << user;
    EXPECT_EQ(user.size(), std::string("unknown:").size() + 16) << user;
    EXPECT_EQ(e["address"], "127.0.0.1");
  }
  EXPECT_EQ(refused, 2) << log;
  // A known user's name is written as it is.
  const json wrong = {{"user", "wang"}, {"password", "not-wangs-password"}};
  EXPECT_EQ(request(http::verb::post, "/api/login", wrong.dump()).result(),
            http::status::unauthorized);
  EXPECT_FALSE(logged("login_refused", {{"user", "wang"}}).is_null()) << server_log();
}

TEST_F(SyncWire, AnOperationsAuthorCannotForgeLogLines) {
  auto ws = open_ws(login());
  send(*ws, sync::Hello{"dev-forge", 0, "", 0, ""});
  ASSERT_EQ(error_code(read(*ws)), "welcome");
  sync::Operation op = edit("dev-forge", 1, "411325-ybj", "1.00");
  op.author = std::string("wang\n") + kForgedLine;
  send(*ws, sync::Push{"b-forge", {op}});
  auto answer = read(*ws);
  const auto* r = std::get_if<sync::PushResult>(&answer);
  ASSERT_NE(r, nullptr) << error_code(answer);
  EXPECT_EQ(r->results.at(0).outcome, sync::Outcome::kRejected);
  const json rejected = logged("ops_rejected", {{"batch", "b-forge"}});
  ASSERT_FALSE(rejected.is_null()) << server_log();
  // The author's newline stays inside the reason's string.
  EXPECT_NE(rejected["reason"].get<std::string>().find(op.author), std::string::npos);
  for (const json& e : server_events()) {
    EXPECT_NE(e.value("address", ""), "10.0.0.1") << "a forged line: " << e.dump();
  }
}

TEST_F(SyncWire, ARevokedTokenCutsTheLiveFeedWithinASecond) {
  ASSERT_EQ(server_.add_user("zhang", "staff", "411325-ybj"), 0);
  Feed f = live_feed();
  ASSERT_EQ(server_.admin({"token", "revoke", "--user", "wang"}).exit_code, 0);
  expect_cut_off(f, std::chrono::steady_clock::now());
  EXPECT_FALSE(logged("sync_revoked", {{"user", "wang"}, {"device", "dev-watch"}}).is_null())
      << server_log();
  // The writer's own feed goes on.
  EXPECT_TRUE(healthy());
  push_from(f);
}

TEST_F(SyncWire, ADisabledUserLosesTheLiveFeedEvenWhenNothingIsWritten) {
  ASSERT_EQ(server_.add_user("zhang", "staff", "411325-ybj"), 0);
  Feed f = live_feed();
  ASSERT_EQ(server_.admin({"user", "disable", "wang"}).exit_code, 0);
  // Nothing pushed: the periodic check alone closes it.
  const Ending end = read_until_closed(*f.watcher, std::chrono::steady_clock::now());
  for (const auto& m : end.messages) EXPECT_FALSE(std::holds_alternative<sync::Notify>(m));
  EXPECT_EQ(end.code, websocket::close_code::policy_error);
  EXPECT_GE(end.closed_after_ms, 0) << "not closed";
  EXPECT_LT(end.closed_after_ms, 1000);
}

TEST_F(SyncWire, AnExpiredTokenCutsTheLiveFeedByTheServersClock) {
  // A server in this process, whose clock the test moves.
  TempDir here;
  InProcessServer inproc(here.path());
  ASSERT_TRUE(inproc.open().ok());
  server::AdminStore& admin = inproc.admin();
  ASSERT_TRUE(admin.add_unit("411325-ybj", "内乡县医疗保障局", "").ok());
  for (const std::string name : {"wang", "zhang"}) {
    ASSERT_TRUE(admin
                    .add_user({name, server::Role::kStaff, "411325-ybj", false},
                              *server::hash_password(test_password(name), 1000))
                    .ok());
  }
  ASSERT_TRUE(inproc.start().ok());
  use_server(inproc.port(), inproc.ca());
  Feed f = live_feed();
  // Both tokens expire together (same clock, same lifetime): the writer logs in again.
  inproc.clock().advance(server::AdminStore::kTokenLifetimeMs);
  const auto expired = std::chrono::steady_clock::now();
  f.writer = open_ws(login("zhang"));
  send(*f.writer, sync::Hello{"dev-zhang", 0, "", 0, ""});
  ASSERT_EQ(error_code(read(*f.writer)), "welcome");
  expect_cut_off(f, expired);
}

TEST_F(SyncWire, SigtermClosesSyncConnectionsAsGoingAway) {
  auto ws = open_ws(login());
  send(*ws, sync::Hello{"dev-stop", 0, "", 0, ""});
  ASSERT_EQ(error_code(read(*ws)), "welcome");
  server_.signal(SIGTERM);
  beast::flat_buffer buffer;
  beast::error_code ec;
  ws->read(buffer, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(ws->reason().code, websocket::close_code::going_away);
  EXPECT_EQ(server_.stop(), 0);  // exited cleanly
}

}  // namespace
}  // namespace budgetsync::testing
