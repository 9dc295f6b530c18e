// Finding reports in a spreadsheet, without files: numbers a spreadsheet
// stores as binary floating point come back as the decimals people typed;
// sections printed side by side are told apart; what is left out is listed
// with its address.
#include "client/grid_import.h"

#include <gtest/gtest.h>

#include "catalog_support.h"
#include "client/grid.h"

namespace budgetsync::testing {
namespace {

using client::cell_address;
using client::Grid;
using client::GridCell;
using client::GridImportOptions;
using client::GridSheet;
using client::import_grid;
using client::spreadsheet_number_text;

const Catalog& catalog() {
  return shipped_catalog();
}

TEST(SpreadsheetNumber, IsTheDecimalPeopleTypedNotTheDoubleStoredForIt) {
  EXPECT_EQ(spreadsheet_number_text("9.199999999999999"), "9.2");
  EXPECT_EQ(spreadsheet_number_text("2945.6799999999998"), "2945.68");
  EXPECT_EQ(spreadsheet_number_text("0.30000000000000004"), "0.3");
  EXPECT_EQ(spreadsheet_number_text("-8.8599999999999994"), "-8.86");
  EXPECT_EQ(spreadsheet_number_text("1.2345E-2"), "0.012345");
  EXPECT_EQ(spreadsheet_number_text("1.5E+3"), "1500");
  EXPECT_EQ(spreadsheet_number_text("1E+15"), "1000000000000000");
  EXPECT_EQ(spreadsheet_number_text("99999999999999999"), "100000000000000000");
  EXPECT_EQ(spreadsheet_number_text("0.99999999999999999"), "1");
  EXPECT_EQ(spreadsheet_number_text("-0"), "0");
  EXPECT_EQ(spreadsheet_number_text("0.000"), "0");
  EXPECT_EQ(spreadsheet_number_text("1234500"), "1234500");
  EXPECT_EQ(spreadsheet_number_text("2903.8592"), "2903.8592");
  // The stored double rounded once, as Excel shows it (not the text rounded).
  EXPECT_EQ(spreadsheet_number_text("7391649.754285715"), "7391649.75428571");
  EXPECT_EQ(spreadsheet_number_text("1E-20"), "0.00000000000000000001");
  // Not a number: left as it is, for the column's reader to refuse.
  EXPECT_EQ(spreadsheet_number_text("十五"), "十五");
  EXPECT_EQ(spreadsheet_number_text("1E5x"), "1E5x");
  EXPECT_EQ(spreadsheet_number_text("nan"), "nan");
}

TEST(CellAddress, NamesColumnsAsSpreadsheetsDo) {
  EXPECT_EQ(cell_address(0, 0), "A1");
  EXPECT_EQ(cell_address(13, 3), "D14");
  EXPECT_EQ(cell_address(9, 25), "Z10");
  EXPECT_EQ(cell_address(0, 26), "AA1");
  EXPECT_EQ(cell_address(0, 701), "ZZ1");
  EXPECT_EQ(cell_address(0, 702), "AAA1");
}

// A cell's text, or "(none)" when the report has no such cell.
std::string raw_of(const Report& r, const char* row, const char* column) {
  const ReportCell* c = r.cell(row, column);
  return c ? c->raw : "(none)";
}

GridCell text(std::string s) {
  return GridCell{GridCell::Kind::kText, std::move(s), false, -1, ""};
}
GridCell number(std::string s) {
  return GridCell{GridCell::Kind::kNumber, std::move(s), false, -1, ""};
}

// 公开01表 as a sheet: 收入 and 支出 side by side, both ending in 总计, no
// keys; a notes line with a number under the table.
Grid final01_sheet() {
  GridSheet s;
  s.name = "Sheet1";
  s.put(0, 0, text("收入支出决算总表"));
  s.put(1, 0, text("编制单位：内乡县医疗保障局"));
  s.put(1, 3, text("2024年度"));
  s.put(1, 5, text("单位：万元"));
  const char* heads[] = {"项目", "行次", "决算数", "项目", "行次", "决算数"};
  for (int c = 0; c < 6; ++c) s.put(2, c, text(heads[c]));
  s.put(3, 0, text("一、一般公共预算财政拨款收入"));
  s.put(3, 2, number("2945.68"));
  s.put(3, 3, text("九、卫生健康支出"));
  s.put(3, 5, number("2903.86"));
  s.put(4, 0, text("总计"));
  s.put(4, 2, number("3000"));
  s.put(4, 3, text("总计"));
  s.put(4, 5, number("3000.5"));
  s.put(6, 0, text("注：本表含结转"));
  s.put(6, 2, number("12"));
  Grid g;
  g.source = "决算.xlsx";
  g.sheets.push_back(std::move(s));
  return g;
}

TEST(GridImport, SidesOfATableAreToldApartAndWhatIsLeftOutIsNamed) {
  GridImportOptions options;
  options.unit = "411325-ybj";
  auto found = import_grid(final01_sheet(), catalog(), options);
  ASSERT_TRUE(found.ok()) << found.status().message();
  ASSERT_EQ(found->reports.size(), 1u);
  const Report& r = found->reports.front();
  EXPECT_EQ(r.key.to_string(), "411325-ybj/2024/final01");
  EXPECT_EQ(raw_of(r, "in_grand", "amount"), "3000.00");
  EXPECT_EQ(raw_of(r, "ex_grand", "amount"), "3000.50");
  EXPECT_EQ(raw_of(r, "x210", "amount"), "2903.86");
  EXPECT_EQ(found->matched.front().stated_unit, MoneyUnit::kWanYuan);
  // The notes line holds a number: it is listed, not silently dropped.
  ASSERT_EQ(found->unmatched.size(), 1u);
  EXPECT_EQ(found->unmatched.front().address, "A7");
}

TEST(GridImport, ASheetWithoutAYearAsksForOne) {
  Grid g = final01_sheet();
  g.sheets.front().cells.erase({1, 3});
  GridImportOptions options;
  options.unit = "411325-ybj";
  auto refused = import_grid(g, catalog(), options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("--year"), std::string::npos);
  options.year = 2023;
  auto found = import_grid(g, catalog(), options);
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_EQ(found->reports.front().key.year, 2023);
}

// A sheet from rows of cells: "#12.5" is a number, "" no cell, anything else text.
GridSheet sheet_of(std::string name, const std::vector<std::vector<std::string>>& rows) {
  GridSheet s;
  s.name = std::move(name);
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < rows[r].size(); ++c) {
      const std::string& v = rows[r][c];
      if (v.empty()) continue;
      s.put(static_cast<int>(r), static_cast<int>(c), v[0] == '#' ? number(v.substr(1)) : text(v));
    }
  }
  return s;
}

Result<client::GridImport> import_sheets(std::vector<GridSheet> sheets) {
  Grid g;
  g.source = "表.xlsx";
  g.sheets = std::move(sheets);
  GridImportOptions options;
  options.unit = "411325-ybj";
  return import_grid(g, catalog(), options);
}

TEST(GridImport, ACodeSplitIntoClassKuanItemTakesTheClassFromAbove) {
  // 项目 over 科目编码 over 类 | 款 | 项, 金额单位 on the fourth line, a date above.
  auto found = import_sheets(
      {sheet_of("Sheet1", {{"收入决算表"},
                           {"填报日期：2025年3月1日"},
                           {"", "", "", "2024年度"},
                           {"", "", "", "金额单位：元"},
                           {"项目", "", "", "", "本年收入合计", "财政拨款收入"},
                           {"科目编码", "", "", "科目名称"},
                           {"类", "款", "项"},
                           {"合计", "", "", "", "#2945680", "#2945680"},
                           {"210", "", "", "卫生健康支出", "#2945680", "#2945680"},
                           {"", "15", "", "医疗保障管理事务", "#2945680", "#2945680"},
                           {"", "", "01", "行政运行", "#150000", "#150000"},
                           {"", "", "05", "医疗保障经办事务", "#2795680", "#2795680", "#12.5"}})});
  ASSERT_TRUE(found.ok()) << found.status().message();
  const Report& r = found->reports.front();
  EXPECT_EQ(r.key.to_string(), "411325-ybj/2024/final02");
  EXPECT_EQ(raw_of(r, "total", "total"), "294.568");
  EXPECT_EQ(raw_of(r, "21015", "name"), "医疗保障管理事务");
  EXPECT_EQ(raw_of(r, "2101501", "fiscal"), "15.00");
  EXPECT_EQ(raw_of(r, "2101505", "total"), "279.568");
  // The number right of the table, under no heading, is named.
  ASSERT_EQ(found->unmatched.size(), 1u);
  EXPECT_EQ(found->unmatched.front().address, "G12");
}

TEST(GridImport, StackedSidesAndGroupsWithoutMergedCellsAreRead) {
  // 公开01表 with 支出 under 收入 (both end in 总计), and 公开09表's 预算数 and 决算数
  // written once over their columns, as an .xls or a CSV keeps them.
  auto found = import_sheets(
      {sheet_of("公开01表", {{"收入支出决算总表"},
                             {"2024年度"},
                             {"项目", "行次", "决算数"},
                             {"本年收入合计", "27", "#100"},
                             {"总计", "31", "#120"},
                             {"项目", "行次", "决算数"},
                             {"本年支出合计", "58", "#90"},
                             {"总计", "", "#120.5"}}),
       sheet_of("公开09表", {{"财政拨款“三公”经费支出决算表"},
                             {"2024年度"},
                             {"", "预算数", "", "", "决算数"},
                             {"项目", "合计", "因公出国（境）费", "公务接待费", "合计",
                              "因公出国（境）费", "公务接待费"},
                             {"“三公”经费", "#25", "#0", "#10", "#10.83", "#0", "#5.03"}})});
  ASSERT_TRUE(found.ok()) << found.status().message();
  ASSERT_EQ(found->reports.size(), 2u);
  const Report& f01 = found->reports[0];
  EXPECT_EQ(raw_of(f01, "in_grand", "amount"), "120.00");
  EXPECT_EQ(raw_of(f01, "ex_grand", "amount"), "120.50");
  const Report& f09 = found->reports[1];
  EXPECT_EQ(raw_of(f09, "sangong", "budget_reception"), "10.00");
  EXPECT_EQ(raw_of(f09, "sangong", "final_total"), "10.83");
  EXPECT_EQ(raw_of(f09, "sangong", "final_reception"), "5.03");
  EXPECT_TRUE(found->unmatched.empty());
}

TEST(GridImport, AHiddenSheetIsLeftOutAndTwoSheetsOfOneReportAreRefused) {
  GridSheet hidden = sheet_of(
      "旧表",
      {{"收入支出决算总表"}, {"2024年度"}, {"项目", "行次", "决算数"}, {"总计", "31", "#1"}});
  hidden.hidden = true;
  GridSheet shown = sheet_of(
      "公开01表",
      {{"收入支出决算总表"}, {"2024年度"}, {"项目", "行次", "决算数"}, {"总计", "31", "#2"}});
  auto found = import_sheets({hidden, shown});
  ASSERT_TRUE(found.ok()) << found.status().message();
  ASSERT_EQ(found->reports.size(), 1u);
  EXPECT_EQ(found->reports.front().cell("in_grand", "amount")->raw, "2.00");
  ASSERT_EQ(found->unmatched.size(), 1u);
  EXPECT_EQ(found->unmatched.front().sheet, "旧表");
  hidden.hidden = false;
  auto twice = import_sheets({hidden, shown});
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("工作表“旧表”和“公开01表”都是报表"), std::string::npos)
      << twice.status().message();
}

}  // namespace
}  // namespace budgetsync::testing
