// The offline workflow as a user types it: init, import, show, set, add-row,
// validate, score, history, revert, export — and bad input refused with a clear
// message and no change.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "files/data_files.h"
#include "shared/text.h"
#include "test_support.h"

namespace budgetsync::testing {
namespace {

const std::string kFinal02 = "411325-ybj/2024/final02";
const std::string kP03 = "411325-ybj/2024/perf-project:p03";

class ReplicaCli : public ::testing::Test, public ReplicaCliFixture {
 protected:
  void SetUp() override {
    ASSERT_EQ(init("张三").exit_code, 0);
    const auto r = cli({"import", (seeds_dir() / "003_b1779cbacafc7ee6").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
};

TEST_F(ReplicaCli, InitTwiceIsRefused) {
  const CliResult r = cli({"init", "--unit", "411325-ybj"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("这里已有本地副本"), std::string::npos);
}

TEST_F(ReplicaCli, CommandsWithoutAReplicaSayHowToMakeOne) {
  TempDir empty;
  const CliResult r = run_budgetsync({"--dir", empty.path().string(), "reports"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("budgetsync init --unit"), std::string::npos);
}

TEST_F(ReplicaCli, ReportsListsStateAndValidation) {
  const auto list = json_of({"reports"});
  ASSERT_EQ(list.size(), 23u);
  bool saw_final06 = false;
  for (const auto& r : list) {
    EXPECT_EQ(r["state"], "draft");
    if (r["report"] == "411325-ybj/2024/final06") {
      saw_final06 = true;
      EXPECT_EQ(r["errors"], 0);
      EXPECT_EQ(r["warnings"], 1);  // the 0.01 尾差
    }
  }
  EXPECT_TRUE(saw_final06);
}

TEST_F(ReplicaCli, ShowLaysOutTheFormInWanYuan) {
  const CliResult r = cli({"show", kFinal02});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("公开02表 收入决算表"), std::string::npos);
  EXPECT_NE(r.out.find("单位：万元"), std::string::npos);
  EXPECT_NE(r.out.find("2,945.68"), std::string::npos);
  EXPECT_NE(r.out.find("本年收入合计(1)※"), std::string::npos);  // computed column marked
  // Chinese labels are padded by display width: the amount columns line up.
  size_t col_first = std::string::npos, col_second = std::string::npos;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("210 ", 0) == 0)
      col_first = budgetsync::display_width(line.substr(0, line.find("2,945.68")));
    if (line.rfind("2101505", 0) == 0)
      col_second = budgetsync::display_width(line.substr(0, line.find("15.00")));
  }
  ASSERT_NE(col_first, std::string::npos);
  // "2,945.68" and "15.00" end in the same column: right-aligned amounts.
  EXPECT_EQ(col_first + 8, col_second + 5);
}

TEST_F(ReplicaCli, EditValidateHistoryRevert) {
  auto r = cli({"set", kFinal02, "2101505", "本年收入合计", "16.00"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("15.00 → 16.00"), std::string::npos);
  const CliResult v = cli({"validate", kFinal02});
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_NE(v.out.find("2101505 医疗保障政策管理"), std::string::npos);
  const auto history = json_of({"history", kFinal02, "2101505", "total"});
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0]["value"], "15.00");
  EXPECT_EQ(history[0]["kind"], "import");
  EXPECT_EQ(history[1]["value"], "16.00");
  EXPECT_EQ(history[1]["author"], "张三");
  ASSERT_EQ(cli({"revert", kFinal02, "2101505", "total", "--to", "1"}).exit_code, 0);
  EXPECT_EQ(cli({"validate", kFinal02}).exit_code, 0);
  EXPECT_EQ(json_of({"history", kFinal02, "2101505", "total"}).size(), 3u);
  const auto status = json_of({"status"});
  EXPECT_EQ(status["pending_ops"], op_count());
  EXPECT_EQ(status["online"], false);
}

TEST_F(ReplicaCli, ScoreShowsStatedBesideRecomputed) {
  const CliResult r = cli({"--json", "score", kP03});
  EXPECT_EQ(r.exit_code, 1);  // 6.10 disagrees with its rule
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["stated_total"], "93.21");
  EXPECT_EQ(doc["grade"], "优");
  bool found = false;
  for (const auto& item : doc["items"]) {
    if (item["row"] == "funds_total") {
      found = true;
      EXPECT_EQ(item["stated"], "6.10");
      EXPECT_EQ(item["computed"], "10.00");
      EXPECT_EQ(item["agrees"], false);
    }
    if (item["row"] == "i02") {
      EXPECT_EQ(item["computed"], "9.11");
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(ReplicaCli, AddAndDeleteRows) {
  auto r = cli({"--json", "add-row", kP03, "--section", "indicators", "--after", "i02",
                "level3=维修面积", "target=≥100平方米", "actual=120平方米", "weight=5", "score=5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string row = nlohmann::json::parse(r.out)["row"];
  EXPECT_NE(cli({"show", kP03}).out.find(row), std::string::npos);
  ASSERT_EQ(cli({"delete-row", kP03, row}).exit_code, 0);
  EXPECT_EQ(cli({"show", kP03}).out.find(row), std::string::npos);
  EXPECT_EQ(cli({"delete-row", kP03, "funds_total"}).exit_code, 1);
}

struct BadEdit {
  const char* name;
  std::vector<std::string> args;
  int exit_code;
  const char* message;
};

class ReplicaCliBadInput : public ReplicaCli, public ::testing::WithParamInterface<BadEdit> {};

TEST_P(ReplicaCliBadInput, IsRefusedAndChangesNothing) {
  const size_t ops = op_count();
  const std::string before = cli({"show", kFinal02, "--csv"}).out;
  const CliResult r = cli(GetParam().args);
  EXPECT_EQ(r.exit_code, GetParam().exit_code) << r.err;
  EXPECT_NE(r.err.find(GetParam().message), std::string::npos) << r.err;
  EXPECT_EQ(op_count(), ops);
  EXPECT_EQ(cli({"show", kFinal02, "--csv"}).out, before);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ReplicaCliBadInput,
    ::testing::Values(
        BadEdit{"non_numeric_amount",
                {"set", kFinal02, "2101505", "total", "15元5角"},
                2,
                "“15元5角”不是以万元为单位的金额"},
        BadEdit{"unknown_column", {"set", kFinal02, "2101505", "合计数", "1"}, 2, "没有“合计数”栏"},
        BadEdit{"unknown_row",
                {"set", kFinal02, "9999999", "total", "1"},
                2,
                "科目编码 9999999 不在 2024 年的"},
        BadEdit{"unknown_report",
                {"set", "411325-ybj/2024/final99", "210", "total", "1"},
                2,
                "本副本中没有报表 411325-ybj/2024/final99"},
        BadEdit{
            "bad_report_key", {"set", "final02", "210", "total", "1"}, 2, "“final02”不是报表名"},
        BadEdit{"bad_rate", {"set", kP03, "funds_total", "rate", "全部"}, 2, "“全部”不是比率"},
        BadEdit{"reimport",
                {"import", (seeds_dir() / "003_b1779cbacafc7ee6" / "final02.json").string()},
                1,
                "已在本副本中，未作任何改动"},
        // One line per cell names no report: it needs --report (a CSV laid out as
        // the table names its own).
        BadEdit{"csv_without_report",
                {"import", std::string(BUDGETSYNC_TEST_EXCEL_SCRIPTS) + "/long.csv"},
                2,
                "要用 --report"},
        BadEdit{"revert_too_far",
                {"revert", kFinal02, "2101505", "total", "--to", "5"},
                2,
                "没有第 5 个值"},
        BadEdit{"add_row_bad_value",
                {"add-row", kP03, "--section", "indicators", "weight=五"},
                2,
                "“五”不是分值"},
        BadEdit{"add_row_bad_cell",
                {"add-row", kP03, "--section", "indicators", "weight"},
                2,
                "“weight”不是“栏=值”的写法"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(ReplicaCli, ExportRoundTripsAndPrints) {
  TempDir out;
  const auto json_file = out.path() / "p03.json";
  ASSERT_EQ(cli({"export", kP03, "--format", "json", "-o", json_file.string()}).exit_code, 0);
  // The exported file checks exactly like the seed it came from.
  const CliResult a = run_budgetsync({"--json", "check", json_file.string()});
  const CliResult b =
      run_budgetsync({"--json", "check",
                      (seeds_dir() / "003_b1779cbacafc7ee6" / "perf-project_p03.json").string()});
  EXPECT_EQ(a.out, b.out);
  const CliResult html = cli({"export", kFinal02, "--format", "html"});
  ASSERT_EQ(html.exit_code, 0);
  EXPECT_NE(html.out.find("<!DOCTYPE html>"), std::string::npos);
  EXPECT_NE(html.out.find("<h1>公开02表 收入决算表</h1>"), std::string::npos);
  EXPECT_NE(html.out.find("@page{size:A4"), std::string::npos);
  EXPECT_NE(html.out.find("2,945.68"), std::string::npos);
  const CliResult csv = cli({"export", kFinal02, "--format", "csv-long"});
  EXPECT_NE(csv.out.find("main,2101505,医疗保障政策管理,total,本年收入合计,15.00"),
            std::string::npos);
  EXPECT_EQ(cli({"export", kFinal02, "--format", "docx"}).exit_code, 2);
}

TEST_F(ReplicaCli, ExportAllWritesEveryReportAndTheyCheckLikeTheSeeds) {
  TempDir out;
  const CliResult r =
      cli({"--json", "export", "--all", "--format", "json", "-o", out.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["exported"].size(), 23u);
  const CliResult exported = run_budgetsync({"--json", "check", out.path().string()});
  const CliResult seeds =
      run_budgetsync({"--json", "check", (seeds_dir() / "003_b1779cbacafc7ee6").string()});
  EXPECT_EQ(nlohmann::json::parse(exported.out), nlohmann::json::parse(seeds.out));
  EXPECT_EQ(cli({"export", "--all"}).exit_code, 2);            // needs a folder
  EXPECT_EQ(cli({"export", kFinal02, "--all"}).exit_code, 2);  // one or the other
}

TEST_F(ReplicaCli, CsvImportOfOneTableNamesTheLineOfABadCell) {
  TempDir in;
  const auto good = in.write("t.csv", "row,column,value\ntotal,total,10.83\n");
  (void)good;
  const auto bad = in.write("bad.csv", "row,column,value\n210,total,1\n21015,total,十\n");
  const CliResult r = cli({"import", "--report", "411325-ybj/2023/final02", bad.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.csv：第 3 行（行 21015，栏 total）：“十”不是以万元为单位的金额"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(cli({"show", "411325-ybj/2023/final02"}).exit_code, 2);  // nothing imported
  const auto csv = in.write("ok.csv",
                            "section,row,row_label,column,column_label,value\nmain,210,"
                            "卫生健康支出,total,合计,\"1,000.00\"\n");
  ASSERT_EQ(cli({"import", "--report", "411325-ybj/2023/final02", csv.string()}).exit_code, 0);
  EXPECT_NE(cli({"show", "411325-ybj/2023/final02"}).out.find("1,000.00"), std::string::npos);
}

TEST_F(ReplicaCli, CsvImportReadsTheTablesMoneyUnitLine) {
  TempDir in;
  // A table kept in 元 on a form printed in 万元: the replica keeps the
  // table's own unit, shows and exports it in 元, and never reads 10,000 元 as
  // 10,000 万元.
  const auto yuan =
      in.write("yuan.csv", "金额单位：元\nrow,column,value\n210,total,\"10,000.00\"\n");
  const CliResult r = cli({"import", "--report", "411325-ybj/2023/final02", yuan.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const CliResult shown = cli({"show", "411325-ybj/2023/final02"});
  EXPECT_NE(shown.out.find("单位：元"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("10,000.00"), std::string::npos) << shown.out;
  const auto out = in.path() / "out.csv";
  ASSERT_EQ(
      cli({"export", "411325-ybj/2023/final02", "--format", "csv-long", "-o", out.string()}).exit_code,
      0);
  auto exported = read_file(out);
  ASSERT_TRUE(exported.ok());
  EXPECT_EQ(exported->rfind("金额单位：元\n", 0), 0u) << *exported;
  const auto bad = in.write("bad.csv", "金额单位：千元\nrow,column,value\n210,total,1\n");
  const CliResult b = cli({"import", "--report", "411325-ybj/2023/final02", bad.string()});
  EXPECT_EQ(b.exit_code, 2);
  EXPECT_NE(b.err.find("金额单位：千元"), std::string::npos) << b.err;
  const auto wan = in.write("wan.csv", "单位：万元,,\nrow,column,value\n210,total,1.50\n");
  ASSERT_EQ(cli({"import", "--report", "411325-ybj/2022/final02", wan.string()}).exit_code, 0);
  const CliResult w = cli({"show", "411325-ybj/2022/final02"});
  EXPECT_NE(w.out.find("1.50"), std::string::npos);
  EXPECT_NE(w.out.find("单位：万元"), std::string::npos) << w.out;
}

}  // namespace
}  // namespace budgetsync::testing
