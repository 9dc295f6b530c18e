#include <gtest/gtest.h>

#include <string>

#include "shared/catalog.h"
#include "shared/code_list.h"
#include "shared/form_template.h"

namespace budgetsync {
namespace {

// A small valid form; tests break one field at a time.
std::string valid_form() {
  return R"({
    "format": "budgetsync-form/1", "id": "demo", "version": 2, "title": "演示表", "family": "决算",
    "table_no": "演示01表", "order": 3, "unit": "万元",
    "sections": [
      {"key": "main", "title": "", "code_list": "function", "label_column": "name",
       "columns": [{"key": "name", "label": "科目名称", "type": "text"},
                   {"key": "total", "label": "合计", "type": "amount", "col_no": "1", "computed": true},
                   {"key": "basic", "label": "基本支出", "type": "amount"}],
       "rows": [{"key": "total", "label": "合计"}]}
    ],
    "rules": [
      {"id": "hier", "kind": "hierarchy", "section": "main", "total_row": "total", "columns": ["total", "basic"]},
      {"id": "sum", "kind": "sum", "target": "total:total", "terms": ["210:total"]}
    ],
    "offsets": [{"pair": "subsidy", "side": "paid", "cell": ":basic"}]
  })";
}

Status load_error(const std::string& text) {
  auto t = parse_form_template(text, "demo.json");
  EXPECT_FALSE(t.ok());
  return t.status();
}

void replace(std::string& s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  ASSERT_NE(pos, std::string::npos) << from;
  s.replace(pos, from.size(), to);
}

TEST(FormTemplate, LoadsAValidTemplate) {
  auto t = parse_form_template(valid_form(), "demo.json");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->id, "demo");
  EXPECT_EQ(t->version, 2);
  EXPECT_EQ(t->display_name(), "演示01表 演示表");
  EXPECT_EQ(t->unit, MoneyUnit::kWanYuan);
  ASSERT_EQ(t->sections.size(), 1u);
  EXPECT_EQ(t->sections[0].column("total")->type, ColumnType::kAmount);
  EXPECT_TRUE(t->sections[0].column("total")->computed);
  ASSERT_EQ(t->rules.size(), 2u);
  EXPECT_EQ(t->rules[0].kind, RuleKind::kHierarchy);
  ASSERT_EQ(t->offsets.size(), 1u);
  EXPECT_EQ(t->offsets[0].pair, OffsetPair::kSubsidy);
  EXPECT_TRUE(offset_removes_parent(t->offsets[0].pair, t->offsets[0].side));
  EXPECT_EQ(t->offsets[0].cell.column, "basic");
  // Default grades: 优 from 90, 良 from 80, 中 from 60, else 差.
  ASSERT_EQ(t->scoring.grades.size(), 4u);
  EXPECT_EQ(t->scoring.grades[0].grade, "优");
}

struct BrokenCase {
  const char* name;
  const char* from;
  const char* to;
  const char* expected_in_message;
};

class BrokenTemplate : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(BrokenTemplate, ErrorNamesTheFileAndTheField) {
  std::string text = valid_form();
  replace(text, GetParam().from, GetParam().to);
  const Status s = load_error(text);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("demo.json："), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(GetParam().expected_in_message), std::string::npos) << s.message();
}

INSTANTIATE_TEST_SUITE_P(
    Fields, BrokenTemplate,
    ::testing::Values(
        BrokenCase{"missing_id", R"("id": "demo", )", "", "id：必填，但没有写"},
        BrokenCase{"id_with_slash", R"("id": "demo")", R"("id": "de/mo")", "id：“de/mo”"},
        BrokenCase{"wrong_format", "budgetsync-form/1", "budgetsync-form/9",
                   "format：是“budgetsync-form/9”，应为“budgetsync-form/1”"},
        BrokenCase{"bad_unit", R"("unit": "万元")", R"("unit": "千元")",
                   "unit：不认识的金额单位“千元”"},
        BrokenCase{"bad_column_type", R"("type": "amount", "col_no")",
                   R"("type": "money", "col_no")",
                   "sections[0].columns[1].type：不认识的栏类型“money”"},
        BrokenCase{"duplicate_column", R"("key": "basic")", R"("key": "total")",
                   "栏“total”定义了两次"},
        BrokenCase{"unknown_rule_row", R"("target": "total:total")", R"("target": "totl:total")",
                   "rules[1].target：本表没有“totl”这一行"},
        BrokenCase{"unknown_rule_column", R"("terms": ["210:total"])", R"("terms": ["210:amount"])",
                   "rules[1].terms[0]：“main”部分没有“amount”这一栏"},
        BrokenCase{"bad_reference", R"("terms": ["210:total"])", R"("terms": ["210-total"])",
                   "rules[1].terms[0]：“210-total”不是单元格引用"},
        BrokenCase{"unknown_kind", R"("kind": "sum")", R"("kind": "average")",
                   "rules[1].kind：不认识的规则类型“average”"},
        BrokenCase{"duplicate_rule_id", R"("id": "sum")", R"("id": "hier")",
                   "规则编号“hier”用了两次"},
        BrokenCase{"hierarchy_column", R"("columns": ["total", "basic"])",
                   R"("columns": ["total", "nope"])", "rules[0].columns：没有“nope”这一栏"},
        BrokenCase{"version_not_number", R"("version": 2)", R"("version": "2")",
                   "version：应是整数"},
        BrokenCase{"version_zero", R"("version": 2)", R"("version": 0)",
                   "version：版本号应为正整数，而不是 0"},
        BrokenCase{"from_year_out_of_range", R"("version": 2)", R"("version": 2, "from_year": 21)",
                   "from_year：21 不是适用的年度"},
        BrokenCase{"beside_not_the_section_before",
                   R"({"key": "main", "title": "", "code_list")",
                   R"({"key": "main", "beside": "income", "title": "", "code_list")",
                   "sections[0].beside：应是紧挨在这一部分之前的那一部分（“income”不是）"},
        BrokenCase{"print_block_row", R"("label_column": "name",)",
                   R"("label_column": "name", "print_blocks": [{"title": "甲", "rows": ["nope"]}],)",
                   "sections[0].print_blocks[0].rows：这一部分没有固定的“nope”行"},
        BrokenCase{"offset_pair", R"("pair": "subsidy")", R"("pair": "grant")",
                   "offsets[0].pair：应是 \"subsidy\" 或 \"remit\""},
        BrokenCase{"offset_column", R"("cell": ":basic")", R"("cell": ":project")",
                   "offsets[0].cell：本表没有“project”这一栏"},
        BrokenCase{"offset_amount_needs_a_row", R"("cell": ":basic")",
                   R"("cell": ":basic", "amount": "final03!210:subsidy")",
                   "offsets[0].cell：有“amount”的冲抵项只指一行"},
        BrokenCase{"json_syntax", R"("order": 3,)", R"("order": 3,,)",
                   "第 3 行第 43 列：不是有效的 JSON"}),
    [](const auto& info) { return std::string(info.param.name); });

// The official layout of a table changes between years; the report's year picks
// the version, and a report that names its version keeps it.
TEST(Catalog, AReportsYearPicksTheTemplateVersionItsLayoutIsFor) {
  Catalog catalog;
  auto add = [&](int version, int from_year, const std::string& title) {
    std::string text = valid_form();
    replace(text, R"("version": 2)",
                  "\"version\": " + std::to_string(version) +
                      (from_year ? ", \"from_year\": " + std::to_string(from_year) : ""));
    replace(text, "演示表", title);
    auto t = parse_form_template(text, "demo.json");
    ASSERT_TRUE(t.ok()) << t.status().message();
    ASSERT_TRUE(catalog.add_form(std::move(*t)).ok());
  };
  add(1, 2021, "2021式");
  add(2, 2024, "2024式");
  add(3, 2021, "2021式修订");  // a correction of the 2021 layout, made later
  auto title = [&](int year) { return catalog.form_for_year("demo", year)->title; };
  EXPECT_EQ(title(2021), "2021式修订");
  EXPECT_EQ(title(2023), "2021式修订");
  EXPECT_EQ(title(2024), "2024式");
  EXPECT_EQ(title(2030), "2024式");
  EXPECT_EQ(title(2019), "2021式修订");  // before every layout: the earliest there is
  EXPECT_EQ(catalog.form("demo", 1, 2024)->title, "2021式");  // a report's own version stays
  EXPECT_EQ(catalog.form("demo", 0, 2024)->title, "2024式");
  EXPECT_EQ(catalog.form("demo")->version, 3);  // newest, for listings
  EXPECT_EQ(catalog.form_for_year("nope", 2024), nullptr);
}

TEST(FormTemplate, ScoringDecimalsMustBeStringsNotFloats) {
  std::string text = valid_form();
  replace(text, R"("rules": [)",
          R"("scoring": {"grades": [{"min": 90.5, "grade": "优"}]}, "rules": [)");
  const Status s = load_error(text);
  EXPECT_NE(s.message().find("scoring.grades[0].min：应是写成字符串的小数"), std::string::npos)
      << s.message();
}

TEST(FormTemplate, StandardsMustNameAFixedRowOfTheScoredSection) {
  std::string text = valid_form();
  replace(text, R"("rules": [)",
          R"("scoring": {"standards": [{"row": "nope", "kind": "checklist", "input": "basic",
      "per_item": "1"}]}, "rules": [)");
  const Status s = load_error(text);
  EXPECT_NE(s.message().find("scoring.standards[0].row：本表没有固定的“nope”行"), std::string::npos)
      << s.message();
}

TEST(CellRef, ParsesEveryForm) {
  auto r = parse_cell_ref("-final06!personnel_total:amount");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->negate);
  EXPECT_EQ(r->form, "final06");
  EXPECT_EQ(r->row, "personnel_total");
  EXPECT_EQ(r->column, "amount");
  r = parse_cell_ref("*indicators:score");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->whole_section);
  EXPECT_EQ(r->row, "indicators");
  r = parse_cell_ref(":total");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->row.empty());
  EXPECT_FALSE(parse_cell_ref("total").ok());
  EXPECT_FALSE(parse_cell_ref("!a:b").ok());
  EXPECT_FALSE(parse_cell_ref("*:b").ok());
}

TEST(CodeList, DerivesParentsFromPrefixesAndRefusesBadEntries) {
  auto list = parse_code_list(R"({"format": "budgetsync-codes/1", "list": "function", "year": 2024,
      "entries": [{"code": "210", "name": "卫生健康支出"}, {"code": "21015", "name": "医疗保障管理事务"},
                  {"code": "2101501", "name": "行政运行"}]})",
                              "function.json");
  ASSERT_TRUE(list.ok()) << list.status().message();
  EXPECT_EQ(list->find("2101501")->parent, "21015");
  EXPECT_EQ(list->find("21015")->parent, "210");
  EXPECT_EQ(list->parent_of("2101599"), "21015");  // unknown code: nearest listed prefix
  auto dup = parse_code_list(R"({"format": "budgetsync-codes/1", "list": "x", "year": 2024,
      "entries": [{"code": "210", "name": "a"}, {"code": "210", "name": "b"}]})",
                             "x.json");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("x.json：entries[1].code：科目编码 210 列了两次"),
            std::string::npos);
  auto letters = parse_code_list(R"({"format": "budgetsync-codes/1", "list": "x", "year": 2024,
      "entries": [{"code": "21A", "name": "a"}]})",
                                 "x.json");
  ASSERT_FALSE(letters.ok());
  EXPECT_NE(letters.status().message().find("“21A”不是由数字组成的科目编码"), std::string::npos);
}

}  // namespace
}  // namespace budgetsync
