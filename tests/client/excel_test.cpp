// Excel in and out, as clerks exchange the tables: every seed report through
// one workbook and back with the same cells; the workbook as an independent
// reader (openpyxl) sees it — paper layout, number formats, formulas carrying
// their values, A4 page setup, findings linked to their cells; a workbook a
// clerk typed (amounts in 元, merged headings, numbered labels, a blank row)
// and a legacy .xls import with the right amounts; a bad cell is refused by
// its sheet and address and nothing is written; CSV laid out as the table.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "catalog_support.h"

namespace budgetsync::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path script(const std::string& name) {
  return fs::path(BUDGETSYNC_TEST_EXCEL_SCRIPTS) / name;
}

CliResult python(std::vector<std::string> args) {
  return run_program(BUDGETSYNC_TEST_PYTHON, args);
}

// The workbook as openpyxl reads it (read_workbook.py).
json read_with_openpyxl(const fs::path& workbook) {
  const CliResult r = python({script("read_workbook.py").string(), workbook.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out, nullptr, false);
}

const Catalog& catalog() {
  return shipped_catalog();
}

// Every report of a replica folder, read back from its JSON export.
std::map<ReportKey, Report> reports_of(const ReplicaCliFixture& replica, const fs::path& out) {
  const CliResult r = replica.cli({"export", "--all", "--format", "json", "-o", out.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(out)) files.push_back(e.path());
  auto loaded = load_reports(files, catalog());
  EXPECT_TRUE(loaded.ok()) << loaded.status().message();
  std::map<ReportKey, Report> by_key;
  if (loaded.ok()) {
    for (auto& rep : *loaded) by_key.emplace(rep.key, std::move(rep));
  }
  return by_key;
}

// What a cell holds, as a comparable string: 分 for money, the exact decimal
// for rates and scores, the text otherwise.
std::string value_of(const CellValue& v) {
  switch (v.kind()) {
    case CellValue::Kind::kBlank:
      return "";
    case CellValue::Kind::kNotApplicable:
      return "n/a";
    case CellValue::Kind::kMoney:
      return "fen:" + std::to_string(v.as_money().fen());
    case CellValue::Kind::kDecimal:
      return "dec:" + v.as_decimal().normalized().to_string();
    case CellValue::Kind::kText:
      return "text:" + v.as_text();
  }
  return "?";
}

std::map<std::pair<std::string, std::string>, std::string> cells_of(const Report& r) {
  std::map<std::pair<std::string, std::string>, std::string> out;
  for (const auto& row : r.rows) {
    for (const auto& [col, cell] : row.cells) {
      if (!cell.value.is_blank()) out[{row.key, col}] = value_of(cell.value);
    }
  }
  return out;
}

class Excel : public ::testing::Test, public ReplicaCliFixture {
 protected:
  void SetUp() override { ASSERT_EQ(init("王会计").exit_code, 0); }

  static bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }
  TempDir files_;
};

// A second replica, to import into.
class OtherReplica : public ReplicaCliFixture {
 public:
  OtherReplica() { init("李会计"); }
};

TEST_F(Excel, EverySeedReportComesBackFromOneWorkbookWithTheSameCells) {
  for (const auto& seed : fs::directory_iterator(seeds_dir())) {
    const CliResult r = cli({"import", "--allow-other-units", seed.path().string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const fs::path workbook = files_.path() / "报表.xlsx";
  const CliResult exported =
      cli({"--json", "export", "--all", "--format", "xlsx", "-o", workbook.string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(json::parse(exported.out)["sheets"], 57);

  OtherReplica other;
  const CliResult imported =
      other.cli({"--json", "import", "--allow-other-units", workbook.string()});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  const json answer = json::parse(imported.out);
  EXPECT_EQ(answer["imported"].size(), 57u);
  EXPECT_TRUE(answer["files"][0]["unmatched"].empty()) << answer.dump(2);

  const auto before = reports_of(*this, files_.path() / "before");
  const auto after = reports_of(other, files_.path() / "after");
  ASSERT_EQ(before.size(), 57u);
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [key, report] : before) {
    SCOPED_TRACE(key.to_string());
    auto it = after.find(key);
    ASSERT_NE(it, after.end());
    const Report& back = it->second;
    EXPECT_EQ(cells_of(back), cells_of(report));
    EXPECT_EQ(back.template_version, report.template_version);
    EXPECT_EQ(back.money_unit, report.money_unit);
    EXPECT_EQ(back.unit_name, report.unit_name);
    EXPECT_EQ(back.source, report.source);
    EXPECT_EQ(encode_not_in_source(back.not_in_source), encode_not_in_source(report.not_in_source));
  }
}

TEST_F(Excel, AnIndependentReaderSeesThePaperLayout) {
  ASSERT_EQ(cli({"import", (seeds_dir() / "003_b1779cbacafc7ee6").string()}).exit_code, 0);
  const fs::path workbook = files_.path() / "决算.xlsx";
  ASSERT_EQ(cli({"export", "--all", "--format", "xlsx", "-o", workbook.string()}).exit_code, 0);
  const json book = read_with_openpyxl(workbook);
  ASSERT_TRUE(book.is_object());

  // 公开01表: title, 单位 / 年度 / 金额单位, 收入 and 支出 side by side with 行次.
  const json& s01 = book["公开01表 收入支出决算总表"];
  ASSERT_TRUE(s01.is_object()) << book.dump().substr(0, 400);
  EXPECT_EQ(s01["cells"]["B1"]["value"], "公开01表 收入支出决算总表");
  EXPECT_EQ(s01["cells"]["B2"]["value"], "单位：内乡县医疗保障局");
  EXPECT_EQ(s01["cells"]["E2"]["value"], "2024年度");
  EXPECT_EQ(s01["cells"]["H2"]["value"], "金额单位：万元");
  EXPECT_EQ(s01["cells"]["B3"]["value"], "收入");
  EXPECT_EQ(s01["cells"]["F3"]["value"], "支出");
  for (const char* at : {"B4", "F4"}) EXPECT_EQ(s01["cells"][at]["value"], "项目");
  for (const char* at : {"C4", "G4"}) EXPECT_EQ(s01["cells"][at]["value"], "行次");
  EXPECT_EQ(s01["cells"]["B5"]["value"], "栏次");
  EXPECT_EQ(s01["cells"]["B6"]["value"], "一、一般公共预算财政拨款收入");
  EXPECT_EQ(s01["cells"]["C6"]["value"], "1");
  EXPECT_EQ(s01["cells"]["D6"]["value"], 2945.68);
  EXPECT_EQ(s01["cells"]["D6"]["format"], "#,##0.00####");
  const json merged = s01["merged"];
  for (const char* range : {"B1:H1", "B3:D3", "F3:H3"})
    EXPECT_NE(std::find(merged.begin(), merged.end(), range), merged.end()) << range;
  // Row keys are in hidden columns; the page is A4, headings repeat, numbered pages.
  EXPECT_EQ(s01["hidden_columns"], json::array({"A", "E"}));
  EXPECT_EQ(s01["paper"], 9);
  EXPECT_EQ(s01["fit_to_page"], true);  // one page wide, as long as it needs
  EXPECT_EQ(s01["fit_height"], 0);
  EXPECT_EQ(s01["print_titles"], "$1:$5");
  EXPECT_EQ(s01["footer"], "第 &P 页 共 &N 页");
  // A total that agrees with its rule is a formula that carries its value.
  bool formula = false;
  for (const auto& [at, cell] : s01["cells"].items()) {
    if (!cell.contains("formula")) continue;
    formula = true;
    EXPECT_EQ(cell["formula"].get<std::string>().front(), '=');
    EXPECT_FALSE(cell["value"].is_null()) << at;
  }
  EXPECT_TRUE(formula);

  // 公开09表: 预算数 and 决算数 over their columns, landscape, frozen below the headings.
  const json& s09 = book["公开09表 财政拨款“三公”经费支出决算表"];
  ASSERT_TRUE(s09.is_object());
  EXPECT_EQ(s09["orientation"], "landscape");
  EXPECT_EQ(s09["cells"]["C3"]["value"], "预算数");
  EXPECT_EQ(s09["cells"]["C4"]["value"], "合计");
  EXPECT_EQ(s09["cells"]["I3"]["value"], "决算数");
  const json m09 = s09["merged"];
  EXPECT_NE(std::find(m09.begin(), m09.end(), "C3:H3"), m09.end()) << m09.dump();
  EXPECT_NE(std::find(m09.begin(), m09.end(), "I3:N3"), m09.end()) << m09.dump();
  EXPECT_EQ(s09["freeze"], "C6");

  // 公开06表: 人员经费 and 公用经费 side by side, each with its codes.
  const json& s06 = book["公开06表 一般公共预算财政拨款基本支出决算明细表"];
  ASSERT_TRUE(s06.is_object());
  EXPECT_EQ(s06["cells"]["B3"]["value"], "人员经费");
  EXPECT_EQ(s06["cells"]["F3"]["value"], "公用经费");
  std::string left, right;
  for (const auto& [at, cell] : s06["cells"].items()) {
    if (cell["value"] == "30101") left = at;
    if (cell["value"] == "30201") right = at;
  }
  EXPECT_EQ(left.substr(0, 1), "B");
  EXPECT_EQ(right.substr(0, 1), "F");

  // 公开02表 names its rows by code.
  const json& s02 = book["公开02表 收入决算表"];
  EXPECT_EQ(s02["cells"]["B3"]["value"], "科目编码");
  bool code = false;
  for (const auto& [at, cell] : s02["cells"].items()) code = code || cell["value"] == "2101505";
  EXPECT_TRUE(code);

  // The findings, each linked to the cell it is about.
  const json& found = book["校验结果"];
  ASSERT_TRUE(found.is_object());
  EXPECT_EQ(found["cells"]["A1"]["value"], "严重程度");
  int links = 0;
  for (const auto& [at, cell] : found["cells"].items()) {
    if (!cell.contains("link") || cell["link"].is_null()) continue;
    const std::string target = cell["link"];
    const size_t bang = target.rfind('!');
    ASSERT_NE(bang, std::string::npos) << target;
    std::string sheet = target.substr(0, bang);
    if (sheet.size() > 1 && sheet.front() == '\'') sheet = sheet.substr(1, sheet.size() - 2);
    EXPECT_TRUE(book.contains(sheet)) << target;
    ++links;
  }
  EXPECT_GT(links, 0);
  EXPECT_EQ(book["budgetsync"]["state"], "hidden");
}

TEST_F(Excel, AClerksSelfEvaluationInYuanImportsInWanYuan) {
  const fs::path workbook = files_.path() / "自评表.xlsx";
  const CliResult made = python({script("write_self_eval.py").string(), workbook.string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string key = "411325-ybj/2025/perf-project:training";
  const CliResult r = cli({"import", "--report", key, workbook.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_TRUE(has(r.out, "元")) << r.out;  // the stated unit is shown before writing
  const json report = json_of({"show", key});
  std::map<std::pair<std::string, std::string>, std::string> cells;
  for (const auto& row : report["rows"]) {
    for (const auto& [col, v] : row["cells"].items()) cells[{row["key"], col}] = v;
  }
  // 1,234,500 元 is 123.45 万元; 0 stays 0; a blank stays blank.
  EXPECT_EQ((cells[{"funds_total", "initial"}]), "123.45");
  EXPECT_EQ((cells[{"funds_total", "spent"}]), "120.00");
  EXPECT_EQ((cells[{"funds_fiscal", "full_year"}]), "123.45");
  EXPECT_EQ((cells[{"funds_other", "spent"}]), "0.00");
  EXPECT_FALSE(cells.count({"funds_carryover", "initial"}));
  EXPECT_EQ((cells[{"funds_total", "rate"}]), "97.21%");
  EXPECT_EQ((cells[{"funds_total", "score"}]), "9.72");
  EXPECT_EQ((cells[{"header", "name"}]), "乡镇医保经办能力提升培训");
  EXPECT_EQ((cells[{"header", "implementer"}]), "内乡县医疗保障事业中心");
  EXPECT_EQ((cells[{"goals", "expected"}]), "培训乡镇经办人员300人次");
  EXPECT_EQ((cells[{"total", "weight"}]), "100");
  EXPECT_EQ((cells[{"total", "score"}]), "98.72");
  // Three indicators, the blank row skipped, the numbered label read as written.
  std::vector<std::string> level3;
  for (const auto& row : report["rows"]) {
    if (row["section"] == "indicators") level3.push_back(row["cells"].value("level3", ""));
  }
  EXPECT_EQ(level3, (std::vector<std::string>{"培训人次", "培训合格率", "参训人员满意度"}));
  bool first = false;
  for (const auto& row : report["rows"]) {
    if (row["section"] == "indicators" && row["cells"].value("level3", "") == "培训合格率") {
      EXPECT_EQ(row["cells"]["actual"], "97%");  // 0.97 shown as 97%
      EXPECT_EQ(row["cells"]["weight"], "30");
    }
    if (row["section"] == "indicators" && row["cells"].value("level3", "") == "培训人次")
      first = row["cells"].value("level1", "") == "一、产出指标";
  }
  EXPECT_TRUE(first);
}

TEST_F(Excel, ABadCellIsRefusedByItsSheetAndAddressAndNothingIsWritten) {
  const fs::path workbook = files_.path() / "收入决算表.xlsx";
  ASSERT_EQ(python({script("write_final02.py").string(), workbook.string(), "text"}).exit_code, 0);
  const CliResult r = cli({"import", workbook.string()});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(has(r.err, "公开02表!D14：“十五”不是金额")) << r.err;
  EXPECT_EQ(json_of({"reports"}).size(), 0u);

  ASSERT_EQ(python({script("write_final02.py").string(), workbook.string(), "formula"}).exit_code,
            0);
  const CliResult f = cli({"import", workbook.string()});
  EXPECT_EQ(f.exit_code, 2);
  EXPECT_TRUE(has(f.err, "公开02表!D14：公式没有保存计算结果")) << f.err;
  EXPECT_EQ(json_of({"reports"}).size(), 0u);
}

TEST_F(Excel, DryRunShowsWhatMatchedAndWritesNothing) {
  const fs::path workbook = files_.path() / "收入决算表.xlsx";
  ASSERT_EQ(python({script("write_final02.py").string(), workbook.string(), "good"}).exit_code, 0);
  const json preview = json_of({"import", "--dry-run", workbook.string()});
  ASSERT_TRUE(preview.is_object()) << preview;
  EXPECT_EQ(preview["dry_run"], true);
  const json& file = preview["files"][0];
  ASSERT_EQ(file["sheets"].size(), 1u);
  EXPECT_EQ(file["sheets"][0]["sheet"], "公开02表");
  EXPECT_EQ(file["sheets"][0]["report"], "411325-ybj/2024/final02");
  EXPECT_EQ(file["sheets"][0]["money_unit"], "万元");
  ASSERT_EQ(file["unmatched"].size(), 1u);
  EXPECT_EQ(file["unmatched"][0]["sheet"], "说明");
  EXPECT_EQ(json_of({"reports"}).size(), 0u);
  // Imported for real: the codes and amounts as typed.
  ASSERT_EQ(cli({"import", workbook.string()}).exit_code, 0);
  const json report = json_of({"show", "411325-ybj/2024/final02"});
  bool seen = false;
  for (const auto& row : report["rows"]) {
    if (row["key"] == "2101503") {
      EXPECT_EQ(row["cells"]["total"], "10.00");
      EXPECT_EQ(row["cells"]["name"], "项目3");
      seen = true;
    }
  }
  EXPECT_TRUE(seen) << report.dump();
}

TEST_F(Excel, ALegacyXlsOfTheOldSoftwareImports) {
  const fs::path workbook = files_.path() / "决算.xls";
  const CliResult made = python({script("write_xls.py").string(), workbook.string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const CliResult r = cli({"import", workbook.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json report = json_of({"show", "411325-ybj/2024/final01"});
  std::map<std::string, std::string> amount;
  for (const auto& row : report["rows"]) amount[row["key"]] = row["cells"].value("amount", "");
  EXPECT_EQ(amount["in_fiscal"], "2945.68");
  EXPECT_EQ(amount["x210"], "2903.86");
  EXPECT_EQ(amount["in_total"], "2945.68");
  EXPECT_EQ(amount["ex_total"], "2903.86");
}

TEST_F(Excel, CsvIsTheTableAsItLooksAndImportsBack) {
  ASSERT_EQ(
      cli({"import", (seeds_dir() / "003_b1779cbacafc7ee6" / "final01.json").string()}).exit_code,
      0);
  const fs::path csv = files_.path() / "公开01表.csv";
  ASSERT_EQ(
      cli({"export", "411325-ybj/2024/final01", "--format", "csv", "-o", csv.string()}).exit_code,
      0);
  auto text = read_file(csv);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->rfind("\xEF\xBB\xBF公开01表 收入支出决算总表\r\n", 0), 0u) << text->substr(0, 80);
  EXPECT_TRUE(has(*text, "项目,行次,决算数,项目,行次,决算数\r\n")) << *text;
  EXPECT_TRUE(has(*text, "一、一般公共预算财政拨款收入,1,2945.68,一、一般公共服务支出,32,"));
  // The long format stays, as csv-long.
  const CliResult long_csv = cli({"export", "411325-ybj/2024/final01", "--format", "csv-long"});
  EXPECT_TRUE(has(long_csv.out, "section,row,row_label,column,column_label,value"));

  OtherReplica other;
  const CliResult r = other.cli({"import", csv.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto before = reports_of(*this, files_.path() / "a");
  const auto after = reports_of(other, files_.path() / "b");
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(cells_of(after.begin()->second), cells_of(before.begin()->second));
}

}  // namespace
}  // namespace budgetsync::testing
