// budgetsync-server's administration commands, as an administrator types them.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "../client/test_support.h"
#include "server/sqlite_store.h"
#include "sync/server_core.h"

namespace budgetsync::testing {
namespace {

class ServerCli : public ::testing::Test {
 protected:
  CliResult server(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {"--data", (dir_.path() / "data").string()});
    return run_program(BUDGETSYNC_TEST_SERVER, args, input);
  }
  TempDir dir_;
};

TEST_F(ServerCli, InitMakesTheStoreAndCertificatesOnce) {
  const CliResult r = server({"init"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("客户端必须信任这个根证书"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "data" / "tls" / "ca.pem"));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "data" / "server.db"));
  const CliResult again = server({"init"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("这里已经有服务器数据库了"), std::string::npos);
}

TEST_F(ServerCli, AuditVerifyNamesTheFirstTamperedEntry) {
  ASSERT_EQ(server({"init"}).exit_code, 0);
  const std::string db = (dir_.path() / "data" / "server.db").string();
  {
    auto store = server::SqliteServerStore::open(db);
    ASSERT_TRUE(store.ok());
    sync::FakeClock clock(1'700'000'000'000);
    sync::ServerCore core(**store, clock);
    for (int64_t i = 1; i <= 3; ++i) {
      sync::Operation op;
      op.id = {"dev-a", i};
      op.hlc = {1'700'000'000'000 + i, 0};
      op.author = "wang";
      op.report = *ReportKey::parse("411325-ybj/2024/final02");
      op.row = "2101505";
      op.column = "total";
      op.value = std::to_string(i) + ".00";
      op.base_version = i - 1;
      ASSERT_TRUE(core.push({op}, nullptr).ok());
    }
  }
  const CliResult intact = server({"audit", "verify"});
  EXPECT_EQ(intact.exit_code, 0) << intact.err;
  EXPECT_NE(intact.out.find("哈希链完好：共 3 条"), std::string::npos) << intact.out;

  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "UPDATE log SET entry = replace(entry, '2.00', '9.00') WHERE seq = 2",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  const CliResult broken = server({"audit", "verify"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.err.find("哈希链在日志第 2 条处断开"), std::string::npos) << broken.err;
}

TEST_F(ServerCli, UnitsAndUsersWithPasswordsFromStandardInput) {
  ASSERT_EQ(server({"init"}).exit_code, 0);
  ASSERT_EQ(server({"unit", "add", "bureau", "某市医疗保障局"}).exit_code, 0);
  ASSERT_EQ(
      server({"unit", "add", "411325-ybj", "内乡县医疗保障局", "--parent", "bureau"}).exit_code, 0);
  EXPECT_EQ(server({"unit", "add", "x", "x", "--parent", "nowhere"}).exit_code, 2);
  auto added = server({"user", "add", "wang", "--role", "staff", "--unit", "411325-ybj"},
                      "a-long-password\n");
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_EQ(server({"user", "add", "wang", "--role", "staff", "--unit", "411325-ybj"},
                   "a-long-password\n")
                .exit_code,
            1);
  auto short_pw =
      server({"user", "add", "li", "--role", "staff", "--unit", "411325-ybj"}, "short\n");
  EXPECT_EQ(short_pw.exit_code, 2);
  EXPECT_NE(short_pw.err.find("至少要有 8 个字符"), std::string::npos);
  auto bad_role =
      server({"user", "add", "li", "--role", "boss", "--unit", "411325-ybj"}, "a-long-password\n");
  EXPECT_EQ(bad_role.exit_code, 2);
  EXPECT_NE(bad_role.err.find("不是角色"), std::string::npos);
  // There is no way to pass a password on the command line.
  EXPECT_EQ(
      server({"user", "add", "li", "--role", "staff", "--unit", "411325-ybj", "--password", "x"})
          .exit_code,
      2);
  EXPECT_EQ(server({"user", "disable", "wang"}).exit_code, 0);
  EXPECT_EQ(server({"token", "revoke", "--user", "wang"}).exit_code, 0);
  EXPECT_NE(server({"device", "list"}).out.find("还没有设备同步过"), std::string::npos);
}

TEST_F(ServerCli, CommandsBeforeInitSayHowToStart) {
  const CliResult r = server({"unit", "add", "a", "b"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("budgetsync-server --data"), std::string::npos);
}

}  // namespace
}  // namespace budgetsync::testing
