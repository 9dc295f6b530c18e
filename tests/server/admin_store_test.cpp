#include "server/admin_store.h"

#include <gtest/gtest.h>

#include "server/credentials.h"

namespace budgetsync::server {
namespace {

class AdminStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = AdminStore::open(":memory:");
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
    ASSERT_TRUE(store_->add_unit("bureau", "某市医疗保障局", "").ok());
    ASSERT_TRUE(store_->add_unit("411325-ybj", "内乡县医疗保障局", "bureau").ok());
    ASSERT_TRUE(store_->add_unit("430602-ybj", "岳阳楼区医疗保障局", "").ok());
    ASSERT_TRUE(
        store_
            ->add_user({"wang", Role::kStaff, "411325-ybj", false}, *hash_password("pw-wang", 1000))
            .ok());
  }
  std::unique_ptr<AdminStore> store_;
  int64_t now_ = 1'700'000'000'000;
};

TEST_F(AdminStoreTest, UnitsFormATree) {
  EXPECT_TRUE(*store_->unit_within("411325-ybj", "bureau"));
  EXPECT_TRUE(*store_->unit_within("411325-ybj", "411325-ybj"));
  EXPECT_FALSE(*store_->unit_within("430602-ybj", "bureau"));
  EXPECT_FALSE(store_->add_unit("x", "x", "nowhere").ok());
  EXPECT_FALSE(store_->add_unit("bureau", "again", "").ok());
  EXPECT_FALSE(store_->add_unit("a/b", "bad", "").ok());
}

TEST_F(AdminStoreTest, LoginIssuesATokenThatAuthenticatesUntilRevoked) {
  auto s = store_->login("wang", "pw-wang", "127.0.0.1", now_);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->token.size(), 64u);
  auto u = store_->authenticate(s->token, now_ + 1000);
  ASSERT_TRUE(u.ok());
  ASSERT_TRUE(u->has_value());
  EXPECT_EQ((*u)->unit, "411325-ybj");
  EXPECT_FALSE(store_->authenticate(s->token, s->expires_ms + 1)->has_value());  // expired
  EXPECT_EQ(*store_->revoke_tokens("wang"), 1);
  EXPECT_FALSE(store_->authenticate(s->token, now_ + 1000)->has_value());  // revoked
  EXPECT_FALSE(store_->authenticate("not-a-token", now_)->has_value());
}

TEST_F(AdminStoreTest, WrongPasswordsAreThrottledPerUserAndPerAddress) {
  for (int i = 0; i < AdminStore::kMaxFailures; ++i) {
    auto s = store_->login("wang", "wrong", "10.0.0." + std::to_string(i), now_ + i);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().message(), "wrong user name or password");
  }
  // Even the right password is refused while the user is throttled.
  auto locked = store_->login("wang", "pw-wang", "127.0.0.1", now_ + 10);
  ASSERT_FALSE(locked.ok());
  EXPECT_NE(locked.status().message().find("too many failed logins"), std::string::npos);
  EXPECT_TRUE(
      store_->login("wang", "pw-wang", "127.0.0.1", now_ + AdminStore::kFailureWindowMs + 100)
          .ok());
  // One address guessing many user names is throttled too.
  for (int i = 0; i < AdminStore::kMaxFailures; ++i) {
    (void)store_->login("nobody" + std::to_string(i), "x", "192.0.2.7",
                        now_ + AdminStore::kFailureWindowMs + 200);
  }
  EXPECT_FALSE(
      store_->login("wang", "pw-wang", "192.0.2.7", now_ + AdminStore::kFailureWindowMs + 300)
          .ok());
}

TEST_F(AdminStoreTest, ADisabledUserCannotLogInAndLosesTokens) {
  auto s = store_->login("wang", "pw-wang", "127.0.0.1", now_);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(store_->disable_user("wang").ok());
  EXPECT_FALSE(store_->authenticate(s->token, now_ + 1)->has_value());
  auto again = store_->login("wang", "pw-wang", "127.0.0.1", now_ + 2);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().message(), "wrong user name or password");  // says nothing of which part
  EXPECT_FALSE(store_->disable_user("nobody").ok());
}

TEST_F(AdminStoreTest, UsersNeedAnExistingUnitAndAUniqueName) {
  EXPECT_FALSE(store_->add_user({"li", Role::kStaff, "nowhere", false}, "h").ok());
  EXPECT_FALSE(store_->add_user({"wang", Role::kStaff, "411325-ybj", false}, "h").ok());
  EXPECT_FALSE(parse_role("boss").ok());
  EXPECT_EQ(*parse_role("reviewer"), Role::kReviewer);
}

TEST_F(AdminStoreTest, DevicesAreRecordedWithFirstAndLastSeen) {
  EXPECT_TRUE(*store_->touch_device("dev-1", "wang", now_));
  EXPECT_TRUE(*store_->touch_device("dev-1", "wang", now_ + 5000));
  // Another user cannot take the device over: it stays wang's, unchanged.
  EXPECT_FALSE(*store_->touch_device("dev-1", "liu", now_ + 9000));
  auto d = store_->devices();
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ((*d)[0].user, "wang");
  EXPECT_EQ((*d)[0].first_seen_ms, now_);
  EXPECT_EQ((*d)[0].last_seen_ms, now_ + 5000);
}

TEST_F(AdminStoreTest, TheStoreHasAStableIdentity) {
  auto a = store_->identity();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first.size(), 32u);
  EXPECT_EQ(a->second, 1);
  EXPECT_EQ(*store_->identity(), *a);
}

}  // namespace
}  // namespace budgetsync::server
