// The server side of the sync protocol without sockets: authorization of every
// operation and pull, ordering, revoked tokens, scope changes, rate limits.
#include "server/sync_service.h"

#include <gtest/gtest.h>

#include "sync_service_fixture.h"

namespace budgetsync::server {
namespace {

using sync::Message;
using SyncServiceTest = testing::SyncServiceFixture;

TEST_F(SyncServiceTest, StaffWriteTheirOwnUnitAndNoOther) {
  SyncPeer wang = peer("wang");
  hello(wang, "dev-wang");
  auto results = push(wang, {edit("dev-wang", 1, "wang", "411325-ybj", "12.50"),
                             edit("dev-wang", 2, "wang", "430602-ybj", "99.00")});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].outcome, sync::Outcome::kApplied);
  EXPECT_EQ(results[0].seq, 1);
  EXPECT_EQ(results[1].outcome, sync::Outcome::kRejected);
  EXPECT_EQ(results[1].seq, 0);
  EXPECT_EQ(results[1].reason.rfind("unit_forbidden:", 0), 0u) << results[1].reason;
  // The refused edit changed nothing: the other unit's cell was never written.
  EXPECT_FALSE(store_->cell(*ReportKey::parse("430602-ybj/2024/final01"), "r1", "amount")
                   ->value.has_value());
  EXPECT_EQ(*store_->last_seq(), 1);
}

TEST_F(SyncServiceTest, ReviewersReadTheirSubtreeButWriteNoCells) {
  SyncPeer wang = peer("wang"), li = peer("li"), zhao = peer("zhao");
  hello(wang, "dev-wang");
  hello(li, "dev-li");
  hello(zhao, "dev-zhao");
  push(wang, {edit("dev-wang", 1, "wang", "411325-ybj", "1.00")});
  push(li, {edit("dev-li", 1, "li", "430602-ybj", "2.00")});
  auto refused = push(zhao, {edit("dev-zhao", 1, "zhao", "411325-ybj", "3.00")});
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].outcome, sync::Outcome::kRejected);
  EXPECT_EQ(refused[0].reason.rfind("read_only:", 0), 0u) << refused[0].reason;

  // The reviewer of the bureau sees 内乡 (below it), not 岳阳楼区.
  auto seen = pull(zhao);
  ASSERT_EQ(seen.entries.size(), 1u);
  EXPECT_EQ(seen.entries[0].op.report.unit, "411325-ybj");
  EXPECT_EQ(seen.cursor, 2);
  // Staff of one unit never see another unit's cells.
  auto li_sees = pull(li);
  ASSERT_EQ(li_sees.entries.size(), 1u);
  EXPECT_EQ(li_sees.entries[0].op.report.unit, "430602-ybj");
}

TEST_F(SyncServiceTest, OperationsMustComeFromTheConnectedDeviceAndUser) {
  SyncPeer wang = peer("wang");
  hello(wang, "dev-wang");
  auto results = push(wang, {edit("dev-other", 1, "wang", "411325-ybj", "1.00"),
                             edit("dev-wang", 2, "li", "411325-ybj", "1.00")});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].reason.rfind("device_mismatch:", 0), 0u) << results[0].reason;
  EXPECT_EQ(results[1].reason.rfind("author_mismatch:", 0), 0u) << results[1].reason;
  EXPECT_EQ(*store_->last_seq(), 0);
}

TEST_F(SyncServiceTest, MessagesBeforeHelloAreOutOfOrderAndTheConnectionStaysUsable) {
  SyncPeer wang = peer("wang");
  EXPECT_EQ(error_code(service_->handle(wang, sync::Pull{0, 10})), "out_of_order");
  EXPECT_EQ(error_code(service_->handle(
                wang, sync::Push{"b", {edit("dev-wang", 1, "wang", "411325-ybj", "1")}})),
            "out_of_order");
  EXPECT_EQ(*store_->last_seq(), 0);
  hello(wang, "dev-wang");
  EXPECT_EQ(push(wang, {edit("dev-wang", 1, "wang", "411325-ybj", "1")}).at(0).outcome,
            sync::Outcome::kApplied);
  // Messages only a server sends are refused too.
  EXPECT_EQ(error_code(service_->handle(wang, sync::Notify{5, std::nullopt, {}})), "out_of_order");
  EXPECT_EQ(error_code(service_->handle(wang, sync::Welcome{})), "out_of_order");
}

TEST_F(SyncServiceTest, ABadDeviceIdIsRefused) {
  SyncPeer wang = peer("wang");
  sync::Hello h;
  h.device = "../../etc";
  EXPECT_EQ(error_code(service_->handle(wang, h)), "malformed");
  EXPECT_FALSE(wang.welcomed);
}

TEST_F(SyncServiceTest, ARevokedTokenEndsTheConnectionsRights) {
  SyncPeer wang = peer("wang");
  hello(wang, "dev-wang");
  ASSERT_EQ(*admin_->revoke_tokens("wang"), 1);
  auto r =
      service_->handle(wang, sync::Push{"b", {edit("dev-wang", 1, "wang", "411325-ybj", "1.00")}});
  EXPECT_EQ(error_code(r), "unauthorized");
  EXPECT_TRUE(r.close);
  EXPECT_EQ(*store_->last_seq(), 0);
}

TEST_F(SyncServiceTest, AnExpiredTokenEndsTheConnectionsRights) {
  SyncPeer wang = peer("wang");
  hello(wang, "dev-wang");
  clock_.advance(AdminStore::kTokenLifetimeMs + 1);
  auto r = service_->handle(wang, sync::Pull{0, 10});
  EXPECT_EQ(error_code(r), "unauthorized");
  EXPECT_TRUE(r.close);
}

TEST_F(SyncServiceTest, TheWelcomeSaysWhenTheCursorCannotBeHonoured) {
  SyncPeer zhao = peer("zhao");
  sync::Welcome first = hello(zhao, "dev-zhao");
  EXPECT_TRUE(first.cursor_valid);
  EXPECT_FALSE(first.store_id.empty());

  sync::Hello same;
  same.store_id = first.store_id;
  same.epoch = first.epoch;
  same.scope = first.scope;
  EXPECT_TRUE(hello(zhao, "dev-zhao", same).cursor_valid);

  sync::Hello other_store = same;
  other_store.store_id = "some-other-store";
  EXPECT_FALSE(hello(zhao, "dev-zhao", other_store).cursor_valid);

  sync::Hello ahead = same;
  ahead.cursor = 50;  // beyond the log: a restored server
  EXPECT_FALSE(hello(zhao, "dev-zhao", ahead).cursor_valid);

  // A unit moved under the bureau: the reviewer's old cursor skipped its history.
  ASSERT_TRUE(admin_->add_unit("411300-ybj", "南阳市医疗保障局", "bureau").ok());
  sync::Welcome widened = hello(zhao, "dev-zhao", same);
  EXPECT_FALSE(widened.cursor_valid);
  EXPECT_NE(widened.scope, first.scope);
}

TEST_F(SyncServiceTest, PushesReportWhichUnitsChangedForNotifications) {
  SyncPeer wang = peer("wang");
  hello(wang, "dev-wang");
  auto r = service_->handle(wang, sync::Push{"b",
                                             {edit("dev-wang", 1, "wang", "411325-ybj", "1.00"),
                                              edit("dev-wang", 2, "wang", "430602-ybj", "1.00")}});
  EXPECT_EQ(r.changed_units, (std::set<std::string>{"411325-ybj"}));
  EXPECT_EQ(r.last_seq, 1);
  // The logged entry goes with the notify; the refused one is in no log.
  EXPECT_EQ(r.from, 0);
  ASSERT_EQ(r.live_entries.size(), 1u);
  EXPECT_EQ(r.live_entries[0].op.id.counter, 1);
}

TEST_F(SyncServiceTest, OnlyNewEntriesAndOnlySmallPushesTravelWithTheNotify) {
  SyncPeer wang = peer("wang");
  hello(wang, "dev-wang");
  push(wang, {edit("dev-wang", 1, "wang", "411325-ybj", "1.00")});
  // A resent operation already logged is not news.
  auto again =
      service_->handle(wang, sync::Push{"b",
                                        {edit("dev-wang", 1, "wang", "411325-ybj", "1.00"),
                                         edit("dev-wang", 2, "wang", "411325-ybj", "2.00")}});
  EXPECT_EQ(again.from, 1);
  EXPECT_EQ(again.last_seq, 2);
  ASSERT_EQ(again.live_entries.size(), 1u);
  EXPECT_EQ(again.live_entries[0].op.id.counter, 2);

  // A push bigger than the live limit only notifies: devices pull it.
  std::vector<sync::Operation> many;
  for (int64_t i = 0; i <= static_cast<int64_t>(SyncOptions{}.max_live_entries); ++i) {
    auto op = edit("dev-wang", 3 + i, "wang", "411325-ybj", std::to_string(i));
    op.row = "r" + std::to_string(i + 2);
    many.push_back(op);
  }
  auto big = service_->handle(wang, sync::Push{"big", many});
  EXPECT_EQ(big.last_seq, 2 + static_cast<int64_t>(many.size()));
  EXPECT_TRUE(big.live_entries.empty());
  EXPECT_EQ(big.changed_units, (std::set<std::string>{"411325-ybj"}));
}

TEST_F(SyncServiceTest, AFloodOfMessagesIsRateLimitedThenServedAgain) {
  SyncPeer wang = peer("wang");
  hello(wang, "dev-wang");  // one token of the burst of 20
  int served = 0, limited = 0;
  for (int i = 0; i < 30; ++i) {
    auto code = error_code(service_->handle(wang, sync::Pull{0, 10}));
    if (code == "pull_result") ++served;
    if (code == "rate_limited") ++limited;
  }
  EXPECT_EQ(served, 19);
  EXPECT_EQ(limited, 11);
  clock_.advance(1000);  // ten more a second
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(error_code(service_->handle(wang, sync::Pull{0, 10})), "pull_result");
  EXPECT_EQ(error_code(service_->handle(wang, sync::Pull{0, 10})), "rate_limited");
}

TEST_F(SyncServiceTest, UndecodableFramesGetTheirCode) {
  SyncPeer wang = peer("wang");
  auto bad = sync::decode("{not json", sync::Encoding::kJson);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(error_code(service_->refuse_frame(wang, bad.status())), "malformed");
  auto old = sync::decode(R"({"v": 99, "type": "hello"})", sync::Encoding::kJson);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(error_code(service_->refuse_frame(wang, old.status())), "unsupported_version");
}

TEST_F(SyncServiceTest, MetricsCountOutcomesAndLatencies) {
  SyncPeer wang = peer("wang");
  hello(wang, "dev-wang");
  push(wang, {edit("dev-wang", 1, "wang", "411325-ybj", "1.00"),
              edit("dev-wang", 2, "wang", "430602-ybj", "1.00")});
  // The same edit sent again (a lost answer) is a resend, not a second edit.
  push(wang, {edit("dev-wang", 1, "wang", "411325-ybj", "1.00")});
  push(wang, {edit("dev-wang", 1, "wang", "411325-ybj", "1.00")});
  pull(wang);
  const std::string text = service_->metrics_text();
  EXPECT_NE(text.find("budgetsync_ops_total{outcome=\"applied\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("budgetsync_ops_total{outcome=\"rejected\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("budgetsync_ops_total{outcome=\"resent\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("budgetsync_push_seconds_count 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("budgetsync_pull_seconds_count 1\n"), std::string::npos);
  EXPECT_NE(text.find("budgetsync_push_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
}

}  // namespace
}  // namespace budgetsync::server
