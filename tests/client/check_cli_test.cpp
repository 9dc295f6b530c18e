// `budgetsync check` as a user runs it: the real binary, its output and exit codes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace budgetsync::testing {
namespace {

const std::string kSeeds = seeds_dir().string();

TEST(CheckCli, JsonListsEveryFindingWithItsFields) {
  const CliResult r = run_budgetsync({"check", kSeeds, "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // the seeds hold real errors
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_TRUE(doc.is_array());
  ASSERT_FALSE(doc.empty());
  for (const auto& f : doc) {
    for (const char* field :
         {"rule_id", "severity", "report", "form_title", "row", "row_label", "column",
          "column_label", "stated", "expected", "difference", "message"}) {
      EXPECT_TRUE(f.contains(field)) << field;
    }
    for (const char* field : {"unit", "unit_name", "year", "form", "instance", "key"}) {
      EXPECT_TRUE(f["report"].contains(field)) << field;
    }
  }
  bool found = false;
  for (const auto& f : doc) {
    if (f["report"]["key"] == "411325-ybj/2024/perf-project:p03" &&
        f["rule_id"] == "perf-project.score.execution") {
      found = true;
      EXPECT_EQ(f["stated"], "6.10");
      EXPECT_EQ(f["expected"], "10.00");
      EXPECT_EQ(f["difference"], "-3.90");
      EXPECT_EQ(f["report"]["unit_name"], "内乡县医疗保障局");
    }
  }
  EXPECT_TRUE(found);
}

TEST(CheckCli, ReadableOutputAlignsAndSummarises) {
  const CliResult r = run_budgetsync({"check", kSeeds});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("内乡县医疗保障局 411325-ybj/2024/final06"), std::string::npos);
  EXPECT_NE(r.out.find("个错误"), std::string::npos);
  EXPECT_NE(r.out.find("绩效评分"), std::string::npos);
  EXPECT_TRUE(r.err.empty()) << r.err;  // no progress noise when not on a terminal
}

TEST(CheckCli, CleanDataExitsZero) {
  // Seed 001's evaluation team and self-evaluation report hold every rule (its
  // 整体支出绩效自评表 has warnings about its own 评分标准).
  const CliResult r = run_budgetsync(
      {"check", (seeds_dir() / "001_5c11e5d911459f7e" / "perf-team.json").string(),
       (seeds_dir() / "001_5c11e5d911459f7e" / "narrative_self-eval-report.json").string(),
       "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out), nlohmann::json::array());
}

TEST(CheckCli, WarningsOnTheStandardsTextAloneExitZero) {
  const CliResult r =
      run_budgetsync({"check", (seeds_dir() / "001_5c11e5d911459f7e").string(), "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc.size(), 4u);
  for (const auto& f : doc) EXPECT_EQ(f["severity"], "warning");
}

TEST(CheckCli, WarningsAloneDoNotFail) {
  const CliResult r = run_budgetsync(
      {"check", (seeds_dir() / "003_b1779cbacafc7ee6" / "final06.json").string(), "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc.size(), 1u);
  EXPECT_EQ(doc[0]["severity"], "warning");
}

TEST(CheckCli, ToleranceTurnsTheRoundingWarningIntoAnError) {
  const CliResult r =
      run_budgetsync({"check", (seeds_dir() / "003_b1779cbacafc7ee6" / "final06.json").string(),
                      "--json", "--tolerance", "0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(nlohmann::json::parse(r.out)[0]["severity"], "error");
  EXPECT_EQ(run_budgetsync({"check", kSeeds, "--tolerance", "abc"}).exit_code, 2);
}

struct BadInput {
  const char* name;
  const char* file_text;  // written to bad.json; nullptr: the path does not exist
  const char* expected_in_error;
};

class CheckCliBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(CheckCliBadInput, IsRefusedWithAClearMessage) {
  TempDir dir;
  const auto path = dir.path() / "bad.json";
  if (GetParam().file_text) dir.write("bad.json", GetParam().file_text);
  const CliResult r = run_budgetsync({"check", path.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("另有 1 个文件未能读取"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find(GetParam().expected_in_error), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad.json"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CheckCliBadInput,
    ::testing::Values(
        BadInput{"missing", nullptr, "bad.json：没有这个文件或文件夹"},
        BadInput{"not_json", "{ this is not json", "第 1 行第 4 列：不是有效的 JSON"},
        BadInput{
            "unknown_form",
            R"({"format": "budgetsync-report/1", "unit": "u", "year": 2024, "form": "final99", "rows": []})",
            "form：不认识的表“final99”"},
        BadInput{"non_numeric_amount",
                 R"({"format": "budgetsync-report/1", "unit": "u", "year": 2024, "form": "final01",
                     "rows": [{"key": "in_fiscal", "cells": {"amount": "两千"}}]})",
                 "rows[0]（行 in_fiscal），栏 amount：“两千”不是以万元为单位的金额"},
        BadInput{"unknown_row",
                 R"({"format": "budgetsync-report/1", "unit": "u", "year": 2024, "form": "final01",
                     "rows": [{"key": "in_fiscl", "cells": {"amount": "1"}}]})",
                 "rows[0]（行 in_fiscl）：表 final01 没有“in_fiscl”这一行"},
        BadInput{"unknown_column",
                 R"({"format": "budgetsync-report/1", "unit": "u", "year": 2024, "form": "final01",
                     "rows": [{"key": "in_fiscal", "cells": {"amout": "1"}}]})",
                 "栏 amout：“income”部分没有这一栏（有：amount）"},
        BadInput{
            "bad_year",
            R"({"format": "budgetsync-report/1", "unit": "u", "year": 24, "form": "final01", "rows": []})",
            "year：不是合理的预算年度"},
        BadInput{"wrong_format",
                 R"({"format": "csv", "unit": "u", "year": 2024, "form": "final01", "rows": []})",
                 "format：是“csv”，应为“budgetsync-report/1”"}),
    [](const auto& info) { return std::string(info.param.name); });

// A folder of a 财政局's 决算 with one broken file and codes outside the list:
// every readable file is checked, every problem named, in one run.
TEST(CheckCli, OneBadFileNeverStopsTheOthers) {
  TempDir dir;
  dir.write("a/final02.json",
            R"({"format": "budgetsync-report/1", "unit": "u", "year": 2024, "form": "final02",
      "rows": [{"key": "201", "cells": {"name": "一般公共服务支出", "total": "12"}},
               {"key": "20106", "cells": {"name": "财政事务", "total": "10"}},
               {"key": "2010601", "cells": {"name": "行政运行", "total": "10"}},
               {"key": "2080599", "cells": {"name": "其他行政事业单位养老支出", "total": "3"}}]})");
  dir.write("a/bad.json",
            R"({"format": "budgetsync-report/1", "unit": "u", "year": 2024, "form": "final09",
      "rows": [{"key": "sangong", "cells": {"final_total": "1O.83"}}]})");
  dir.write(
      "a/missing_form.json",
      R"({"format": "budgetsync-report/1", "unit": "u", "year": 2024, "form": "final99", "rows": []})");
  const CliResult r = run_budgetsync({"check", (dir.path() / "a").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("“1O.83”"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("final99"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("检查了 1 张报表"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("另有 2 个文件未能读取"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("u/2024/final02"), std::string::npos) << r.out;  // 201 (12) ≠ 20106 (10)

  const CliResult j = run_budgetsync({"check", (dir.path() / "a").string(), "--json"});
  EXPECT_EQ(j.exit_code, 2);
  const auto doc = nlohmann::json::parse(j.out);
  ASSERT_TRUE(doc.is_array());
  int refused = 0;
  bool hierarchy = false;
  for (const auto& f : doc) {
    if (f["rule_id"] == "file.refused") {
      ++refused;
      EXPECT_TRUE(f["report"].is_null());
      EXPECT_NE(f["source"].get<std::string>().find(".json"), std::string::npos);
    }
    if (f["rule_id"] == "final02.hierarchy" && f["row"] == "201") hierarchy = true;
  }
  EXPECT_EQ(refused, 2);
  EXPECT_TRUE(hierarchy) << j.out;
}

TEST(CheckCli, HelpIsTrueAndUsageErrorsExitTwo) {
  const CliResult help = run_budgetsync({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("check"), std::string::npos);
  EXPECT_NE(help.out.find("退出码"), std::string::npos);
  const CliResult check_help = run_budgetsync({"check", "--help"});
  EXPECT_EQ(check_help.exit_code, 0);
  EXPECT_NE(check_help.out.find("--json"), std::string::npos);
  EXPECT_NE(check_help.out.find("--tolerance"), std::string::npos);
  EXPECT_EQ(run_budgetsync({}).exit_code, 2);
  EXPECT_EQ(run_budgetsync({"check"}).exit_code, 2);
  EXPECT_EQ(run_budgetsync({"frobnicate"}).exit_code, 2);
}

TEST(CheckCli, DataFolderCanBeGiven) {
  TempDir empty;
  const CliResult r = run_budgetsync({"--data", empty.path().string(), "check", kSeeds});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("下没有表样"), std::string::npos) << r.err;
}

// A 财政局's 决算 with a code the shipped 2024 list lacks: a warning until the
// year's official list is loaded, then none; a bad list changes nothing.
TEST(CodesCli, AYearsListLoadedFromCsvTakesThePlaceOfTheShippedOne) {
  TempDir dir;
  dir.write("r/final02.json",
            R"({"format": "budgetsync-report/1", "unit": "u", "year": 2024, "form": "final02",
      "rows": [{"key": "201", "cells": {"name": "一般公共服务支出", "total": "10"}},
               {"key": "20106", "cells": {"name": "财政事务", "total": "10"}}]})");
  const std::string replica = (dir.path() / "replica").string();
  const std::string report = (dir.path() / "r" / "final02.json").string();
  auto unknown = [&] {
    const CliResult r = run_budgetsync({"--dir", replica, "check", report, "--json"});
    int n = 0;
    for (const auto& f : nlohmann::json::parse(r.out)) n += f["rule_id"] == "final02.codes.unknown";
    return n;
  };
  EXPECT_EQ(unknown(), 1);

  dir.write("bad.csv", "编码,名称\n201,一般公共服务支出\n2O106,财政事务\n");
  const CliResult bad = run_budgetsync(
      {"--dir", replica, "codes", "import", "2024", (dir.path() / "bad.csv").string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("第 3 行"), std::string::npos) << bad.err;
  EXPECT_EQ(unknown(), 1);  // nothing saved

  dir.write(
      "function-2024.csv",
      "编码,名称\n201,一般公共服务支出\n20106,财政事务\n2010601,行政运行\n210,卫生健康支出\n");
  const CliResult ok = run_budgetsync(
      {"--dir", replica, "codes", "import", "2024", (dir.path() / "function-2024.csv").string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("4 个编码"), std::string::npos) << ok.out;
  EXPECT_EQ(unknown(), 0);
}

}  // namespace
}  // namespace budgetsync::testing
