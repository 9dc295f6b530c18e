#include <gtest/gtest.h>

#include <set>

#include "files/data_files.h"
#include "test_support.h"

namespace budgetsync::client {
namespace {

using budgetsync::testing::TempDir;

TEST(ShippedData, EveryTemplateAndCodeListLoads) {
  auto catalog = load_catalog(budgetsync::testing::data_dir());
  ASSERT_TRUE(catalog.ok()) << catalog.status().message();
  std::set<std::string> ids;
  for (const FormTemplate* f : catalog->forms()) ids.insert(f->id);
  // Every form of the seeds: 部门预算 1–9 and 绩效目标 (004), 公开01–09 (003), 基础数据表,
  // both whole-department self-evaluation variants, the project table, the team,
  // the grading sheet and narrative text.
  for (const char* id : {"budget01",
                         "budget02",
                         "budget03",
                         "budget04",
                         "budget05",
                         "budget06",
                         "budget07",
                         "budget08",
                         "budget09",
                         "budget-target-dept",
                         "budget-target-project",
                         "final01",
                         "final02",
                         "final03",
                         "final04",
                         "final05",
                         "final06",
                         "final07",
                         "final08",
                         "final09",
                         "basic-data",
                         "perf-dept-sn",
                         "perf-dept-hn",
                         "perf-project",
                         "perf-team",
                         "grading-sheet",
                         "narrative"}) {
    EXPECT_TRUE(ids.count(id)) << "missing form " << id;
  }
  EXPECT_NE(catalog->code_list("function", 2024), nullptr);
  EXPECT_NE(catalog->code_list("economic", 2023), nullptr);
  EXPECT_EQ(catalog->code_list("function", 2030)->year(), 2024);  // newest list not after the year
}

TEST(ShippedData, CodeListsCoverEveryCodeOfTheSeeds) {
  auto catalog = load_catalog(budgetsync::testing::data_dir());
  ASSERT_TRUE(catalog.ok());
  // Loading checks each coded row against the year's code list.
  auto reports = load_reports({budgetsync::testing::seeds_dir()}, *catalog);
  ASSERT_TRUE(reports.ok()) << reports.status().message();
  size_t coded_rows = 0;
  for (const auto& r : *reports) {
    for (const auto& row : r.rows) {
      if (!row.key.empty() && std::isdigit(static_cast<unsigned char>(row.key[0]))) {
        const FormTemplate* t = catalog->form(r.key.form);
        const CodeList* list = catalog->code_list(t->section(row.section)->code_list, r.key.year);
        ASSERT_NE(list, nullptr);
        const CodeEntry* e = list->find(row.key);
        ASSERT_NE(e, nullptr) << row.key;
        // The name printed in the seed is the list's name for that code.
        if (const ReportCell* name = r.cell(row.key, "name")) {
          EXPECT_EQ(name->raw, e->name) << row.key;
        }
        ++coded_rows;
      }
    }
  }
  EXPECT_GT(coded_rows, 200u);
}

TEST(LoadCatalog, ABrokenTemplateNamesItsFileAndField) {
  TempDir dir;
  dir.write(
      "forms/x.json",
      R"({"format": "budgetsync-form/1", "id": "x", "version": 1, "title": "t", "family": "决算",
      "sections": [{"key": "main", "columns": [{"key": "a", "label": "A", "type": "decimal"}], "rows": [{"key": "r"}]}]})");
  auto catalog = load_catalog(dir.path());
  ASSERT_FALSE(catalog.ok());
  EXPECT_NE(catalog.status().message().find(
                "x.json：sections[0].columns[0].type：不认识的栏类型“decimal”"),
            std::string::npos)
      << catalog.status().message();
}

TEST(LoadCatalog, ACrossTableReferenceToAMissingFormIsRefused) {
  TempDir dir;
  dir.write(
      "forms/x.json",
      R"({"format": "budgetsync-form/1", "id": "x", "version": 1, "title": "t", "family": "决算",
      "sections": [{"key": "main", "columns": [{"key": "a", "label": "A", "type": "amount"}], "rows": [{"key": "r"}]}],
      "rules": [{"id": "c", "kind": "cross_table", "target": "r:a", "terms": ["nowhere!r:a"]}]})");
  auto catalog = load_catalog(dir.path());
  ASSERT_FALSE(catalog.ok());
  EXPECT_NE(catalog.status().message().find("规则 c：“nowhere!r:a”引用的表“nowhere”没有安装"),
            std::string::npos)
      << catalog.status().message();
}

TEST(LoadCatalog, AMissingFolderSaysWhereItLooked) {
  TempDir dir;
  auto catalog = load_catalog(dir.path() / "nope");
  ASSERT_FALSE(catalog.ok());
  EXPECT_NE(catalog.status().message().find("下没有表样"), std::string::npos);
}

TEST(LoadReports, TheSameReportTwiceIsRefused) {
  auto catalog = load_catalog(budgetsync::testing::data_dir());
  ASSERT_TRUE(catalog.ok());
  const auto file = budgetsync::testing::seeds_dir() / "003_b1779cbacafc7ee6" / "final01.json";
  auto reports = load_reports({file, file}, *catalog);
  ASSERT_FALSE(reports.ok());
  EXPECT_NE(reports.status().message().find("报表 411325-ybj/2024/final01 也在"),
            std::string::npos);
}

}  // namespace
}  // namespace budgetsync::client
