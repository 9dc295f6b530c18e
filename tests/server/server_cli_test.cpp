// budgetsync-server's administration commands, as an administrator types them.
#include <gtest/gtest.h>

#include "../client/test_support.h"

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
  EXPECT_NE(r.out.find("Clients must trust this certificate authority"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "data" / "tls" / "ca.pem"));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "data" / "server.db"));
  const CliResult again = server({"init"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("exists here already"), std::string::npos);
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
  EXPECT_NE(short_pw.err.find("at least 8 characters"), std::string::npos);
  auto bad_role =
      server({"user", "add", "li", "--role", "boss", "--unit", "411325-ybj"}, "a-long-password\n");
  EXPECT_EQ(bad_role.exit_code, 2);
  EXPECT_NE(bad_role.err.find("not a role"), std::string::npos);
  // There is no way to pass a password on the command line.
  EXPECT_EQ(
      server({"user", "add", "li", "--role", "staff", "--unit", "411325-ybj", "--password", "x"})
          .exit_code,
      2);
  EXPECT_EQ(server({"user", "disable", "wang"}).exit_code, 0);
  EXPECT_EQ(server({"token", "revoke", "--user", "wang"}).exit_code, 0);
  EXPECT_NE(server({"device", "list"}).out.find("No device has synced yet"), std::string::npos);
}

TEST_F(ServerCli, CommandsBeforeInitSayHowToStart) {
  const CliResult r = server({"unit", "add", "a", "b"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("budgetsync-server init --data"), std::string::npos);
}

}  // namespace
}  // namespace budgetsync::testing
