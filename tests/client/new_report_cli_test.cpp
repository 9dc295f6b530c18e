// A new user starting from nothing, as they type it: `new` makes an empty
// report, `show` lists its rows with the keys and labels `set` takes, rows are
// named by label too, options go where people put them, and every refusal on
// the way is in Chinese and changes nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <tuple>

#include "test_support.h"

namespace budgetsync::testing {
namespace {

const std::string kNew01 = "411325-ybj/2025/final01";
const std::string kNew02 = "411325-ybj/2025/final02";

class NewReportCli : public ::testing::Test, public ReplicaCliFixture {
 protected:
  void SetUp() override {
    const CliResult r = init("王会计");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  static bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }
};

TEST_F(NewReportCli, NewMakesAnEmptyReportThatShowListsAndSetFills) {
  const CliResult made = cli({"new", kNew01});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_TRUE(has(made.out, "已新建 " + kNew01)) << made.out;
  const auto list = json_of({"reports"});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["report"], kNew01);
  EXPECT_EQ(list[0]["state"], "draft");
  EXPECT_EQ(list[0]["cells"], 0);
  // Every fixed row, blank, with the key and the label `set` takes.
  const CliResult shown = cli({"show", kNew01});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_TRUE(has(shown.out, "in_fiscal")) << shown.out;
  EXPECT_TRUE(has(shown.out, "一、一般公共预算财政拨款收入"));
  EXPECT_TRUE(has(shown.out, "x210"));
  EXPECT_TRUE(has(shown.out, "in_grand"));
  EXPECT_TRUE(has(shown.out, "九、卫生健康支出"));
  const CliResult set = cli({"set", kNew01, "in_fiscal", "amount", "3,359.62"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_TRUE(has(cli({"show", kNew01}).out, "3,359.62"));
  // The creation and the edit are operations waiting to be sent.
  EXPECT_EQ(json_of({"status"})["pending_ops"], 2);
}

TEST_F(NewReportCli, ACodedFormShowsItsTotalRowAndTakesCodesFromTheList) {
  ASSERT_EQ(cli({"new", kNew02}).exit_code, 0);
  const CliResult shown = cli({"show", kNew02});
  EXPECT_TRUE(has(shown.out, "total")) << shown.out;
  EXPECT_TRUE(has(shown.out, "合计"));
  ASSERT_EQ(cli({"set", kNew02, "2101505", "本年收入合计", "15.00"}).exit_code, 0);
  EXPECT_TRUE(has(cli({"show", kNew02}).out, "医疗保障政策管理"));
}

TEST_F(NewReportCli, AProjectFormNeedsAnInstanceAndShowsHowToAddItsFirstIndicator) {
  ASSERT_EQ(cli({"new", "411325-ybj/2025/perf-project:p01"}).exit_code, 0);
  const CliResult shown = cli({"show", "411325-ybj/2025/perf-project:p01"});
  EXPECT_TRUE(has(shown.out, "funds_total")) << shown.out;
  EXPECT_TRUE(has(shown.out, "年度资金总额"));
  EXPECT_TRUE(has(shown.out, "--section indicators")) << shown.out;
  const CliResult added = cli({"add-row", "411325-ybj/2025/perf-project:p01", "--section",
                               "indicators", "level3=维修面积", "weight=5"});
  EXPECT_EQ(added.exit_code, 0) << added.err;
}

TEST_F(NewReportCli, SetNamesARowByItsLabelAsPeopleTypeIt) {
  ASSERT_EQ(cli({"new", kNew01}).exit_code, 0);
  // The printed label without its numbering, with spaces or full-width forms.
  for (const auto& [label, key, value] :
       {std::tuple{"一般公共预算财政拨款收入", "in_fiscal", "100.00"},
        std::tuple{"（九）卫生 健康支出", "x210", "90.00"},
        std::tuple{"本年　收入合计", "in_total", "1.00"}}) {
    const CliResult r = cli({"--json", "set", kNew01, label, "决算数", value});
    ASSERT_EQ(r.exit_code, 0) << label << ": " << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["row"], key) << label;
  }
  // A code by its name in the year's code list; a row added to the report by
  // its label column.
  ASSERT_EQ(cli({"new", kNew02}).exit_code, 0);
  const CliResult coded = cli({"--json", "set", kNew02, "医疗保障政策管理", "本年收入合计", "15"});
  ASSERT_EQ(coded.exit_code, 0) << coded.err;
  EXPECT_EQ(nlohmann::json::parse(coded.out)["row"], "2101505");
  const std::string p01 = "411325-ybj/2025/perf-project:p01";
  ASSERT_EQ(cli({"new", p01}).exit_code, 0);
  const CliResult added =
      cli({"--json", "add-row", p01, "--section", "indicators", "level3=维修面积"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const CliResult indicator = cli({"--json", "set", p01, "维修面积", "分值", "5"});
  ASSERT_EQ(indicator.exit_code, 0) << indicator.err;
  EXPECT_EQ(nlohmann::json::parse(indicator.out)["row"], nlohmann::json::parse(added.out)["row"]);
}

TEST_F(NewReportCli, AnAmbiguousLabelIsRefusedNamingEveryCandidate) {
  const std::string final04 = "411325-ybj/2025/final04";
  ASSERT_EQ(cli({"new", final04}).exit_code, 0);
  ASSERT_EQ(cli({"new", kNew02}).exit_code, 0);
  const size_t ops = op_count();
  const CliResult r = cli({"set", final04, "一般公共预算财政拨款", "金额", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(has(r.err, "可指 2 行")) << r.err;
  EXPECT_TRUE(has(r.err, "in_general（一、一般公共预算财政拨款）")) << r.err;
  EXPECT_TRUE(has(r.err, "in_opening_general（一般公共预算财政拨款）")) << r.err;
  const CliResult code = cli({"set", kNew02, "其他社会保障和就业支出", "本年收入合计", "1"});
  EXPECT_EQ(code.exit_code, 2);
  EXPECT_TRUE(has(code.err, "可指 2 行")) << code.err;
  const CliResult none = cli({"set", kNew02, "没有这一行", "本年收入合计", "1"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_TRUE(has(none.err, "没有“没有这一行”这一行")) << none.err;
  EXPECT_EQ(op_count(), ops);
}

TEST_F(NewReportCli, OptionsAreTakenBeforeOrAfterTheCommand) {
  ASSERT_EQ(cli({"new", kNew02}).exit_code, 0);
  // --json after the command prints one JSON document.
  const CliResult reports = cli({"reports", "--json"});
  ASSERT_EQ(reports.exit_code, 0) << reports.err;
  const auto list = nlohmann::json::parse(reports.out, nullptr, false);
  ASSERT_TRUE(list.is_array()) << reports.out;
  EXPECT_EQ(list.size(), 1u);
  const CliResult status = cli({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const auto doc = nlohmann::json::parse(status.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << status.out;
  EXPECT_EQ(doc["reports"], 1);
  EXPECT_EQ(doc["pending_ops"], 1);
  // The replica and the data folders, named after the command.
  const CliResult shown = run_budgetsync(
      {"show", kNew02, "--dir", dir_.path().string(), "--data", data_dir().string()});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_TRUE(has(shown.out, "合计"));
  const CliResult set = run_budgetsync(
      {"set", kNew02, "total", "total", "1.00", "--json", "--dir", dir_.path().string()});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(nlohmann::json::parse(set.out)["after"], "1.00");
  // A mistyped option is a usage error, said in Chinese.
  const CliResult typo = cli({"reports", "--jsno"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_TRUE(has(typo.err, "不认识的参数：--jsno")) << typo.err;
}

TEST_F(NewReportCli, HelpListsNewLabelsAndTheOptionsOfEveryCommand) {
  const CliResult help = run_budgetsync({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(has(help.out, "new")) << help.out;
  EXPECT_TRUE(has(help.out, "新建一张空表"));
  const CliResult set = run_budgetsync({"set", "--help"});
  EXPECT_TRUE(has(set.out, "表上印的行名")) << set.out;
  EXPECT_TRUE(has(set.out, "3359.62万"));
  for (const char* command : {"reports", "status", "new", "show"}) {
    const CliResult r = run_budgetsync({command, "--help"});
    EXPECT_TRUE(has(r.out, "--json")) << command << ": " << r.out;
    EXPECT_TRUE(has(r.out, "--dir")) << command;
  }
}

TEST_F(NewReportCli, AmountsAreTakenAsPeopleTypeThemAndKeptAsPlainDigits) {
  ASSERT_EQ(cli({"new", kNew01}).exit_code, 0);
  for (const auto& [typed, kept] :
       {std::pair{"3359.62万", "3359.62"}, std::pair{"３３５９．６２", "3359.62"},
        std::pair{"３，３５９．６２万", "3,359.62"}, std::pair{"1,000元", "1,000元"}}) {
    const CliResult r = cli({"--json", "set", kNew01, "in_fiscal", "决算数", typed});
    ASSERT_EQ(r.exit_code, 0) << typed << ": " << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["after"], kept) << typed;
  }
  const CliResult shown = cli({"show", kNew01});
  EXPECT_TRUE(has(shown.out, "0.10")) << shown.out;  // 1,000 元 in 万元
}

TEST_F(NewReportCli, EveryRefusalOnTheWayIsInChineseAndChangesNothing) {
  ASSERT_EQ(cli({"new", kNew02}).exit_code, 0);
  const size_t ops = op_count();
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {{"set", "411325-ybj/2025/final03", "total", "total", "1"},
            2,
            "本副本中没有报表 411325-ybj/2025/final03"},
           {{"set", kNew02, "total", "total", "3359.62万x"}, 2, "不是以万元为单位的金额"},
           {{"set", kNew02, "total", "合计数", "1"}, 2, "没有“合计数”栏"},
           {{"set", kNew02, "9999999", "total", "1"}, 2, "科目编码 9999999 不在"},
           {{"set", "411325-ybj/2025", "total", "total", "1"}, 2, "不是报表名"},
           {{"add-row", kNew02, "name=x"}, 2, "没有可以添加的行"},
           {{"add-row", "411325-ybj/2025/final03", "name=x"}, 2, "本副本中没有报表"},
           {{"show", "411325-ybj/2025/final03"}, 2, "本副本中没有报表"},
           {{"delete-row", kNew02, "total"}, 1, "是表样本身的行，不能删除"},
           {{"set", kNew02, "total"}, 2, "缺少必填的参数"}}) {
    const CliResult r = cli(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.args[0] << " " << r.err;
    EXPECT_TRUE(has(r.err, c.message)) << r.err;
    EXPECT_TRUE(has(r.err, "budgetsync")) << r.err;
  }
  EXPECT_EQ(op_count(), ops);
}

struct BadNew {
  const char* name;
  std::string report;
  int exit_code;
  const char* message;
};

class NewReportCliRefuses : public NewReportCli, public ::testing::WithParamInterface<BadNew> {};

TEST_P(NewReportCliRefuses, InChineseAndChangesNothing) {
  ASSERT_EQ(cli({"new", kNew02}).exit_code, 0);
  ASSERT_EQ(cli({"set", kNew02, "total", "total", "10.00"}).exit_code, 0);
  const size_t ops = op_count();
  const std::string before = cli({"show", kNew02}).out;
  const CliResult r = cli({"new", GetParam().report});
  EXPECT_EQ(r.exit_code, GetParam().exit_code) << r.err;
  EXPECT_TRUE(has(r.err, GetParam().message)) << r.err;
  EXPECT_EQ(op_count(), ops);
  EXPECT_EQ(json_of({"reports"}).size(), 1u);
  EXPECT_EQ(cli({"show", kNew02}).out, before);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, NewReportCliRefuses,
    ::testing::Values(
        BadNew{"existing", kNew02, 1, "已在本副本中，未作任何改动"},
        BadNew{"unknown_form", "411325-ybj/2025/final99", 2, "没有表样“final99”"},
        BadNew{"bad_unit_code", "411325 ybj/2025/final02", 2, "不是单位编码"},
        BadNew{"other_unit", "411326-ybj/2025/final02", 1, "不认识该单位"},
        BadNew{"project_without_instance", "411325-ybj/2025/perf-project", 2, "每个项目填一张"},
        BadNew{"instance_on_yearly_form", "411325-ybj/2025/final02:p01", 2, "每年只填一张"}),
    [](const auto& info) { return std::string(info.param.name); });

// A row is named as people say it: “财政拨款” for the printed
// “其中：财政拨款（当年财政拨款）”, when no row is labelled exactly so.
TEST_F(NewReportCli, ARowIsNamedWithoutTheNoteInBracketsAfterItsLabel) {
  const std::string p01 = "411325-ybj/2024/perf-project:p01";
  ASSERT_EQ(cli({"new", p01}).exit_code, 0);
  const CliResult set = cli({"set", p01, "财政拨款", "年初预算数", "150"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  const auto shown = json_of({"show", p01});
  std::string stored;
  for (const auto& r : shown["rows"]) {
    if (r["key"] == "funds_fiscal") stored = r["cells"].value("initial", "");
  }
  EXPECT_EQ(stored, "150");
  // A word that is no label, with or without a note, is still refused.
  EXPECT_EQ(cli({"set", p01, "当年财政拨款", "年初预算数", "1"}).exit_code, 2);
}

// Templates versioned by year (issue 14, item 8): a data folder with a second
// layout of 公开01表 for reports from 2025 on. A report's year picks the layout
// it is made with; the 2024 report keeps the old rows and rules.
TEST_F(NewReportCli, AReportsYearPicksTheLayoutOfThatYear) {
  TempDir data;
  std::filesystem::copy(data_dir(), data.path(), std::filesystem::copy_options::recursive);
  const auto old_file = data.path() / "forms" / "final" / "final01.json";
  std::ifstream in(old_file);
  nlohmann::json form = nlohmann::json::parse(in);
  form["version"] = 2;
  form["from_year"] = 2025;
  auto& rows = form["sections"][0]["rows"];
  ASSERT_EQ(rows[0]["key"], "in_fiscal");
  rows[0]["label"] = "一、财政拨款收入（新式样）";
  data.write("forms/final/final01-2025.json", form.dump(2));
  const std::string d = data.path().string();

  ASSERT_EQ(cli({"new", kNew01, "--data", d}).exit_code, 0);
  ASSERT_EQ(cli({"new", "411325-ybj/2024/final01", "--data", d}).exit_code, 0);
  const CliResult shown_2025 = cli({"show", kNew01, "--data", d});
  ASSERT_EQ(shown_2025.exit_code, 0) << shown_2025.err;
  EXPECT_TRUE(has(shown_2025.out, "一、财政拨款收入（新式样）")) << shown_2025.out;
  const CliResult shown_2024 = cli({"show", "411325-ybj/2024/final01", "--data", d});
  EXPECT_TRUE(has(shown_2024.out, "一、一般公共预算财政拨款收入")) << shown_2024.out;
  EXPECT_FALSE(has(shown_2024.out, "新式样"));
  // A row is named by the label of its report's own layout.
  EXPECT_EQ(cli({"set", kNew01, "财政拨款收入（新式样）", "amount", "1.00", "--data", d}).exit_code, 0);
  const CliResult old_label = cli({"set", "411325-ybj/2024/final01", "财政拨款收入（新式样）",
                                   "amount", "1.00", "--data", d});
  EXPECT_EQ(old_label.exit_code, 2) << old_label.out;
  // The layouts' versions are what the replica keeps and exports.
  const CliResult exported = cli({"export", kNew01, "--format", "json", "--data", d});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(nlohmann::json::parse(exported.out)["template_version"], 2);
}

}  // namespace
}  // namespace budgetsync::testing
