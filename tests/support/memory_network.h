// Real client sessions (sync::ClientSession over real replicas) and the real
// server's SyncService in one process, joined by an in-memory network instead
// of sockets: every message is encoded to a frame and decoded again, as on the
// wire, and pushes notify the other connections as the HTTPS server does
// (with their new entries when few). A fault plan drops, duplicates or cuts
// the n-th frame (both directions counted). Deterministic: pump() delivers in
// a fixed order, and time is the test's FakeClock.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "server/admin_store.h"
#include "server/credentials.h"
#include "server/sqlite_store.h"
#include "server/sync_service.h"
#include "sync/client_session.h"

namespace budgetsync::testing {

class MemoryNetwork {
 public:
  enum class Fault { kDrop, kDuplicate, kCut };

  // One connection: a client session and the server's peer state.
  struct Link {
    server::SyncPeer peer;
    std::unique_ptr<sync::ClientSession> session;
    std::deque<std::string> to_server, to_client;
    bool open = true;
    bool timed_out = false;  // an answer was owed and nothing was in flight
    int pulls = 0;           // pull requests the server received on it
  };

  // A server with units 411325-ybj (under bureau) and 430602-ybj, their staff
  // wang, zhang (411325-ybj) and li (430602-ybj), reviewer zhao (bureau).
  MemoryNetwork(sync::ClockSource& clock, sync::Encoding encoding = sync::Encoding::kJson)
      : clock_(clock), encoding_(encoding) {
    admin_ = server::AdminStore::open(":memory:").value();
    store_ = server::SqliteServerStore::open(":memory:").value();
    (void)admin_->add_unit("bureau", "某市医疗保障局", "");
    (void)admin_->add_unit("411325-ybj", "内乡县医疗保障局", "bureau");
    (void)admin_->add_unit("430602-ybj", "岳阳楼区医疗保障局", "");
    const auto hash = *server::hash_password("password", 1000);
    for (auto [name, role, unit] : {std::tuple{"wang", server::Role::kStaff, "411325-ybj"},
                                    std::tuple{"zhang", server::Role::kStaff, "411325-ybj"},
                                    std::tuple{"li", server::Role::kStaff, "430602-ybj"},
                                    std::tuple{"zhao", server::Role::kReviewer, "bureau"}}) {
      (void)admin_->add_user({name, role, unit, false}, hash);
    }
    server::SyncOptions options;
    options.rate_burst = 1'000'000;  // the pump sends as fast as it can
    options.rate_per_second = 1'000'000;
    service_ = std::make_unique<server::SyncService>(*admin_, *store_, clock_, options);
  }

  server::SqliteServerStore& store() { return *store_; }
  server::AdminStore& admin() { return *admin_; }

  // Opens a connection for `user` and starts a session on it (its hello is
  // in flight).
  Link& connect(const std::string& user, sync::ClientStore& client, sync::SessionOptions options,
                sync::SyncTally carried = {}) {
    auto link = std::make_unique<Link>();
    auto login = admin_->login(user, "password", "127.0.0.1", clock_.now_ms());
    link->peer.token = login->session->token;
    link->peer.user = login->session->user;
    link->peer.expires_ms = login->session->expires_ms;
    link->peer.address = "127.0.0.1";
    Link* raw = link.get();
    link->session = std::make_unique<sync::ClientSession>(
        client, options,
        [this, raw](const sync::Message& m) {
          raw->to_server.push_back(sync::encode(m, encoding_));
        },
        carried);
    links_.push_back(std::move(link));
    raw->session->start();
    return *raw;
  }

  void close(Link& link) {
    link.open = false;
    link.to_server.clear();
    link.to_client.clear();
  }

  // From now on the n-th frame (n >= 1) gets `fault`; fires once.
  void arm(Fault fault, int64_t n) {
    fault_ = fault;
    fault_at_ = n;
    frames_ = 0;
    fired_ = false;
  }
  bool fired() const { return fired_; }

  // Delivers frames until none is in flight on any open link. A link whose
  // session owes nothing is polled (a watching session pushes local edits);
  // one that is owed an answer with nothing in flight has timed out and is
  // closed, as the transport's reply timeout would.
  void pump() {
    for (bool moved = true; moved;) {
      moved = false;
      for (size_t i = 0; i < links_.size(); ++i) {
        Link& link = *links_[i];
        if (!link.open) continue;
        if (!link.to_server.empty()) {
          std::string frame = std::move(link.to_server.front());
          link.to_server.pop_front();
          moved = true;
          for (const auto& f : faulted(link, std::move(frame))) to_server(link, f);
        } else if (!link.to_client.empty()) {
          std::string frame = std::move(link.to_client.front());
          link.to_client.pop_front();
          moved = true;
          for (const auto& f : faulted(link, std::move(frame))) to_client(link, f);
        }
        if (!link.open) continue;
        if (link.session->ended()) {
          close(link);
        } else if (link.to_server.empty() && link.to_client.empty()) {
          if (link.session->awaiting_reply()) {
            link.timed_out = true;
            close(link);
          } else {
            link.session->poll();
            moved = moved || !link.to_server.empty();
          }
        }
      }
    }
  }

 private:
  std::vector<std::string> faulted(Link& link, std::string frame) {
    if (fired_ || fault_at_ == 0 || ++frames_ != fault_at_) return {std::move(frame)};
    fired_ = true;
    switch (fault_) {
      case Fault::kDrop:
        return {};
      case Fault::kDuplicate:
        return {frame, frame};
      case Fault::kCut:
        close(link);
        return {};
    }
    return {};
  }

  void to_server(Link& link, const std::string& frame) {
    if (!link.open) return;
    auto decoded = sync::decode(frame, encoding_, service_->options().limits);
    if (decoded.ok() && std::holds_alternative<sync::Pull>(*decoded)) ++link.pulls;
    server::SyncService::Reply reply = decoded.ok()
                                           ? service_->handle(link.peer, *decoded)
                                           : service_->refuse_frame(link.peer, decoded.status());
    for (const auto& m : reply.messages) link.to_client.push_back(sync::encode(m, encoding_));
    if (!reply.changed_units.empty()) {
      for (auto& other : links_) {
        if (other.get() == &link || !other->open || !other->peer.welcomed) continue;
        bool reads = false;
        for (const auto& u : reply.changed_units) reads = reads || other->peer.units.count(u) > 0;
        if (!reads) continue;
        sync::Notify n;
        n.last_seq = reply.last_seq;
        if (!reply.live_entries.empty()) {
          n.from = reply.from;
          for (const auto& e : reply.live_entries)
            if (other->peer.units.count(e.op.report.unit) > 0) n.entries.push_back(e);
        }
        other->to_client.push_back(sync::encode(n, encoding_));
      }
    }
    if (reply.close) close(link);
  }

  void to_client(Link& link, const std::string& frame) {
    if (!link.open) return;
    sync::Limits limits;  // the client's: a page may be large
    limits.max_frame_bytes = 256 * 1024 * 1024;
    limits.max_batch_ops = limits.max_pull_entries = 1'000'000;
    auto decoded = sync::decode(frame, encoding_, limits);
    if (!decoded.ok()) {
      close(link);
      return;
    }
    link.session->receive(*decoded);
  }

  sync::ClockSource& clock_;
  sync::Encoding encoding_;
  std::unique_ptr<server::AdminStore> admin_;
  std::unique_ptr<server::SqliteServerStore> store_;
  std::unique_ptr<server::SyncService> service_;
  std::vector<std::unique_ptr<Link>> links_;
  Fault fault_ = Fault::kDrop;
  int64_t fault_at_ = 0, frames_ = 0;
  bool fired_ = false;
};

}  // namespace budgetsync::testing
