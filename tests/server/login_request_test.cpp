#include "server/login_request.h"

#include <gtest/gtest.h>

namespace budgetsync::server {
namespace {

TEST(LoginRequest, ReadsTheUserAndThePassword) {
  auto r = parse_login_request(R"({"user": "王会计", "password": "s3cret", "device": "x"})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->user, "王会计");
  EXPECT_EQ(r->password, "s3cret");
}

TEST(LoginRequest, RefusesAnythingElseWithoutThrowing) {
  for (const char* body : {"", "[]", "null", R"({"user": "a"})", R"({"password": "p"})",
                           R"({"user": 1, "password": "p"})", R"({"user": "a", "password": null})",
                           R"({"user": "a", "password": "p")", R"({"user":1e999,"password":"p"})"}) {
    EXPECT_FALSE(parse_login_request(body).has_value()) << body;
  }
}

}  // namespace
}  // namespace budgetsync::server
