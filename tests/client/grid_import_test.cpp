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
  // Not a number: left as it is, for the column's reader to refuse.
  EXPECT_EQ(spreadsheet_number_text("十五"), "十五");
}

TEST(CellAddress, NamesColumnsAsSpreadsheetsDo) {
  EXPECT_EQ(cell_address(0, 0), "A1");
  EXPECT_EQ(cell_address(13, 3), "D14");
  EXPECT_EQ(cell_address(9, 25), "Z10");
  EXPECT_EQ(cell_address(0, 26), "AA1");
  EXPECT_EQ(cell_address(0, 701), "ZZ1");
  EXPECT_EQ(cell_address(0, 702), "AAA1");
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
  ASSERT_NE(r.cell("in_grand", "amount"), nullptr);
  EXPECT_EQ(r.cell("in_grand", "amount")->raw, "3000.00");
  ASSERT_NE(r.cell("ex_grand", "amount"), nullptr);
  EXPECT_EQ(r.cell("ex_grand", "amount")->raw, "3000.50");
  EXPECT_EQ(r.cell("x210", "amount")->raw, "2903.86");
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

}  // namespace
}  // namespace budgetsync::testing
