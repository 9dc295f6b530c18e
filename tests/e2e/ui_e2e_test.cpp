// `budgetsync ui` for real: the listener on 127.0.0.1, the start address that
// trades its token for a cookie, the page, and the API behind the checks.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../support/processes.h"

namespace budgetsync::testing {
namespace {

struct HttpAnswer {
  int status = 0;
  std::string head;
  std::string body;
};

// One request over a fresh connection to 127.0.0.1:port (Connection: close).
HttpAnswer http(int port, const std::string& method, const std::string& target,
                const std::string& extra_headers = "", const std::string& body = "",
                const std::string& host = "") {
  HttpAnswer a;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return a;
  }
  const std::string request =
      method + " " + target +
      " HTTP/1.1\r\nHost: " + (host.empty() ? "127.0.0.1:" + std::to_string(port) : host) +
      "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
      extra_headers + "\r\n" + body;
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return a;
  }
  std::string raw;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) raw.append(buf, static_cast<size_t>(n));
  close(fd);
  const size_t split = raw.find("\r\n\r\n");
  if (raw.size() < 12 || split == std::string::npos) return a;
  a.status = std::stoi(raw.substr(9, 3));
  a.head = raw.substr(0, split);
  a.body = raw.substr(split + 4);
  return a;
}

TEST(UiEndToEnd, TheStartAddressOpensThePageAndTheApiAnswersOnlyIt) {
  TempDir dir;
  ClientProcess wang(dir.path(), "wang");
  ASSERT_EQ(wang.run({"init", "--unit", "411325-ybj", "--user", "wang"}).exit_code, 0);
  ASSERT_EQ(wang.run({"import", (seed_folder("003_") / "final02.json").string()}).exit_code, 0);
  Background ui;
  ASSERT_TRUE(ui.start(BUDGETSYNC_TEST_CLI, {"--dir", wang.dir(), "ui", "--port", "0"},
                       (dir.path() / "ui.log").string()));
  const std::string line = ui.read_line();
  const size_t at = line.find("http://127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << line;
  std::string url = line.substr(at);
  url.erase(url.find_last_not_of("\r\n") + 1);
  const int port = std::stoi(url.substr(17, url.find('/', 17) - 17));
  const std::string start = url.substr(url.find('/', 17));

  const HttpAnswer opened = http(port, "GET", start);
  ASSERT_EQ(opened.status, 303) << opened.head;
  const size_t cookie_at = opened.head.find("bs_token=");
  ASSERT_NE(cookie_at, std::string::npos) << opened.head;
  const std::string cookie =
      opened.head.substr(cookie_at, opened.head.find(';', cookie_at) - cookie_at);

  const HttpAnswer page = http(port, "GET", "/", "Cookie: " + cookie + "\r\n");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.head.find("text/html"), std::string::npos);
  EXPECT_NE(page.body.find("/api/reports"), std::string::npos);
  const HttpAnswer list = http(port, "GET", "/api/reports", "Cookie: " + cookie + "\r\n");
  EXPECT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("411325-ybj/2024/final02"), std::string::npos) << list.body;
  EXPECT_EQ(http(port, "GET", "/api/reports").status, 403);
  EXPECT_EQ(http(port, "GET", "/api/reports", "Cookie: " + cookie + "\r\n", "",
                 "rebound.example:" + std::to_string(port))
                .status,
            421);
  // An edit through the API lands in the replica, as `history` shows.
  const std::string edit =
      R"({"report":"411325-ybj/2024/final02","row":"2101505","column":"total","value":"16.00"})";
  const HttpAnswer saved =
      http(port, "POST", "/api/cell",
           "Cookie: " + cookie + "\r\nOrigin: http://127.0.0.1:" + std::to_string(port) +
               "\r\nContent-Type: application/json\r\n",
           edit);
  EXPECT_EQ(saved.status, 200) << saved.body;
  EXPECT_EQ(ui.stop(SIGTERM), 0);
  const nlohmann::json h = wang.json({"history", "411325-ybj/2024/final02", "2101505", "total"});
  ASSERT_TRUE(h.is_array() && !h.empty());
  EXPECT_EQ(h.back()["value"], "16.00");
}

}  // namespace
}  // namespace budgetsync::testing
