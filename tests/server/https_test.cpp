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

namespace budgetsync::testing {
namespace {

int connect_loopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{5,
             0};  // a bound on every read, so a silent server fails the test instead of hanging it
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

struct HttpReply {
  int status = 0;
  std::string body;
  bool tls_ok = false;
};

// One HTTPS request over a fresh connection, verifying the server against `ca`.
HttpReply https(int port, const std::string& ca, const std::string& request, int max_tls = 0) {
  HttpReply reply;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (max_tls) SSL_CTX_set_max_proto_version(ctx, max_tls);
  SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  const int fd = connect_loopback(port);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set1_host(ssl, "localhost");
  SSL_set_tlsext_host_name(ssl, "localhost");
  if (fd >= 0 && SSL_connect(ssl) == 1) {
    reply.tls_ok = true;
    SSL_write(ssl, request.data(), static_cast<int>(request.size()));
    std::string raw;
    char buf[4096];
    for (int n; (n = SSL_read(ssl, buf, sizeof buf)) > 0;) raw.append(buf, static_cast<size_t>(n));
    if (raw.size() > 12) reply.status = std::stoi(raw.substr(9, 3));
    if (auto p = raw.find("\r\n\r\n"); p != std::string::npos) reply.body = raw.substr(p + 4);
  }
  SSL_free(ssl);
  if (fd >= 0) close(fd);
  SSL_CTX_free(ctx);
  return reply;
}

std::string request(const std::string& method, const std::string& target,
                    const std::string& body = "") {
  return method + " " + target +
         " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

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
  EXPECT_EQ(nlohmann::json::parse(bad.body)["message"], "wrong user name or password");
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

TEST_F(HttpsServer, RepeatedWrongPasswordsAreThrottled) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(
        https(port_, ca(), request("POST", "/api/login", R"({"user":"wang","password":"guess"})"))
            .status,
        401);
  }
  EXPECT_EQ(https(port_, ca(),
                  request("POST", "/api/login", R"({"user":"wang","password":"a-long-password"})"))
                .status,
            429);
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
  EXPECT_EQ(std::string(line), "stopped\n");
}

}  // namespace
}  // namespace budgetsync::testing
