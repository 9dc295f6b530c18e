// /api/login of the real HttpsServer in this process, with a fake clock and a
// password check the test holds: the KDF runs off the I/O thread, and failed
// logins back off per (user, address) instead of locking the account.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "../client/test_support.h"
#include "../support/in_process_server.h"
#include "https_client.h"
#include "server/credentials.h"

namespace budgetsync::testing {
namespace {

using server::AdminStore;
using server::Role;

// A password check that can be held: while closed, every check waits until
// open() (or the test's end); `entered` is told of the first one.
class HeldVerifier {
 public:
  server::PasswordVerifier verifier() {
    return [this](std::string_view password, std::string_view stored) {
      {
        std::unique_lock lock(mutex_);
        if (!entered_told_) {
          entered_told_ = true;
          entered_.set_value();
        }
        released_.wait(lock, [this] { return open_; });
      }
      return server::verify_password(password, stored);
    };
  }
  void close() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    released_.notify_all();
  }
  std::future<void> entered() { return entered_.get_future(); }

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  bool open_ = true;
  bool entered_told_ = false;
  std::promise<void> entered_;
};

class HttpsLogin : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.open().ok());
    ASSERT_TRUE(server_.admin().add_unit("411325-ybj", "内乡县医疗保障局", "").ok());
    ASSERT_TRUE(server_.admin()
                    .add_user({"wang", Role::kStaff, "411325-ybj", false},
                              *server::hash_password("a-long-password", 1000))
                    .ok());
  }
  void TearDown() override {
    held_.open();  // a check still held would keep the server from stopping
    server_.stop();
  }

  HttpReply login(const std::string& user, const std::string& password) {
    const nlohmann::json body = {{"user", user}, {"password", password}};
    return https(server_.port(), server_.ca(), request("POST", "/api/login", body.dump()));
  }

  TempDir dir_;
  HeldVerifier held_;
  InProcessServer server_{dir_.path(), held_.verifier()};
};

TEST_F(HttpsLogin, HealthIsAnsweredWhileALoginsPasswordCheckRuns) {
  ASSERT_TRUE(server_.start().ok());
  held_.close();
  auto entered = held_.entered();
  auto pending = std::async(std::launch::async, [&] { return login("wang", "a-long-password"); });
  // The check has begun and is held: the I/O thread must still answer.
  ASSERT_EQ(entered.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "the login never reached its password check";
  const HttpReply health = https(server_.port(), server_.ca(), request("GET", "/healthz"));
  EXPECT_EQ(health.status, 200) << "/healthz waited for a login's KDF";
  EXPECT_EQ(pending.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout)
      << "the login was answered before its check finished";
  held_.open();
  const HttpReply done = pending.get();
  EXPECT_EQ(done.status, 200) << done.body;
}

TEST_F(HttpsLogin, WrongPasswordsBackOffThatUserAtThatAddressWithRetryAfter) {
  ASSERT_TRUE(server_.start().ok());
  const int free = AdminStore::kPairBackoff.free_failures;
  for (int i = 0; i <= free; ++i) EXPECT_EQ(login("wang", "guess").status, 401) << i;
  // One failure past the free ones: wait a second, said in a header too.
  HttpReply wait = login("wang", "a-long-password");
  EXPECT_EQ(wait.status, 429) << wait.body;
  EXPECT_EQ(wait.header("Retry-After"), "1");
  EXPECT_EQ(nlohmann::json::parse(wait.body)["retry_after_ms"], 1000);
  server_.clock().advance(1000);
  EXPECT_EQ(login("wang", "a-long-password").status, 200);
  // The success cleared the pair: the next mistake is free again.
  EXPECT_EQ(login("wang", "guess").status, 401);
  EXPECT_EQ(login("wang", "a-long-password").status, 200);
}

}  // namespace
}  // namespace budgetsync::testing
