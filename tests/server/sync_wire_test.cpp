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

#include "../support/processes.h"
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
    tls_.load_verify_file(server_.ca());
    tls_.set_verify_mode(ssl::verify_peer);
  }

  beast::ssl_stream<beast::tcp_stream> connect() {
    beast::ssl_stream<beast::tcp_stream> s(io_, tls_);
    beast::get_lowest_layer(s).connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(server_.port())));
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

  std::string login() {
    auto res =
        request(http::verb::post, "/api/login", R"({"user":"wang","password":"pw-wang-secret"})");
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

  TempDir dir_;
  ServerProcess server_{dir_.path()};
  asio::io_context io_;
  ssl::context tls_{ssl::context::tls_client};
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
  EXPECT_NE(server_log().find("sync_unauthorized address=127.0.0.1 token unknown"),
            std::string::npos)
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
  const std::string log = server_log();
  EXPECT_NE(log.find("login user=wang address=127.0.0.1"), std::string::npos) << log;
  EXPECT_NE(log.find("sync_refused user=wang device=- address=127.0.0.1 code=malformed"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("code=out_of_order"), std::string::npos) << log;
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
  EXPECT_NE(server_log().find("sync_closed user=wang device=- address=127.0.0.1"),
            std::string::npos)
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
  EXPECT_NE(server_log().find("ops_rejected user=wang device=dev-writer address=127.0.0.1 "
                              "batch=b1 count=1 first=dev-writer:1 report=430602-ybj/2024/final02 "
                              "reason=unit_forbidden"),
            std::string::npos)
      << server_log();

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
