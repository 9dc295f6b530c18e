// The real programs over loopback TLS: a budgetsync-server and three clients —
// two staff of 内乡县 (wang with a one-shot `sync`, zhang with the `sync
// --watch` agent) and one of 岳阳楼区 (li). The server goes away and comes
// back; the agent notices both by itself; a true conflict appears on both
// staff devices and is settled; the other unit never sees 内乡's cells.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "../support/processes.h"

namespace budgetsync::testing {
namespace {

using nlohmann::json;

constexpr const char* kFinal02 = "411325-ybj/2024/final02";
constexpr const char* kRow = "2101505";
constexpr const char* kColumn = "本年收入合计";

class SyncEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(server_.admin({"init"}).exit_code, 0);
    ASSERT_EQ(server_.admin({"unit", "add", "411325-ybj", "内乡县医疗保障局"}).exit_code, 0);
    ASSERT_EQ(server_.admin({"unit", "add", "430602-ybj", "岳阳楼区医疗保障局"}).exit_code, 0);
    for (auto [user, unit] : {std::pair{"wang", "411325-ybj"}, std::pair{"zhang", "411325-ybj"},
                              std::pair{"li", "430602-ybj"}}) {
      ASSERT_EQ(server_.add_user(user, "staff", unit), 0);
    }
    ASSERT_TRUE(server_.start()) << server_.error();
    setup_client(wang_, "411325-ybj");
    setup_client(zhang_, "411325-ybj");
    setup_client(li_, "430602-ybj");
  }

  void setup_client(const ClientProcess& c, const std::string& unit) {
    const CliResult r = c.init_and_login(server_, unit);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  static std::string value(const ClientProcess& c, const std::string& report,
                           const std::string& row, const std::string& column) {
    const json h = c.json({"history", report, row, column});
    if (!h.is_array() || h.empty() || h.back()["value"].is_null()) return "";
    return h.back()["value"].get<std::string>();
  }

  static int64_t field(const ClientProcess& c, const char* name) {
    const json s = c.status();
    return s.is_object() && s[name].is_number() ? s[name].get<int64_t>() : -1;
  }

  TempDir dir_;
  ServerProcess server_{dir_.path()};
  ClientProcess wang_{dir_.path(), "wang"};
  ClientProcess zhang_{dir_.path(), "zhang"};
  ClientProcess li_{dir_.path(), "li"};
};

// A server killed under a connected agent is reported as the server having
// gone, never as a certificate problem that would send the user to --ca.
TEST_F(SyncEndToEnd, AKilledServerIsReportedAsGoneNotAsACertificateProblem) {
  ASSERT_TRUE(zhang_.start_agent());
  ASSERT_TRUE(wait_until([&] { return zhang_.status().value("online", false); }))
      << zhang_.agent_log();
  server_.kill9();
  ASSERT_TRUE(wait_until([&] { return zhang_.agent_log().find("offline:") != std::string::npos; }))
      << zhang_.agent_log();
  const std::string log = zhang_.agent_log();
  const size_t first = log.find("offline:");
  const std::string line = log.substr(first, log.find('\n', first) - first);
  EXPECT_NE(line.find("关闭了连接"), std::string::npos) << line;
  EXPECT_EQ(log.find("--ca"), std::string::npos) << log;
  const json st = zhang_.status();
  EXPECT_FALSE(st.value("online", true));
  EXPECT_EQ(st.value("last_error", std::string()).find("--ca"), std::string::npos) << st.dump();
}

TEST_F(SyncEndToEnd, EditsReachEveryoneThroughOutagesAndConflictsAreKeptOnBothDevices) {
  // wang brings 内乡's 23 reports; li brings 岳阳楼区's.
  ASSERT_EQ(wang_.run({"import", seed_folder("003_").string()}).exit_code, 0);
  ASSERT_EQ(li_.run({"import", seed_folder("002_").string()}).exit_code, 0);
  CliResult synced = wang_.run({"sync"});
  ASSERT_EQ(synced.exit_code, 0) << synced.err;
  EXPECT_NE(synced.out.find("已同步"), std::string::npos) << synced.out;
  synced = li_.run({"sync"});
  ASSERT_EQ(synced.exit_code, 0) << synced.err;

  // zhang's agent downloads everything by itself and says it is online.
  ASSERT_TRUE(zhang_.start_agent());
  ASSERT_TRUE(wait_until([&] { return zhang_.status().value("reports", 0) == 23; }))
      << zhang_.agent_log();
  ASSERT_TRUE(wait_until([&] { return zhang_.status().value("online", false); }))
      << zhang_.agent_log();
  EXPECT_EQ(value(zhang_, kFinal02, kRow, kColumn), "15.00");

  // The server goes away: the agent notices, and edits keep saving offline.
  ASSERT_EQ(server_.stop(), 0);
  ASSERT_TRUE(wait_until([&] { return !zhang_.status().value("online", true); }))
      << zhang_.agent_log();
  ASSERT_EQ(zhang_.run({"set", kFinal02, kRow, kColumn, "16.00"}).exit_code, 0);
  ASSERT_EQ(wang_.run({"set", kFinal02, kRow, kColumn, "17.00"}).exit_code, 0);
  EXPECT_EQ(field(zhang_, "pending_ops"), 1);
  const CliResult offline = wang_.run({"sync"});
  EXPECT_NE(offline.exit_code, 0);
  EXPECT_NE(offline.err.find("连不上"), std::string::npos) << offline.err;
  EXPECT_EQ(field(wang_, "pending_ops"), 1);

  // It comes back: the agent reconnects and pushes without being asked.
  ASSERT_TRUE(server_.start()) << server_.error();
  ASSERT_TRUE(wait_until([&] { return field(zhang_, "pending_ops") == 0; }, 40'000))
      << zhang_.agent_log();
  ASSERT_TRUE(wait_until([&] { return zhang_.status().value("online", false); }));

  // wang's concurrent edit to the same cell is a true conflict, kept on both
  // staff devices: the agent pulls it on notification.
  synced = wang_.run({"--json", "sync"});
  ASSERT_EQ(synced.exit_code, 0) << synced.err;
  EXPECT_EQ(json::parse(synced.out)["conflicts"], 1) << synced.out;
  ASSERT_TRUE(wait_until([&] { return field(zhang_, "open_conflicts") == 1; }))
      << zhang_.agent_log();
  const json on_wang = wang_.json({"conflicts"})["conflicts"];
  const json on_zhang = zhang_.json({"conflicts"})["conflicts"];
  ASSERT_EQ(on_wang.size(), 1u) << on_wang.dump();
  ASSERT_EQ(on_zhang.size(), 1u) << on_zhang.dump();
  EXPECT_EQ(on_wang[0]["report"], kFinal02);
  EXPECT_EQ(on_wang[0]["values"].size(), 2u) << on_wang.dump();
  std::set<std::string> competing;
  for (const auto& v : on_zhang[0]["values"]) competing.insert(v["value"].get<std::string>());
  EXPECT_EQ(competing, (std::set<std::string>{"16.00", "17.00"}));
  // Both show the same visible winner: wang's edit, made later.
  EXPECT_EQ(on_wang[0]["visible"], "17.00");
  EXPECT_EQ(on_zhang[0]["visible"], "17.00");

  // wang settles it; the agent brings the settlement to zhang.
  const CliResult resolved = wang_.run({"resolve", kFinal02, kRow, kColumn, "--value", "16.50"});
  ASSERT_EQ(resolved.exit_code, 0) << resolved.err;
  ASSERT_EQ(wang_.run({"sync"}).exit_code, 0);
  ASSERT_TRUE(wait_until([&] { return field(zhang_, "open_conflicts") == 0; }))
      << zhang_.agent_log();
  EXPECT_EQ(value(zhang_, kFinal02, kRow, kColumn), "16.50");
  EXPECT_EQ(field(wang_, "open_conflicts"), 0);

  // A local edit reaches the other device through the agent within moments.
  ASSERT_EQ(zhang_.run({"set", kFinal02, kRow, kColumn, "16.60"}).exit_code, 0);
  ASSERT_TRUE(wait_until([&] {
    wang_.run({"sync"});
    return value(wang_, kFinal02, kRow, kColumn) == "16.60";
  }));

  // 岳阳楼区 never sees 内乡: only its own reports arrive.
  ASSERT_EQ(li_.run({"sync"}).exit_code, 0);
  const json li_reports = li_.json({"reports"});
  ASSERT_FALSE(li_reports.empty());
  for (const auto& r : li_reports) {
    EXPECT_EQ(r["report"].get<std::string>().rfind("430602-ybj/", 0), 0u) << r.dump();
  }
  EXPECT_EQ(value(li_, kFinal02, kRow, kColumn), "");

  EXPECT_EQ(zhang_.stop_agent(), 0);
  EXPECT_FALSE(zhang_.status().value("agent_running", true));
}

// The agent probes a server it cannot reach: when the server is back, a
// pending edit reaches it at once, long before the retry the agent announced
// (its backoff has grown to several seconds by then).
TEST_F(SyncEndToEnd, AnAgentReachesAServerThatComesBackBeforeItsBackoffRunsOut) {
  ASSERT_EQ(wang_.run({"import", (seed_folder("003_") / "final02.json").string()}).exit_code, 0);
  ASSERT_EQ(wang_.run({"sync"}).exit_code, 0);
  ASSERT_TRUE(zhang_.start_agent());
  ASSERT_TRUE(wait_until([&] { return zhang_.status().value("reports", 0) == 1; }))
      << zhang_.agent_log();
  ASSERT_EQ(server_.stop(), 0);
  ASSERT_EQ(zhang_.run({"set", kFinal02, kRow, kColumn, "18.00"}).exit_code, 0);
  EXPECT_EQ(field(zhang_, "pending_ops"), 1);

  // The agent's last announced wait, once it is 4 s or more.
  using Clock = std::chrono::steady_clock;
  double announced = 0;
  Clock::time_point seen;
  ASSERT_TRUE(wait_until(
      [&] {
        const std::string log = zhang_.agent_log();
        const size_t at = log.rfind("retrying in ");
        if (at == std::string::npos) return false;
        announced = std::stod(log.substr(at + 12));
        seen = Clock::now();
        return announced >= 4.0;
      },
      30'000))
      << zhang_.agent_log();

  ASSERT_TRUE(server_.start()) << server_.error();
  const auto back = Clock::now();
  ASSERT_TRUE(wait_until([&] { return field(zhang_, "pending_ops") == 0; }, 40'000))
      << zhang_.agent_log();
  const auto arrived = Clock::now();
  const double after_return = std::chrono::duration<double>(arrived - back).count();
  const double after_announce = std::chrono::duration<double>(arrived - seen).count();
  std::printf(
      "edit reached the returned server %.2f s after it listened (retry announced: %.1f s)\n",
      after_return, announced);
  // The retry was due at least `announced` after the line was written, which
  // was no later than `seen`, less a poll interval.
  EXPECT_LT(after_announce, announced - 0.1) << zhang_.agent_log();
  EXPECT_NE(zhang_.agent_log().find("answers again"), std::string::npos) << zhang_.agent_log();
  EXPECT_EQ(value(wang_, kFinal02, kRow, kColumn), "15.00");
  ASSERT_EQ(wang_.run({"sync"}).exit_code, 0);
  EXPECT_EQ(value(wang_, kFinal02, kRow, kColumn), "18.00");
  EXPECT_EQ(zhang_.stop_agent(), 0);
}

TEST_F(SyncEndToEnd, WritesToAnotherUnitAreRejectedVisiblyAndChangeNothing) {
  ASSERT_EQ(wang_.run({"import", seed_folder("003_").string()}).exit_code, 0);
  ASSERT_EQ(wang_.run({"sync"}).exit_code, 0);
  // li imports 内乡's reports into his own replica and tries to push them.
  ASSERT_EQ(
      li_.run({"import", "--allow-other-units", (seed_folder("003_") / "final02.json").string()})
          .exit_code,
      0);
  ASSERT_EQ(li_.run({"set", kFinal02, kRow, kColumn, "999.00"}).exit_code, 0);
  const CliResult r = li_.run({"--json", "sync"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json summary = json::parse(r.out);
  EXPECT_EQ(summary["applied"], 0) << r.out;
  EXPECT_GT(summary["rejected"].get<int>(), 0);
  EXPECT_EQ(summary["rejected_ops"], 2);  // the import and the edit
  // Kept on li's device, marked, with the reason.
  const CliResult log = li_.run({"log"});
  EXPECT_NE(log.out.find("unit_forbidden"), std::string::npos) << log.out;
  const json listed = li_.json({"conflicts"});
  ASSERT_EQ(listed["rejected"].size(), 2u) << listed.dump();
  for (const auto& e : listed["rejected"]) {
    EXPECT_EQ(e["reason"].get<std::string>().rfind("unit_forbidden", 0), 0u) << e.dump();
  }
  // 内乡's value on the server is untouched: a fresh sync on wang sees 15.00.
  ASSERT_EQ(wang_.run({"sync"}).exit_code, 0);
  EXPECT_EQ(value(wang_, kFinal02, kRow, kColumn), "15.00");

  // li gives both up: the edit's cell shows the imported value again, and
  // nothing is left to settle or to send.
  for (const auto& e : listed["rejected"]) {
    const CliResult d = li_.run({"discard", e["op"].get<std::string>()});
    EXPECT_EQ(d.exit_code, 0) << d.err;
  }
  EXPECT_EQ(value(li_, kFinal02, kRow, kColumn), "15.00");
  EXPECT_EQ(li_.status()["rejected_ops"], 0);
  EXPECT_EQ(li_.status()["pending_ops"], 0);
  EXPECT_EQ(li_.run({"retry", "not-an-op"}).exit_code, 2);
}

TEST_F(SyncEndToEnd, AWrongPasswordAndAnUntrustedCertificateAreRefused) {
  const CliResult wrong = zhang_.run(
      {"login", "--server", server_.url(), "--ca", server_.ca(), "--user", "zhang"}, "guess\n");
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("用户名或密码错误"), std::string::npos) << wrong.err;

  // A CA that did not sign the server's certificate: no connection.
  TempDir other;
  ServerProcess stranger(other.path());
  ASSERT_EQ(stranger.admin({"init"}).exit_code, 0);
  const CliResult untrusted =
      zhang_.run({"login", "--server", server_.url(), "--ca", stranger.ca(), "--user", "zhang"},
                 "pw-zhang-secret\n");
  EXPECT_NE(untrusted.exit_code, 0);
  EXPECT_NE(untrusted.err.find("TLS"), std::string::npos) << untrusted.err;
}

TEST_F(SyncEndToEnd, ARevokedTokenStopsSyncUntilTheUserLogsInAgain) {
  ASSERT_EQ(server_.admin({"token", "revoke", "--user", "zhang"}).exit_code, 0);
  const CliResult refused = zhang_.run({"sync"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("budgetsync login"), std::string::npos) << refused.err;
  ASSERT_EQ(zhang_
                .run({"login", "--server", server_.url(), "--ca", server_.ca(), "--user", "zhang"},
                     "pw-zhang-secret\n")
                .exit_code,
            0);
  EXPECT_EQ(zhang_.run({"sync"}).exit_code, 0);
}

}  // namespace
}  // namespace budgetsync::testing
