// A SyncService over in-memory stores with a small unit tree: bureau with
// 411325-ybj below it, and 430602-ybj on its own; staff wang (411325-ybj) and
// li (430602-ybj), reviewer zhao (bureau). Password "password" for everyone.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "server/credentials.h"
#include "server/sqlite_store.h"
#include "server/sync_service.h"

namespace budgetsync::server::testing {

class SyncServiceFixture : public ::testing::Test {
 protected:
  // Without a catalog the server checks review states and snapshots only.
  virtual const Catalog* catalog() { return nullptr; }

  void SetUp() override {
    auto a = AdminStore::open(":memory:");
    ASSERT_TRUE(a.ok()) << a.status().message();
    admin_ = std::move(*a);
    auto s = SqliteServerStore::open(":memory:");
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
    ASSERT_TRUE(admin_->add_unit("bureau", "某市医疗保障局", "").ok());
    ASSERT_TRUE(admin_->add_unit("411325-ybj", "内乡县医疗保障局", "bureau").ok());
    ASSERT_TRUE(admin_->add_unit("430602-ybj", "岳阳楼区医疗保障局", "").ok());
    add_user("wang", Role::kStaff, "411325-ybj");
    add_user("li", Role::kStaff, "430602-ybj");
    add_user("zhao", Role::kReviewer, "bureau");
    SyncOptions options;
    options.rate_burst = 20;
    options.rate_per_second = 10;
    options.catalog = catalog();
    service_ = std::make_unique<SyncService>(*admin_, *store_, clock_, options);
  }

  void add_user(const std::string& name, Role role, const std::string& unit) {
    ASSERT_TRUE(admin_->add_user({name, role, unit, false}, *hash_password("password", 1000)).ok());
  }

  SyncPeer peer(const std::string& user) {
    auto login = admin_->login(user, "password", "127.0.0.1", clock_.now_ms());
    EXPECT_TRUE(login.ok() && login->session) << login.status().message();
    const Session& session = *login->session;
    SyncPeer p;
    p.token = session.token;
    p.user = session.user;
    p.expires_ms = session.expires_ms;
    p.address = "127.0.0.1";
    return p;
  }

  sync::Welcome hello(SyncPeer& p, const std::string& device, sync::Hello h = {}) {
    h.device = device;
    auto r = service_->handle(p, h);
    EXPECT_EQ(r.messages.size(), 1u);
    const auto* w = std::get_if<sync::Welcome>(&r.messages.at(0));
    EXPECT_NE(w, nullptr) << sync::message_type(r.messages.at(0));
    return w ? *w : sync::Welcome{};
  }

  sync::Operation edit(const std::string& device, int64_t counter, const std::string& author,
                       const std::string& unit, const std::string& value) {
    sync::Operation op;
    op.id = {device, counter};
    op.hlc = {clock_.now_ms(), 0};
    op.author = author;
    op.report = *ReportKey::parse(unit + "/2024/final01");
    op.row = "r1";
    op.column = "amount";
    op.value = value;
    return op;
  }

  std::vector<sync::LogEntry> push(SyncPeer& p, std::vector<sync::Operation> ops) {
    auto r = service_->handle(p, sync::Push{"b1", std::move(ops)});
    EXPECT_EQ(r.messages.size(), 1u);
    const auto* pr = std::get_if<sync::PushResult>(&r.messages.at(0));
    EXPECT_NE(pr, nullptr) << sync::message_type(r.messages.at(0));
    return pr ? pr->results : std::vector<sync::LogEntry>{};
  }

  sync::PullResult pull(SyncPeer& p, int64_t cursor = 0) {
    auto r = service_->handle(p, sync::Pull{cursor, 1000});
    const auto* pr = std::get_if<sync::PullResult>(&r.messages.at(0));
    EXPECT_NE(pr, nullptr) << sync::message_type(r.messages.at(0));
    return pr ? *pr : sync::PullResult{};
  }

  static std::string error_code(const SyncService::Reply& r) {
    if (r.messages.size() != 1) return "(not one message)";
    const auto* e = std::get_if<sync::ErrorMessage>(&r.messages[0]);
    return e ? e->code : std::string(sync::message_type(r.messages[0]));
  }

  sync::FakeClock clock_;
  std::unique_ptr<AdminStore> admin_;
  std::unique_ptr<SqliteServerStore> store_;
  std::unique_ptr<SyncService> service_;
};

}  // namespace budgetsync::server::testing
