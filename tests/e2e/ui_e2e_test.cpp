// `budgetsync ui` for real: the listener on 127.0.0.1, the start address that
// trades its token for a cookie, the page, and the API behind the checks.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

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

// `budgetsync ui` started on a free port: where it listens and its one-time
// start address, read from the line it prints. Port 0 when it did not start.
struct UiStarted {
  int port = 0;
  std::string start;
};
UiStarted start_ui(Background& ui, const ClientProcess& client, const std::string& log) {
  UiStarted u;
  if (!ui.start(BUDGETSYNC_TEST_CLI, {"--dir", client.dir(), "ui", "--port", "0"}, log)) return u;
  const std::string line = ui.read_line();
  const size_t at = line.find("http://127.0.0.1:");
  if (at == std::string::npos) return u;
  std::string url = line.substr(at);
  url.erase(url.find_last_not_of("\r\n") + 1);
  u.port = std::stoi(url.substr(17, url.find('/', 17) - 17));
  u.start = url.substr(url.find('/', 17));
  return u;
}

TEST(UiEndToEnd, TheStartAddressOpensThePageAndTheApiAnswersOnlyIt) {
  TempDir dir;
  ClientProcess wang(dir.path(), "wang");
  ASSERT_EQ(wang.run({"init", "--unit", "411325-ybj", "--user", "wang"}).exit_code, 0);
  ASSERT_EQ(wang.run({"import", (seed_folder("003_") / "final02.json").string()}).exit_code, 0);
  Background ui;
  const UiStarted started = start_ui(ui, wang, (dir.path() / "ui.log").string());
  ASSERT_NE(started.port, 0);
  const int port = started.port;
  const std::string& start = started.start;

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

// The cells of a report as one replica file holds them, in key order.
std::vector<std::string> replica_cells(const std::string& db_path) {
  std::vector<std::string> out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db,
                       "SELECT r.form, w.row_key, k.key, c.value FROM cells c JOIN rows w ON "
                       "w.id = c.row_id JOIN reports r ON r.id = w.report_id JOIN cols k ON k.id "
                       "= c.col_id ORDER BY 1, 2, 3",
                       -1, &st, nullptr);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
      std::string line;
      for (int i = 0; i < 4; ++i)
        line += std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, i))) + "|";
      out.push_back(line);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

// Four programs write one replica at once — the UI's API (with its sync agent
// running) and three more writers — 2,500 edits each. Every edit gets its own
// id, the server accepts all 10,000, and a second device of the unit ends
// with exactly the same cells. (In /dev/shm: this is about concurrency, and
// 10,000 commits would otherwise wait on the disk.)
TEST(UiEndToEnd, FourProgramsOnOneReplicaMakeDistinctEditsThatAllSync) {
  TempDir dir(std::filesystem::is_directory("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                        : std::filesystem::temp_directory_path());
  ServerProcess server(dir.path());
  ASSERT_EQ(server.admin({"init"}).exit_code, 0);
  ASSERT_EQ(server.admin({"unit", "add", "411325-ybj", "内乡县医疗保障局"}).exit_code, 0);
  ASSERT_EQ(server.add_user("wang", "staff", "411325-ybj"), 0);
  ASSERT_EQ(server.add_user("li", "staff", "411325-ybj"), 0);
  ASSERT_TRUE(server.start()) << server.error();
  ClientProcess wang(dir.path(), "wang");
  ASSERT_EQ(wang.init_and_login(server, "411325-ybj").exit_code, 0);
  ASSERT_EQ(wang.run({"import", (seed_folder("003_") / "final02.json").string()}).exit_code, 0);

  constexpr int kEdits = 2'500;
  const std::string report = "411325-ybj/2024/final02";
  Background ui;
  const UiStarted started = start_ui(ui, wang, (dir.path() / "ui.log").string());
  ASSERT_NE(started.port, 0);
  const HttpAnswer opened = http(started.port, "GET", started.start);
  const size_t cookie_at = opened.head.find("bs_token=");
  ASSERT_NE(cookie_at, std::string::npos) << opened.head;
  const std::string headers =
      "Cookie: " + opened.head.substr(cookie_at, opened.head.find(';', cookie_at) - cookie_at) +
      "\r\nOrigin: http://127.0.0.1:" + std::to_string(started.port) +
      "\r\nContent-Type: application/json\r\n";

  const std::string db = wang.dir() + "/replica.db";
  Background writers[3];
  const char* rows[] = {"2101102", "2101103", "21011"};
  for (int w = 0; w < 3; ++w) {
    ASSERT_TRUE(writers[w].start(
        BUDGETSYNC_TEST_WRITER,
        {BUDGETSYNC_TEST_DATA_DIR, db, report, rows[w], "fiscal", std::to_string(kEdits)},
        (dir.path() / ("writer" + std::to_string(w) + ".log")).string()));
  }
  int refused = 0;
  for (int i = 0; i < kEdits; ++i) {
    const std::string body = R"({"report":")" + report +
                             R"(","row":"2101505","column":"fiscal","value":")" +
                             std::to_string(1 + i / 100) + "." + (i % 100 < 10 ? "0" : "") +
                             std::to_string(i % 100) + R"("})";
    if (http(started.port, "POST", "/api/cell", headers, body).status != 200) ++refused;
  }
  EXPECT_EQ(refused, 0);
  for (auto& w : writers) EXPECT_EQ(w.wait(), 0);

  // Everything reaches the server, whoever sends it (the UI's agent or a
  // `sync` from the terminal), with nothing refused.
  nlohmann::json st;
  EXPECT_TRUE(wait_until(
      [&] {
        if (wang.run({"sync"}).exit_code != 0) return false;
        st = wang.status();
        return st["pending_ops"] == 0;
      },
      120'000))
      << st.dump();
  EXPECT_EQ(st["rejected_ops"], 0) << st.dump();
  EXPECT_EQ(ui.stop(SIGTERM), 0);

  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(handle,
                               "SELECT COUNT(*), COUNT(DISTINCT device || ':' || counter), "
                               "SUM(status = 'acked') FROM ops WHERE kind = 'set'",
                               -1, &q, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(q, 0), 4 * kEdits);
  EXPECT_EQ(sqlite3_column_int(q, 1), 4 * kEdits);  // every edit its own id
  EXPECT_EQ(sqlite3_column_int(q, 2), 4 * kEdits);  // and every one accepted
  sqlite3_finalize(q);
  sqlite3_close(handle);

  ClientProcess li(dir.path(), "li");
  ASSERT_EQ(li.init_and_login(server, "411325-ybj").exit_code, 0);
  ASSERT_EQ(li.run({"sync"}).exit_code, 0);
  const auto mine = replica_cells(db);
  EXPECT_FALSE(mine.empty());
  EXPECT_EQ(mine, replica_cells(li.dir() + "/replica.db"));
  for (const char* row : {"2101102", "2101103", "21011", "2101505"}) {
    EXPECT_NE(std::find(mine.begin(), mine.end(), std::string("final02|") + row + "|fiscal|25.99|"),
              mine.end())
        << row;
  }
}

}  // namespace
}  // namespace budgetsync::testing
