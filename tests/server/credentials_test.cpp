#include "server/credentials.h"

#include <gtest/gtest.h>

namespace budgetsync::server {
namespace {

TEST(Passwords, HashAndVerify) {
  auto h = hash_password("正确的密码-123", 1000);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->rfind("pbkdf2-sha256$1000$", 0), 0u);
  EXPECT_TRUE(verify_password("正确的密码-123", *h));
  EXPECT_FALSE(verify_password("正确的密码-124", *h));
  EXPECT_FALSE(verify_password("", *h));
  // Salted: the same password never hashes the same way twice.
  EXPECT_NE(*hash_password("正确的密码-123", 1000), *h);
}

TEST(Passwords, TheDefaultIsOwaspsCountForPbkdf2Sha256) {
  EXPECT_EQ(kPbkdf2Iterations, 600'000);
  auto h = hash_password("x", kPbkdf2Iterations);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->rfind("pbkdf2-sha256$600000$", 0), 0u);
  EXPECT_TRUE(verify_password("x", *h));
}

TEST(Passwords, MalformedStoredValuesNeverMatch) {
  for (const char* stored :
       {"", "plain", "pbkdf2-sha256$", "pbkdf2-sha256$abc$00$00", "pbkdf2-sha256$10$zz$00",
        "pbkdf2-sha256$10$00$0011", "sha1$10$00$00"}) {
    EXPECT_FALSE(verify_password("x", stored)) << stored;
  }
  EXPECT_FALSE(hash_password("", 10).ok());
}

TEST(Tokens, AreRandomAndStoredOnlyAsDigests) {
  auto a = new_token();
  auto b = new_token();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 64u);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(token_digest(*a), token_digest(*a));
  EXPECT_NE(token_digest(*a), token_digest(*b));
  EXPECT_EQ(token_digest(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace budgetsync::server
