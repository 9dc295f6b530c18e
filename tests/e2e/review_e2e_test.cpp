// The review workflow with the real programs over loopback TLS. Two staff of
// 内乡县 (wang, zhang) and one of 平乡县 (zhao) work offline and sync; liu
// reviews the bureau both belong to; qian reviews another bureau. A submission
// with a validation error is blocked, a return reaches the other staff device
// with its reason, the fix is resubmitted, everything is approved and
// consolidated, and the consolidated tables are the sums of the seed units'.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "../support/processes.h"
#include "shared/decimal.h"

namespace budgetsync::testing {
namespace {

using nlohmann::json;

json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  return json::parse(in, nullptr, false);
}

// A report's cells as {row -> {column -> raw}}, from the report JSON format.
std::map<std::string, std::map<std::string, std::string>> cells_of(const json& report) {
  std::map<std::string, std::map<std::string, std::string>> out;
  if (!report.is_object()) return out;
  for (const auto& row : report["rows"]) {
    for (const auto& [col, value] : row["cells"].items()) {
      out[row["key"].get<std::string>()][col] = value.get<std::string>();
    }
  }
  return out;
}

std::optional<Decimal> number(const std::string& raw) {
  auto d = Decimal::parse(raw);
  return d.ok() ? std::optional<Decimal>(*d) : std::nullopt;
}

class ReviewEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(server_.admin({"init"}).exit_code, 0);
    ASSERT_EQ(server_.admin({"unit", "add", "bureau", "演示上级医疗保障局"}).exit_code, 0);
    ASSERT_EQ(server_.admin({"unit", "add", "411325-ybj", "内乡县医疗保障局", "--parent", "bureau"})
                  .exit_code,
              0);
    ASSERT_EQ(server_.admin({"unit", "add", "130532-ybj", "平乡县医疗保障局", "--parent", "bureau"})
                  .exit_code,
              0);
    ASSERT_EQ(server_.admin({"unit", "add", "other-bureau", "另一个医疗保障局"}).exit_code, 0);
    ASSERT_EQ(
        server_
            .admin({"unit", "add", "430602-ybj", "岳阳楼区医疗保障局", "--parent", "other-bureau"})
            .exit_code,
        0);
    for (auto [user, role, unit] :
         {std::tuple{"wang", "staff", "411325-ybj"}, std::tuple{"zhang", "staff", "411325-ybj"},
          std::tuple{"zhao", "staff", "130532-ybj"}, std::tuple{"liu", "reviewer", "bureau"},
          std::tuple{"qian", "reviewer", "other-bureau"}}) {
      ASSERT_EQ(server_.add_user(user, role, unit), 0);
    }
    ASSERT_TRUE(server_.start()) << server_.error();
    setup_client(wang_, "411325-ybj");
    setup_client(zhang_, "411325-ybj");
    setup_client(zhao_, "130532-ybj");
    setup_client(liu_, "bureau");
    setup_client(qian_, "other-bureau");
  }

  void setup_client(const ClientProcess& c, const std::string& unit) {
    const CliResult r = c.init_and_login(server_, unit);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  static void sync(const ClientProcess& c) {
    const CliResult r = c.run({"sync"});
    ASSERT_EQ(r.exit_code, 0) << c.name() << ": " << r.err;
  }

  static std::string state(const ClientProcess& c, const std::string& report) {
    for (const auto& r : c.json({"reports"})) {
      if (r["report"] == report) return r["state"].get<std::string>();
    }
    return "(missing)";
  }

  // The cell's current value (its last history entry); "(none)" when unset.
  static std::string value(const ClientProcess& c, const std::string& report,
                           const std::string& row, const std::string& column) {
    const json h = c.json({"history", report, row, column});
    if (!h.is_array() || h.empty() || h.back()["value"].is_null()) return "(none)";
    return h.back()["value"].get<std::string>();
  }

  // Every number of the seed table is the consolidated table's number, and
  // every text the same text; `fixed` overrides seed cells ({row, col} -> raw).
  // `exported`: the folder `export --all --format json` wrote the reviewer's reports to.
  void expect_consolidated_equals_seed(
      const std::filesystem::path& exported, const std::string& consolidated,
      const std::filesystem::path& seed_file,
      const std::map<std::pair<std::string, std::string>, std::string>& fixed = {}) {
    std::string name = consolidated;
    std::replace(name.begin(), name.end(), '/', '_');
    const auto got = cells_of(read_json(exported / (name + ".json")));
    const auto want = cells_of(read_json(seed_file));
    if (want.empty()) {  // a table the unit filed empty consolidates to an empty one
      EXPECT_TRUE(got.empty()) << consolidated;
      return;
    }
    int numbers = 0;
    for (const auto& [row, cols] : want) {
      for (auto [col, raw] : cols) {
        if (auto f = fixed.find({row, col}); f != fixed.end()) raw = f->second;
        auto g = got.find(row);
        const std::string have = g == got.end() || !g->second.count(col) ? "" : g->second.at(col);
        if (auto n = number(raw)) {
          ++numbers;
          EXPECT_EQ(number(have), n) << consolidated << " " << row << ":" << col << " is “" << have
                                     << "”, the seed has “" << raw << "”";
        } else if (raw != "-" && !raw.empty()) {
          EXPECT_EQ(have, raw) << consolidated << " " << row << ":" << col;
        }
      }
    }
    EXPECT_GT(numbers, 0) << consolidated;
  }

  TempDir dir_;
  ServerProcess server_{dir_.path()};
  ClientProcess wang_{dir_.path(), "wang"};
  ClientProcess zhang_{dir_.path(), "zhang"};
  ClientProcess zhao_{dir_.path(), "zhao"};
  ClientProcess liu_{dir_.path(), "liu"};
  ClientProcess qian_{dir_.path(), "qian"};
};

TEST_F(ReviewEndToEnd, SubmitReturnFixApproveAndConsolidate) {
  ASSERT_EQ(wang_.run({"import", seed_folder("003_").string()}).exit_code, 0);
  ASSERT_EQ(zhao_.run({"import", seed_folder("004_").string()}).exit_code, 0);
  sync(wang_);
  sync(zhang_);

  // p09's 总分 (99.74) disagrees with its parts (100.00): the submission is
  // blocked on the device, naming the cell, and nothing is recorded.
  const std::string p09 = "411325-ybj/2024/perf-project:p09";
  CliResult blocked = wang_.run({"submit", p09});
  EXPECT_EQ(blocked.exit_code, 1);
  EXPECT_NE(blocked.out.find("总分"), std::string::npos) << blocked.out;
  EXPECT_NE(blocked.out.find("99.74"), std::string::npos) << blocked.out;
  EXPECT_EQ(state(wang_, p09), "draft");
  ASSERT_EQ(wang_.run({"set", p09, "total", "得分", "100.00"}).exit_code, 0);
  CliResult submitted = wang_.run({"submit", p09});
  EXPECT_EQ(submitted.exit_code, 0) << submitted.out << submitted.err;
  std::vector<std::string> finals;
  for (int n = 1; n <= 9; ++n) finals.push_back(fmt::format("411325-ybj/2024/final0{}", n));
  std::vector<std::string> args{"submit"};
  args.insert(args.end(), finals.begin(), finals.end());
  ASSERT_EQ(wang_.run(args).exit_code, 0);
  std::vector<std::string> budgets{"submit"};
  for (int n = 1; n <= 9; ++n) budgets.push_back(fmt::format("130532-ybj/2023/budget0{}", n));
  ASSERT_EQ(zhao_.run(budgets).exit_code, 0);
  sync(wang_);
  sync(zhao_);

  // The reviewer sees the submissions with who made them; final06 carries
  // the warning it was submitted with (302 is 0.01 off its parts).
  sync(liu_);
  const json list = liu_.json({"review", "list", "--state", "submitted"});
  ASSERT_TRUE(list.is_array());
  EXPECT_EQ(list.size(), 19u);
  for (const auto& r : list) EXPECT_FALSE(r["submitted_by"].get<std::string>().empty()) << r;
  const json show06 = liu_.json({"review", "show", "411325-ybj/2024/final06"});
  ASSERT_EQ(show06["submitted"]["warnings"].size(), 1u) << show06.dump(2);
  EXPECT_NE(show06["submitted"]["warnings"][0].get<std::string>().find("302"), std::string::npos);
  const std::string reason = "302 商品和服务支出与明细合计差 0.01 万元，请核对后重报";
  CliResult back = liu_.run({"review", "return", "411325-ybj/2024/final06", "--reason", reason});
  ASSERT_EQ(back.exit_code, 0) << back.err;
  sync(liu_);

  // zhang, the other 内乡 device, sees the return and its reason on reconnecting.
  sync(zhang_);
  const json status = zhang_.status();
  ASSERT_EQ(status["returned"].size(), 1u) << status.dump(2);
  EXPECT_EQ(status["returned"][0]["report"], "411325-ybj/2024/final06");
  EXPECT_EQ(status["returned"][0]["reason"], reason);
  EXPECT_EQ(status["returned"][0]["by"], "liu");
  // The fix: 302 to the sum of its parts, and the public-funds total with it.
  ASSERT_EQ(zhang_.run({"set", "411325-ybj/2024/final06", "302", "决算数", "18.18"}).exit_code, 0);
  ASSERT_EQ(
      zhang_.run({"set", "411325-ybj/2024/final06", "public_total", "决算数", "19.49"}).exit_code,
      0);
  CliResult resubmit = zhang_.run({"submit", "411325-ybj/2024/final06"});
  ASSERT_EQ(resubmit.exit_code, 0) << resubmit.out << resubmit.err;
  sync(zhang_);

  // The reviewer sees what changed since the first submission, then approves all.
  sync(liu_);
  const json again = liu_.json({"review", "show", "411325-ybj/2024/final06"});
  const json changes = again["changes_since_previous_submission"];
  ASSERT_EQ(changes.size(), 2u) << again.dump(2);
  EXPECT_EQ(changes[0]["row"], "302");
  EXPECT_EQ(changes[0]["before"], "18.19");
  EXPECT_EQ(changes[0]["after"], "18.18");
  EXPECT_EQ(changes[1]["row"], "public_total");
  EXPECT_TRUE(again["submitted"]["warnings"].empty());
  std::vector<std::string> approve{"review", "approve"};
  for (const auto& r : liu_.json({"review", "list", "--state", "submitted"}))
    approve.push_back(r["report"].get<std::string>());
  ASSERT_EQ(approve.size(), 21u);
  const CliResult approved = liu_.run(approve);
  ASSERT_EQ(approved.exit_code, 0) << approved.err;
  CliResult c24 = liu_.run({"consolidate", "--year", "2024"});
  ASSERT_EQ(c24.exit_code, 0) << c24.out << c24.err;
  CliResult c23 = liu_.run({"consolidate", "--year", "2023"});
  ASSERT_EQ(c23.exit_code, 0) << c23.out << c23.err;
  sync(liu_);

  const std::filesystem::path exported = dir_.path() / "liu-export";
  ASSERT_EQ(liu_.run({"export", "--all", "--format", "json", "-o", exported.string()}).exit_code,
            0);
  for (int n = 1; n <= 9; ++n) {
    const std::map<std::pair<std::string, std::string>, std::string> fix =
        n == 6 ? std::map<std::pair<std::string, std::string>, std::string>{{{"302", "amount"},
                                                                             "18.18"},
                                                                            {{"public_total",
                                                                              "amount"},
                                                                             "19.49"}}
               : std::map<std::pair<std::string, std::string>, std::string>{};
    expect_consolidated_equals_seed(exported, fmt::format("bureau/2024/final0{}", n),
                                    seed_folder("003_") / fmt::format("final0{}.json", n), fix);
    expect_consolidated_equals_seed(exported, fmt::format("bureau/2023/budget0{}", n),
                                    seed_folder("004_") / fmt::format("budget0{}.json", n));
  }
  // Naming the 本级 unit offsets the transfers between it and the others; the
  // seed units book none, so the table stays the sum and no offset is listed.
  const json offset =
      liu_.json({"consolidate", "--year", "2024", "--form", "final01", "--parent", "411325-ybj"});
  ASSERT_EQ(offset["forms"].size(), 1u) << offset.dump(2);
  EXPECT_EQ(offset["forms"][0]["parent"], "411325-ybj");
  EXPECT_TRUE(offset["forms"][0]["offsets"].empty());
  EXPECT_EQ(offset["forms"][0]["cells_changed"], 0);
  const CliResult stranger = liu_.run({"consolidate", "--year", "2024", "--parent", "999999-none"});
  EXPECT_NE(stranger.exit_code, 0);
  EXPECT_NE(stranger.err.find("999999-none"), std::string::npos) << stranger.err;
  // Approved on every device, and locked.
  sync(wang_);
  EXPECT_EQ(state(wang_, "411325-ybj/2024/final06"), "approved");
  EXPECT_EQ(wang_.run({"set", "411325-ybj/2024/final06", "302", "决算数", "1"}).exit_code, 1);
  // A reopened source makes the consolidation stale until it is rebuilt.
  ASSERT_EQ(
      liu_.run({"review", "reopen", "411325-ybj/2024/final01", "--reason", "收入数需与财政核对"})
          .exit_code,
      0);
  std::string stale;
  for (const auto& r : liu_.json({"review", "list", "--year", "2024"})) {
    if (r["report"] == "bureau/2024/final01") stale = r["consolidation_stale"];
  }
  EXPECT_NE(stale.find("411325-ybj/2024/final01"), std::string::npos) << stale;
  // The audit trail names every step with its server time.
  const json audit = liu_.json({"audit", "411325-ybj/2024/final06"});
  std::vector<std::string> steps;
  for (const auto& a : audit) {
    const std::string what = a["what"];
    if (what.rfind("上报", 0) == 0 || what.rfind("退回", 0) == 0 || what.rfind("审核", 0) == 0)
      steps.push_back(what.substr(0, 6));
  }
  EXPECT_EQ(steps, (std::vector<std::string>{"上报", "退回", "上报", "审核"}));
}

TEST_F(ReviewEndToEnd, AnOfflineEditToAReportSubmittedMeanwhileIsKeptAndReappliedAfterReturn) {
  const std::string final02 = "411325-ybj/2024/final02";
  ASSERT_EQ(wang_.run({"import", seed_folder("003_").string()}).exit_code, 0);
  sync(wang_);
  sync(zhang_);
  // zhang edits offline while wang submits the same report from his device.
  ASSERT_EQ(zhang_.run({"set", final02, "2101505", "本年收入合计", "123.45"}).exit_code, 0);
  ASSERT_EQ(wang_.run({"submit", final02}).exit_code, 0);
  sync(wang_);
  sync(zhang_);
  const json refused = zhang_.json({"conflicts"});
  ASSERT_EQ(refused["rejected"].size(), 1u) << refused.dump(2);
  const json edit = refused["rejected"][0];
  EXPECT_EQ(edit["value"], "123.45");
  EXPECT_EQ(edit["reason"].get<std::string>().rfind("report_locked:", 0), 0u) << edit;
  EXPECT_EQ(zhang_.status()["rejected_ops"], 1);
  EXPECT_EQ(state(zhang_, final02), "submitted");
  // The reviewer never sees the edit: the submitted report is what wang sent.
  sync(liu_);
  const std::string submitted_value = value(liu_, final02, "2101505", "本年收入合计");
  EXPECT_EQ(submitted_value, value(wang_, final02, "2101505", "本年收入合计"));
  EXPECT_NE(submitted_value, "123.45");
  // Re-applying is refused while the report is locked, accepted after a return.
  EXPECT_EQ(zhang_.run({"retry", edit["op"].get<std::string>()}).exit_code, 1);
  ASSERT_EQ(liu_.run({"review", "return", final02, "--reason", "请补充 2101505 的收入"}).exit_code,
            0);
  sync(liu_);
  sync(zhang_);
  CliResult retried = zhang_.run({"retry", edit["op"].get<std::string>()});
  ASSERT_EQ(retried.exit_code, 0) << retried.err;
  sync(zhang_);
  EXPECT_EQ(zhang_.status()["rejected_ops"], 0);
  sync(wang_);
  EXPECT_EQ(value(wang_, final02, "2101505", "本年收入合计"), "123.45");
}

TEST_F(ReviewEndToEnd, AReviewerSettlesAConflictBetweenTwoStaffOfAUnitBelow) {
  const std::string final02 = "411325-ybj/2024/final02";
  ASSERT_EQ(wang_.run({"import", seed_folder("003_").string()}).exit_code, 0);
  sync(wang_);
  sync(zhang_);
  ASSERT_EQ(wang_.run({"set", final02, "2101505", "本年收入合计", "111.00"}).exit_code, 0);
  ASSERT_EQ(zhang_.run({"set", final02, "2101505", "本年收入合计", "222.00"}).exit_code, 0);
  sync(wang_);
  sync(zhang_);
  sync(liu_);
  const json open = liu_.json({"conflicts", final02});
  ASSERT_EQ(open["conflicts"].size(), 1u) << open.dump(2);
  CliResult settled =
      liu_.run({"resolve", final02, "2101505", "本年收入合计", "--value", "111.00"});
  ASSERT_EQ(settled.exit_code, 0) << settled.err;
  sync(liu_);
  EXPECT_TRUE(liu_.json({"conflicts"})["rejected"].empty());
  sync(wang_);
  EXPECT_TRUE(wang_.json({"conflicts", final02})["conflicts"].empty());
  EXPECT_EQ(value(wang_, final02, "2101505", "本年收入合计"), "111.00");
}

TEST_F(ReviewEndToEnd, StaffCannotReviewAndAReviewerSeesOnlyTheirOwnBureau) {
  ASSERT_EQ(wang_.run({"import", seed_folder("003_").string()}).exit_code, 0);
  ASSERT_EQ(wang_.run({"submit", "411325-ybj/2024/final01"}).exit_code, 0);
  sync(wang_);
  CliResult approve = wang_.run({"review", "approve", "411325-ybj/2024/final01"});
  EXPECT_EQ(approve.exit_code, 1);
  EXPECT_NE(approve.err.find("只有报表上级单位的审核人"), std::string::npos) << approve.err;
  CliResult ret = wang_.run({"review", "return", "411325-ybj/2024/final01", "--reason", "x"});
  EXPECT_EQ(ret.exit_code, 1);
  CliResult consolidate = wang_.run({"consolidate", "--year", "2024"});
  EXPECT_EQ(consolidate.exit_code, 1);
  EXPECT_NE(consolidate.err.find("只有审核人才能汇总"), std::string::npos) << consolidate.err;
  EXPECT_EQ(state(wang_, "411325-ybj/2024/final01"), "submitted");
  // qian reviews another bureau: nothing of 内乡 reaches his replica.
  sync(qian_);
  EXPECT_TRUE(qian_.json({"review", "list"}).empty());
  EXPECT_EQ(qian_.run({"review", "approve", "411325-ybj/2024/final01"}).exit_code, 2);
}

}  // namespace
}  // namespace budgetsync::testing
