#include "server/admin_store.h"

#include <gtest/gtest.h>

#include "server/credentials.h"

namespace budgetsync::server {
namespace {

class AdminStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The decoy an unknown user is checked against costs the real 600,000
    // iterations; these tests refuse unknown users many times, so skip its work.
    auto s = AdminStore::open(":memory:", [](std::string_view password, std::string_view stored) {
      return stored != decoy_password_hash() && verify_password(password, stored);
    });
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
  ASSERT_TRUE(s->session.has_value());
  EXPECT_EQ(s->session->token.size(), 64u);
  const std::string token = s->session->token;
  auto u = store_->authenticate(token, now_ + 1000);
  ASSERT_TRUE(u.ok());
  ASSERT_TRUE(u->has_value());
  EXPECT_EQ((*u)->user.unit, "411325-ybj");
  EXPECT_EQ((*u)->expires_ms, s->session->expires_ms);
  EXPECT_FALSE(store_->authenticate(token, s->session->expires_ms + 1)->has_value());  // expired
  EXPECT_EQ(*store_->revoke_tokens("wang"), 1);
  EXPECT_FALSE(store_->authenticate(token, now_ + 1000)->has_value());  // revoked
  EXPECT_FALSE(store_->authenticate("not-a-token", now_)->has_value());
}

TEST(Backoff, DoublesFromTheFirstDelayUpToTheCap) {
  const Backoff b{3, 1'000, 8'000};
  EXPECT_EQ(b.delay_ms(0), 0);
  EXPECT_EQ(b.delay_ms(3), 0);
  EXPECT_EQ(b.delay_ms(4), 1'000);
  EXPECT_EQ(b.delay_ms(5), 2'000);
  EXPECT_EQ(b.delay_ms(6), 4'000);
  EXPECT_EQ(b.delay_ms(7), 8'000);
  EXPECT_EQ(b.delay_ms(70), 8'000);
}

// Fails `n` logins of `user` from `address` at `at`, each refused as wrong.
void fail_logins(AdminStore& store, const std::string& user, const std::string& address, int n,
                 int64_t at) {
  for (int i = 0; i < n; ++i) {
    auto r = store.login(user, "wrong", address, at);
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_EQ(r->refusal, LoginRefusal::kWrongCredentials) << user << " at " << address << " #" << i;
  }
}

TEST_F(AdminStoreTest, WrongPasswordsBackOffThePairExponentiallyAndNeverLockTheAccount) {
  const int free = AdminStore::kPairBackoff.free_failures;
  fail_logins(*store_, "wang", "10.0.0.1", free + 1, now_);
  // Even the right password waits at that address, and is not counted.
  auto wait = store_->login("wang", "pw-wang", "10.0.0.1", now_ + 400);
  ASSERT_TRUE(wait.ok());
  EXPECT_EQ(wait->refusal, LoginRefusal::kBackingOff);
  EXPECT_EQ(wait->retry_after_ms, 600);
  // The attacker's failures keep doubling the wait: 1 s, 2 s, 4 s...
  int64_t t = now_ + 1000;
  fail_logins(*store_, "wang", "10.0.0.1", 1, t);
  EXPECT_EQ(store_->login("wang", "pw-wang", "10.0.0.1", t)->retry_after_ms, 2000);
  fail_logins(*store_, "wang", "10.0.0.1", 1, t += 2000);
  EXPECT_EQ(store_->login("wang", "pw-wang", "10.0.0.1", t)->retry_after_ms, 4000);
  // ...and cost wang nothing elsewhere: not a lockout of the account.
  auto elsewhere = store_->login("wang", "pw-wang", "10.0.0.2", t);
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_TRUE(elsewhere->session.has_value());
  // Once the wait is over, the right password works there too and clears it.
  auto after = store_->login("wang", "pw-wang", "10.0.0.1", t + 4000);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->session.has_value());
  fail_logins(*store_, "wang", "10.0.0.1", free, t + 4000);  // free again
}

TEST_F(AdminStoreTest, FailuresFromOneAddressSlowItDownWithoutLockingItsUsers) {
  // Five failures for other names no longer shut wang out of that address.
  for (int i = 0; i < 5; ++i) fail_logins(*store_, "nobody" + std::to_string(i), "192.0.2.7", 1, now_);
  auto s = store_->login("wang", "pw-wang", "192.0.2.7", now_);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->session.has_value());
  // Many more (a guesser at that address) make the address wait, doubling.
  const int more = AdminStore::kAddressBackoff.free_failures + 1 - 5;
  for (int i = 0; i < more; ++i) fail_logins(*store_, "guess" + std::to_string(i), "192.0.2.7", 1, now_);
  auto wait = store_->login("wang", "pw-wang", "192.0.2.7", now_);
  ASSERT_TRUE(wait.ok());
  EXPECT_EQ(wait->refusal, LoginRefusal::kBackingOff);
  EXPECT_EQ(wait->retry_after_ms, AdminStore::kAddressBackoff.first_delay_ms);
  EXPECT_TRUE(store_->login("wang", "pw-wang", "192.0.2.8", now_)->session.has_value());
  EXPECT_TRUE(store_->login("wang", "pw-wang", "192.0.2.7", now_ + 1000)->session.has_value());
  // Failures are forgotten once the latest is old enough.
  const int64_t later = now_ + AdminStore::kFailureMemoryMs + 1001;
  EXPECT_EQ(store_->login("nobody0", "x", "192.0.2.7", later)->refusal,
            LoginRefusal::kWrongCredentials);
  EXPECT_TRUE(store_->login("wang", "pw-wang", "192.0.2.7", later)->session.has_value());
}

// Counts password checks and remembers what they were checked against.
struct CountingVerifier {
  int calls = 0;
  std::string last_stored;
  PasswordVerifier verifier() {
    return [this](std::string_view password, std::string_view stored) {
      ++calls;
      last_stored = std::string(stored);
      return verify_password(password, stored);
    };
  }
};

TEST(AdminStoreLogin, AnUnknownOrDisabledUserCostsTheSameKdfWorkAsAWrongPassword) {
  CountingVerifier kdf;
  auto opened = AdminStore::open(":memory:", kdf.verifier());
  ASSERT_TRUE(opened.ok());
  AdminStore& store = **opened;
  ASSERT_TRUE(store.add_unit("u", "某单位", "").ok());
  const std::string hash = *hash_password("pw-wang", 1000);
  ASSERT_TRUE(store.add_user({"wang", Role::kStaff, "u", false}, hash).ok());
  ASSERT_TRUE(store.add_user({"li", Role::kStaff, "u", false}, hash).ok());
  ASSERT_TRUE(store.disable_user("li").ok());
  const int64_t now = 1'700'000'000'000;

  auto wrong = store.login("wang", "wrong", "10.0.0.1", now);
  EXPECT_EQ(wrong->refusal, LoginRefusal::kWrongCredentials);
  EXPECT_TRUE(wrong->known_user);
  EXPECT_EQ(kdf.calls, 1);
  EXPECT_EQ(kdf.last_stored, hash);

  auto unknown = store.login("nobody", "wrong", "10.0.0.2", now);
  EXPECT_EQ(unknown->refusal, LoginRefusal::kWrongCredentials);
  EXPECT_FALSE(unknown->known_user);
  EXPECT_EQ(kdf.calls, 2) << "an unknown user was refused without the KDF";
  // Against a decoy at the real cost, which nothing matches.
  EXPECT_EQ(kdf.last_stored, decoy_password_hash());
  EXPECT_EQ(kdf.last_stored.rfind("pbkdf2-sha256$" + std::to_string(kPbkdf2Iterations) + "$", 0),
            0u);

  auto disabled = store.login("li", "pw-wang", "10.0.0.3", now);
  EXPECT_EQ(disabled->refusal, LoginRefusal::kWrongCredentials);
  EXPECT_EQ(kdf.calls, 3) << "a disabled user was refused without the KDF";
}

TEST_F(AdminStoreTest, ADisabledUserCannotLogInAndLosesTokens) {
  auto s = store_->login("wang", "pw-wang", "127.0.0.1", now_);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->session.has_value());
  ASSERT_TRUE(store_->disable_user("wang").ok());
  EXPECT_FALSE(store_->authenticate(s->session->token, now_ + 1)->has_value());
  auto again = store_->login("wang", "pw-wang", "127.0.0.1", now_ + 2);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->refusal, LoginRefusal::kWrongCredentials);  // says nothing of which part
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
