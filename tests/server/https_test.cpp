// The real budgetsync-server over loopback TLS: health, login with a right and
// a wrong password, TLS only (a plain-TCP request and TLS 1.1 get nothing), and
// a clean stop on SIGTERM.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "../client/test_support.h"
#include "https_client.h"

namespace budgetsync::testing {
namespace {

class HttpsServer : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(server({"init"}).exit_code, 0);
    ASSERT_EQ(server({"unit", "add", "411325-ybj", "内乡县医疗保障局"}).exit_code, 0);
    ASSERT_EQ(server({"user", "add", "wang", "--role", "staff", "--unit", "411325-ybj"},
                     "a-long-password\n")
                  .exit_code,
              0);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      execl(BUDGETSYNC_TEST_SERVER, "budgetsync-server", "--data", data_.c_str(), "run", "--listen",
            "127.0.0.1:0", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
    char line[256];
    // The server says where it listens once it does: no sleeping, no guessing.
    ASSERT_NE(fgets(line, sizeof line, out_), nullptr);
    const std::string s = line;
    ASSERT_EQ(s.rfind("listening on https://127.0.0.1:", 0), 0u) << s;
    port_ = std::stoi(s.substr(s.rfind(':') + 1));
  }

  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_) fclose(out_);
  }

  CliResult server(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {"--data", data_});
    return run_program(BUDGETSYNC_TEST_SERVER, args, input);
  }

  std::string ca() const { return data_ + "/tls/ca.pem"; }

  TempDir dir_;
  std::string data_;
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  int port_ = 0;
};

TEST_F(HttpsServer, AnswersHealthOverVerifiedTls) {
  const HttpReply r = https(port_, ca(), request("GET", "/healthz"));
  ASSERT_TRUE(r.tls_ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["status"], "ok");
  EXPECT_EQ(https(port_, ca(), request("GET", "/nowhere")).status, 404);
}

TEST_F(HttpsServer, LoginGivesATokenForTheRightPasswordOnly) {
  const HttpReply good =
      https(port_, ca(),
            request("POST", "/api/login", R"({"user":"wang","password":"a-long-password"})"));
  ASSERT_EQ(good.status, 200) << good.body;
  const auto body = nlohmann::json::parse(good.body);
  EXPECT_EQ(body["token"].get<std::string>().size(), 64u);
  EXPECT_EQ(body["unit"], "411325-ybj");
  const HttpReply bad =
      https(port_, ca(), request("POST", "/api/login", R"({"user":"wang","password":"guess"})"));
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(nlohmann::json::parse(bad.body)["message"], "用户名或密码错误");
  EXPECT_EQ(https(port_, ca(), request("POST", "/api/login", "not json")).status, 400);
  EXPECT_EQ(https(port_, ca(), request("GET", "/api/login")).status, 405);
}

TEST_F(HttpsServer, MetricsCountConnectionsAndLogins) {
  https(port_, ca(),
        request("POST", "/api/login", R"({"user":"wang","password":"a-long-password"})"));
  https(port_, ca(), request("POST", "/api/login", R"({"user":"wang","password":"guess"})"));
  const HttpReply m = https(port_, ca(), request("GET", "/metrics"));
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("budgetsync_logins_total{result=\"ok\"} 1"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("budgetsync_logins_total{result=\"refused\"} 1"), std::string::npos);
  EXPECT_NE(m.body.find("# TYPE budgetsync_connections_total counter"), std::string::npos);
  EXPECT_NE(m.body.find("budgetsync_connections_total 3"), std::string::npos);
}

TEST_F(HttpsServer, OnlyTlsOneTwoOrNewerIsSpoken) {
  // Plain HTTP on the TLS port gets no HTTP answer.
  const int fd = connect_loopback(port_);
  ASSERT_GE(fd, 0);
  const std::string plain = request("GET", "/healthz");
  ASSERT_EQ(write(fd, plain.data(), plain.size()), static_cast<ssize_t>(plain.size()));
  char buf[256];
  const ssize_t n = read(fd, buf, sizeof buf);
  EXPECT_TRUE(n <= 0 ||
              std::string(buf, static_cast<size_t>(n)).find("HTTP/1.1 200") == std::string::npos);
  close(fd);
  EXPECT_FALSE(https(port_, ca(), request("GET", "/healthz"), TLS1_1_VERSION).tls_ok);
  // And the server is still there for a proper client.
  EXPECT_EQ(https(port_, ca(), request("GET", "/healthz")).status, 200);
}

TEST_F(HttpsServer, StopsCleanlyOnSigterm) {
  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid_, &status, 0), pid_);
  pid_ = -1;
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  char line[256];
  ASSERT_NE(fgets(line, sizeof line, out_), nullptr);
  EXPECT_EQ(std::string(line), "已停止\n");
}

}  // namespace
}  // namespace budgetsync::testing
