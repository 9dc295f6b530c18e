// kill -9 of the real server while a client pushes, and of a real client while
// it pulls, at several points each: no acknowledged operation is lost, none is
// applied twice, and after restarting every replica converges.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "../support/processes.h"

namespace budgetsync::testing {
namespace {

using nlohmann::json;

// One integer from a database another process is writing (WAL lets us read).
int64_t query_int(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t v = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return v;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The values of every exported report, without the per-replica metadata.
std::map<std::string, json> exported_cells(const ClientProcess& c,
                                           const std::filesystem::path& to) {
  std::map<std::string, json> out;
  if (c.run({"export", "--all", "--format", "json", "-o", to.string()}).exit_code != 0) return out;
  for (const auto& e : std::filesystem::directory_iterator(to)) {
    json j = json::parse(slurp(e.path()), nullptr, false);
    if (j.is_object() && j.contains("rows")) out[e.path().filename().string()] = j["rows"];
  }
  return out;
}

class SyncCrash : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(server_.admin({"init"}).exit_code, 0);
    ASSERT_EQ(server_.admin({"unit", "add", "411325-ybj", "内乡县医疗保障局"}).exit_code, 0);
    for (const char* user : {"wang", "zhang"}) {
      ASSERT_EQ(server_.add_user(user, "staff", "411325-ybj"), 0);
    }
    ASSERT_TRUE(server_.start()) << server_.error();
    for (const ClientProcess* c : {&wang_, &zhang_}) {
      ASSERT_EQ(c->init_and_login(server_, "411325-ybj").exit_code, 0);
    }
  }

  std::string server_db() const { return server_.data() + "/server.db"; }
  int64_t log_count() const { return query_int(server_db(), "SELECT COUNT(*) FROM log"); }

  // The server log holds each operation once, and every answer it gave is in it.
  void expect_log_exact(int64_t expected_ops) {
    EXPECT_EQ(log_count(), expected_ops);
    EXPECT_EQ(query_int(server_db(), "SELECT COUNT(DISTINCT op_id) FROM log"), expected_ops);
    EXPECT_EQ(query_int(server_db(), "SELECT COUNT(*) FROM answers"), expected_ops);
    EXPECT_EQ(query_int(server_db(), "SELECT MAX(seq) FROM log"), expected_ops);  // no gaps
  }

  TempDir dir_;
  ServerProcess server_{dir_.path()};
  ClientProcess wang_{dir_.path(), "wang"};
  ClientProcess zhang_{dir_.path(), "zhang"};
};

TEST_F(SyncCrash, ServerKilledDuringPushesLosesNothingAcknowledgedAndAppliesNothingTwice) {
  ASSERT_EQ(wang_.run({"import", seed_folder("003_").string()}).exit_code, 0);
  const int64_t pending = wang_.status()["pending_ops"].get<int64_t>();
  ASSERT_GT(pending, 0);
  // Kill the server once the log has grown past each point, with the client
  // mid-push in small batches.
  for (int64_t point : {1, 200, 700, 1300}) {
    SCOPED_TRACE("killed after " + std::to_string(point) + " log entries");
    Background push;
    ASSERT_TRUE(push.start(BUDGETSYNC_TEST_CLI, {"--dir", wang_.dir(), "sync", "--batch", "50"},
                           wang_.dir() + "/push.log"));
    ASSERT_TRUE(wait_until([&] { return log_count() >= point; }))
        << slurp(wang_.dir() + "/push.log");
    server_.kill9();
    push.stop(SIGKILL);  // gone or failing: either way, it retries below
    ASSERT_TRUE(server_.start()) << server_.error();
    // Whatever the server committed is whole batches: the log has no gaps.
    const int64_t n = log_count();
    EXPECT_EQ(query_int(server_db(), "SELECT MAX(seq) FROM log"), n);
  }
  const CliResult done = wang_.run({"--json", "sync"});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(wang_.status()["pending_ops"], 0);
  EXPECT_EQ(wang_.status()["rejected_ops"], 0);
  const int64_t total = log_count();
  expect_log_exact(total);

  // A second device downloads the same reports.
  ASSERT_EQ(zhang_.run({"sync"}).exit_code, 0);
  TempDir out;
  const auto a = exported_cells(wang_, out.path() / "wang");
  const auto b = exported_cells(zhang_, out.path() / "zhang");
  EXPECT_EQ(a.size(), 23u);
  EXPECT_EQ(a, b);
}

TEST_F(SyncCrash, ClientKilledDuringPullsResumesFromItsCursorAndConverges) {
  ASSERT_EQ(wang_.run({"import", seed_folder("003_").string()}).exit_code, 0);
  ASSERT_EQ(wang_.run({"sync"}).exit_code, 0);
  const int64_t total = log_count();
  ASSERT_GT(total, 1000);
  const std::string replica = zhang_.dir() + "/replica.db";
  auto cursor = [&] {
    return query_int(replica, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'sync_cursor'");
  };
  for (int64_t point : {1, 300, 900, 1500}) {
    SCOPED_TRACE("killed at cursor " + std::to_string(point));
    Background pull;
    ASSERT_TRUE(pull.start(BUDGETSYNC_TEST_CLI, {"--dir", zhang_.dir(), "sync", "--batch", "20"},
                           zhang_.dir() + "/pull.log"));
    ASSERT_TRUE(wait_until([&] { return cursor() >= point; })) << slurp(zhang_.dir() + "/pull.log");
    pull.stop(SIGKILL);
    // The replica is whole: the cursor never passes what was applied.
    EXPECT_GE(cursor(), point);
  }
  const CliResult done = zhang_.run({"sync"});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(cursor(), total);
  TempDir out;
  const auto a = exported_cells(wang_, out.path() / "wang");
  const auto b = exported_cells(zhang_, out.path() / "zhang");
  EXPECT_EQ(a.size(), 23u);
  EXPECT_EQ(a, b);
  // Nothing pulled twice: one copy of each remote operation in zhang's log.
  EXPECT_EQ(query_int(replica, "SELECT COUNT(*) FROM ops"),
            query_int(replica, "SELECT COUNT(*) FROM (SELECT DISTINCT device, counter FROM ops)"));
  expect_log_exact(total);
}

}  // namespace
}  // namespace budgetsync::testing
