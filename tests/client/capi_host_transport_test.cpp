// libbudgetsync over the host's own socket (bs_sync_start_with_transport): the
// "socket" here hands frames to the real server's SyncService in this process,
// as an app's WebSocket would carry them. Two replicas stay in sync through it;
// a network that goes away is retried by the library, and the host's word that
// it is back (bs_network_changed) connects at once instead of after the
// backoff.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../support/processes.h"
#include "budgetsync.h"
#include "server/admin_store.h"
#include "server/credentials.h"
#include "server/sqlite_store.h"
#include "server/sync_service.h"

namespace budgetsync::testing {
namespace {

constexpr const char* kReport = "411325-ybj/2024/final02";

// The server end of every host socket, and the sockets themselves.
class HostServer {
 public:
  struct Link {
    HostServer* server = nullptr;
    bs_replica* replica = nullptr;
    std::string user;
    server::SyncPeer peer;
    uint64_t connection = 0;  // the connection open now (0: none)
    bool open = false;
    std::atomic<int> opens{0};
    std::atomic<int64_t> last_open_ms{0};
  };

  HostServer() {
    admin_ = server::AdminStore::open(":memory:").value();
    store_ = server::SqliteServerStore::open(":memory:").value();
    EXPECT_TRUE(admin_->add_unit("411325-ybj", "内乡县医疗保障局", "").ok());
    const auto hash = *server::hash_password("password", 1000);
    for (const char* user : {"wang", "zhang"})
      EXPECT_TRUE(admin_->add_user({user, server::Role::kStaff, "411325-ybj", false}, hash).ok());
    service_ = std::make_unique<server::SyncService>(*admin_, *store_, clock_);
  }

  Link& link(bs_replica* replica, const std::string& user) {
    links_.push_back(std::make_unique<Link>());
    Link& l = *links_.back();
    l.server = this;
    l.replica = replica;
    l.user = user;
    return l;
  }

  bs_transport transport(Link& l) {
    return {&l, &HostServer::on_open, &HostServer::on_send, &HostServer::on_close};
  }

  // While set, a connection cannot be made (no network).
  std::atomic<bool> unreachable{false};

  // The server drops a link (its network went away).
  void drop(Link& l) {
    uint64_t connection = 0;
    {
      std::lock_guard lock(mutex_);
      l.open = false;
      connection = l.connection;
    }
    bs_transport_closed(l.replica, connection, true);
    // A close reported again, late, for the same connection changes nothing.
    bs_transport_closed(l.replica, connection, true);
  }

 private:
  static int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  static void on_open(void* context, unsigned long long connection) {
    auto& l = *static_cast<Link*>(context);
    ++l.opens;
    l.last_open_ms = now_ms();
    if (l.server->unreachable) {
      bs_transport_closed(l.replica, connection, true);
      return;
    }
    {
      std::lock_guard lock(l.server->mutex_);
      auto login =
          l.server->admin_->login(l.user, "password", "127.0.0.1", l.server->clock_.now_ms());
      l.peer = {};
      l.peer.token = login->session->token;
      l.peer.user = login->session->user;
      l.peer.expires_ms = login->session->expires_ms;
      l.open = true;
      l.connection = connection;
    }
    bs_transport_opened(l.replica, connection);
  }

  struct Delivery {
    bs_replica* replica;
    uint64_t connection;
    std::string bytes;
  };

  static void on_send(void* context, unsigned long long connection, const char* frame,
                      size_t size) {
    auto& l = *static_cast<Link*>(context);
    HostServer& s = *l.server;
    std::vector<Delivery> deliveries;
    {
      std::lock_guard lock(s.mutex_);
      if (!l.open || connection != l.connection) return;
      auto m = sync::decode(std::string_view(frame, size));
      if (!m.ok()) return;
      auto reply = s.service_->handle(l.peer, *m);
      for (const auto& out : reply.messages)
        deliveries.push_back({l.replica, l.connection, sync::encode(out)});
      if (!reply.changed_units.empty()) {
        for (auto& other : s.links_) {
          if (other.get() == &l || !other->open || !other->peer.welcomed) continue;
          sync::Notify n;
          n.last_seq = reply.last_seq;
          if (!reply.live_entries.empty()) {
            n.from = reply.from;
            n.entries = reply.live_entries;
          }
          deliveries.push_back({other->replica, other->connection, sync::encode(n)});
        }
      }
    }
    for (const auto& d : deliveries)
      bs_transport_received(d.replica, d.connection, d.bytes.data(), d.bytes.size());
  }

  static void on_close(void* context, unsigned long long connection) {
    auto& l = *static_cast<Link*>(context);
    std::lock_guard lock(l.server->mutex_);
    if (connection == l.connection) l.open = false;
  }

  std::mutex mutex_;
  sync::FakeClock clock_;
  std::unique_ptr<server::AdminStore> admin_;
  std::unique_ptr<server::SqliteServerStore> store_;
  std::unique_ptr<server::SyncService> service_;
  std::vector<std::unique_ptr<Link>> links_;
};

std::string take(char* s) {
  std::string out = s ? s : "";
  bs_string_free(s);
  return out;
}

// A new replica of 内乡县医疗保障局 for `user` in `dir`.
bs_replica* create(const TempDir& dir, const char* file, const char* user) {
  bs_error e{};
  bs_replica* r = bs_replica_create((dir.path() / file).c_str(), data_dir().c_str(), "411325-ybj",
                                    "内乡县医疗保障局", user, &e);
  EXPECT_NE(r, nullptr) << e.message;
  return r;
}

TEST(CApiHostTransport, TwoReplicasKeepInSyncThroughTheHostsSocketAndReconnectWhenTold) {
  TempDir dir;
  HostServer server;
  bs_error e{};
  bs_replica* a = create(dir, "a.db", "wang");
  bs_replica* b = create(dir, "b.db", "zhang");
  ASSERT_TRUE(a && b);
  const std::string file = (seed_folder("003_") / "final02.json").string();
  const char* files[] = {file.c_str()};
  ASSERT_TRUE(bs_import_files(a, files, 1, &e)) << e.message;

  auto& on_a = server.link(a, "wang");
  auto& on_b = server.link(b, "zhang");
  const bs_transport ta = server.transport(on_a), tb = server.transport(on_b);
  ASSERT_TRUE(bs_sync_start_with_transport(a, &ta, &e)) << e.message;
  ASSERT_TRUE(bs_sync_start_with_transport(b, &tb, &e)) << e.message;
  auto b_shows = [&](const char* value) {
    const std::string report = take(bs_report(b, kReport, nullptr));
    const size_t row = report.find("\"key\": \"2101505\"");
    return row != std::string::npos && report.find(std::string("\"total\": \"") + value + "\"",
                                                   row) < report.find("\"key\"", row + 10);
  };
  ASSERT_TRUE(wait_until([&] { return b_shows("15.00"); })) << take(bs_status(b, nullptr));

  // An edit on a reaches b through a's push and b's notify.
  ASSERT_TRUE(bs_set_cell(a, kReport, "2101505", "total", "42.00", &e)) << e.message;
  ASSERT_TRUE(wait_until([&] { return b_shows("42.00"); })) << take(bs_status(b, nullptr));

  // b's network goes away; the library retries by itself, ever more slowly.
  server.unreachable = true;
  server.drop(on_b);
  const int before = on_b.opens;
  ASSERT_TRUE(wait_until([&] { return on_b.opens >= before + 4; }, 20'000));
  const int64_t refused_at = on_b.last_open_ms;  // the next try is 2 s or more after it
  ASSERT_TRUE(bs_set_cell(a, kReport, "2101505", "total", "43.00", &e)) << e.message;

  // The host says the network is back: b connects at once and catches up.
  server.unreachable = false;
  const int tries = on_b.opens;
  bs_network_changed(b, true);
  ASSERT_TRUE(wait_until([&] { return b_shows("43.00"); })) << take(bs_status(b, nullptr));
  EXPECT_EQ(on_b.opens, tries + 1);
  EXPECT_LT(on_b.last_open_ms - refused_at, 2'000) << "connected only after the backoff";

  bs_sync_stop(a);
  bs_sync_stop(b);
  const std::string status = take(bs_status(a, &e));
  EXPECT_NE(status.find("\"pending_ops\":0"), std::string::npos) << status;
  bs_replica_close(a);
  bs_replica_close(b);
}

// A listener that stops the sync from the sync thread itself only asks it to
// stop; the next start waits for the old thread and runs a new sync.
TEST(CApiHostTransport, ASyncStoppedFromItsOwnListenerEndsAndCanStartAgain) {
  TempDir dir;
  HostServer server;
  bs_error e{};
  bs_replica* a = create(dir, "a.db", "wang");
  ASSERT_NE(a, nullptr);
  struct Stopper {
    bs_replica* replica;
    std::atomic<int> stops{0};
  } stopper{a};
  bs_set_change_listener(
      a,
      [](void* context, int changes) {
        auto* s = static_cast<Stopper*>(context);
        if ((changes & BS_CHANGED_SYNC) && s->stops++ == 0) bs_sync_stop(s->replica);
      },
      &stopper);
  auto& link = server.link(a, "wang");
  const bs_transport t = server.transport(link);
  ASSERT_TRUE(bs_sync_start_with_transport(a, &t, &e)) << e.message;
  ASSERT_TRUE(wait_until([&] { return stopper.stops > 0; }));
  bs_set_change_listener(a, nullptr, nullptr);
  ASSERT_TRUE(bs_sync_start_with_transport(a, &t, &e)) << e.message;
  ASSERT_TRUE(wait_until([&] {
    return take(bs_status(a, nullptr)).find("\"online\":true") != std::string::npos;
  })) << take(bs_status(a, nullptr));
  bs_replica_close(a);
}

}  // namespace
}  // namespace budgetsync::testing
