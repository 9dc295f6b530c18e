// Consolidation (汇总) over the seed units' real tables: additive cells are the
// sums, derived cells are recomputed from the sums by the form's own rules.
#include "shared/consolidate.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "../client/test_support.h"
#include "files/data_files.h"
#include "shared/check.h"

namespace budgetsync {
namespace {

class ConsolidateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = load_catalog(testing::data_dir());
    ASSERT_TRUE(c.ok()) << c.status().message();
    catalog_ = std::move(*c);
  }
  Report seed(const std::string& folder, const std::string& file) {
    auto text = read_file(testing::seeds_dir() / folder / file);
    EXPECT_TRUE(text.ok());
    auto r = parse_report(*text, file, catalog_);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return std::move(*r);
  }
  Decimal number(const Report& r, const std::string& row, const std::string& col) {
    const ReportCell* c = r.cell(row, col);
    EXPECT_NE(c, nullptr) << row << ":" << col;
    const FormTemplate* f = catalog_.form(r.key.form);
    return c ? c->value.number(f->unit).value_or(Decimal()) : Decimal();
  }
  // Adds `delta` to a cell (blank counts as 0), keeping the form's text style.
  void add(Report& r, const std::string& row, const std::string& col, const std::string& delta) {
    const FormTemplate* f = catalog_.form(r.key.form);
    ASSERT_NE(f, nullptr);
    const Section* sec = f->section_for_row(row);
    ASSERT_NE(sec, nullptr) << row;
    const Column* c = sec->column(col);
    ASSERT_NE(c, nullptr) << col;
    Decimal v = *Decimal::parse(delta);
    if (const ReportCell* old = r.cell(row, col))
      v += old->value.number(f->unit).value_or(Decimal());
    ReportRow* target = nullptr;
    for (auto& candidate : r.rows) {
      if (candidate.key == row) target = &candidate;
    }
    ASSERT_NE(target, nullptr) << row;
    target->cells.insert_or_assign(
        col, ReportCell{v.to_string(), *parse_cell(v.to_string(), c->type, f->unit)});
    r.reindex();
  }
  // The same change on a 公开02/03 line and the lines above it (项 2101506
  // 医疗保障经办事务 < 款 21015 < 类 210 < 合计).
  void add_up(Report& r, const std::string& col, const std::string& delta) {
    for (const char* row : {"2101506", "21015", "210", "total"}) add(r, row, col, delta);
  }
  Catalog catalog_;
};

// A bureau's 本级 (the parent) and two affiliated units, each balanced, built
// from seed 003's 公开01–03: the parent pays 100.00 万元 of 对附属单位补助支出
// (60.00 to A, 40.00 to B, their 上级补助收入) and receives 20.00 of
// 附属单位上缴收入 (A's 上缴上级支出), besides 100.00 of its own 其他收入.
class OffsetTest : public ConsolidateTest {
 protected:
  void SetUp() override {
    ConsolidateTest::SetUp();
    for (const char* form : {"final01", "final02", "final03"}) {
      const std::string file = std::string(form) + ".json";
      using Set = std::map<std::string, Report>;
      for (auto [unit, reports] :
           {std::pair<const char*, Set*>{"bj", &parent_}, std::pair<const char*, Set*>{"a", &a_},
            std::pair<const char*, Set*>{"b", &b_}}) {
        Report r = seed("003_b1779cbacafc7ee6", file);
        r.key.unit = unit;
        (*reports)[form] = std::move(r);
      }
    }
    book(parent_, {{"in_other", "other", "100"}, {"in_affiliated", "affiliated", "20"}},
         {{"subsidy", "100"}, {"basic", "20"}});
    book(a_, {{"in_superior", "superior", "60"}, {"in_other", "other", "20"}},
         {{"basic", "60"}, {"remit", "20"}});
    book(b_, {{"in_superior", "superior", "40"}}, {{"basic", "40"}});
  }
  // Books more income and as much spending on a unit's 公开01–03表: each
  // income as (公开01表 line, 公开02表 column, amount), each spending as
  // (公开03表 column, amount), with every total they belong to.
  struct Income {
    const char* line;
    const char* column;
    const char* amount;
  };
  void book(std::map<std::string, Report>& unit, const std::vector<Income>& income,
            const std::vector<std::pair<const char*, const char*>>& spending) {
    Decimal total;
    for (const auto& i : income) {
      add(unit["final01"], i.line, "amount", i.amount);
      add_up(unit["final02"], i.column, i.amount);
      total += *Decimal::parse(i.amount);
    }
    for (const auto& [column, amount] : spending) add_up(unit["final03"], column, amount);
    const std::string t = total.to_string();
    for (const char* row : {"in_total", "in_grand", "x210", "ex_total", "ex_grand"})
      add(unit["final01"], row, "amount", t);
    add_up(unit["final02"], "total", t);
    add_up(unit["final03"], "total", t);
  }
  ConsolidateOptions with_parent() {
    ConsolidateOptions o;
    o.parent = "bj";
    o.other_form = [this](const std::string& unit, const std::string& form) -> const Report* {
      auto& set = unit == "bj" ? parent_ : unit == "a" ? a_ : b_;
      auto it = set.find(form);
      return it == set.end() ? nullptr : &it->second;
    };
    return o;
  }
  Consolidated build(const std::string& form, const ConsolidateOptions& options) {
    auto out = consolidate({&parent_[form], &a_[form], &b_[form]}, {"bureau", 2024, form, ""},
                           catalog_, options);
    EXPECT_TRUE(out.ok()) << out.status().message();
    return out.ok() ? std::move(*out) : Consolidated{};
  }
  static Decimal d(const char* text) { return *Decimal::parse(text); }
  std::map<std::string, Report> parent_, a_, b_;
};

TEST_F(OffsetTest, TransfersInsideTheBureauAreRemovedOnBothSidesAndTheTotalsFollow) {
  const Consolidated f1 = build("final01", with_parent());
  const Consolidated f2 = build("final02", with_parent());
  const Consolidated f3 = build("final03", with_parent());
  const Decimal seed = d("2945.68");
  const Decimal three = Decimal::from_int(3);
  // 公开01表: the children's 上级补助收入 and the parent's 附属单位上缴收入 are gone;
  // 本年收入合计 is recomputed from what is left (a plain sum would be 3s + 240).
  EXPECT_EQ(number(f1.report, "in_superior", "amount"), Decimal());
  EXPECT_EQ(number(f1.report, "in_affiliated", "amount"), Decimal());
  EXPECT_EQ(number(f1.report, "in_other", "amount"), d("120"));
  EXPECT_EQ(number(f1.report, "in_total", "amount"), seed * three + d("120"));
  // 卫生健康支出 loses the parent's subsidy and A's remittance booked under 210.
  EXPECT_EQ(number(f1.report, "x210", "amount"), seed * three + d("120"));
  EXPECT_EQ(number(f1.report, "ex_total", "amount"), seed * three + d("120"));
  EXPECT_EQ(number(f1.report, "ex_grand", "amount"), number(f1.report, "in_grand", "amount"));
  // 公开02/03表, every line of the column.
  for (const char* row : {"total", "210", "21015", "2101506"}) {
    EXPECT_EQ(number(f2.report, row, "superior"), Decimal()) << row;
    EXPECT_EQ(number(f2.report, row, "affiliated"), Decimal()) << row;
    EXPECT_EQ(number(f3.report, row, "subsidy"), Decimal()) << row;
    EXPECT_EQ(number(f3.report, row, "remit"), Decimal()) << row;
  }
  EXPECT_EQ(number(f2.report, "total", "total"), seed * three + d("120"));
  EXPECT_EQ(number(f3.report, "total", "total"), seed * three + d("120"));
  EXPECT_EQ(number(f3.report, "total", "basic"), d("590.45") * three + d("120"));

  // The consolidated tables agree with each other and balance.
  const std::set<std::string> rules{"final01.income_total",      "final01.expense_total",
                                    "final01.balance",           "final01.health_vs_final03",
                                    "final01.income_vs_final02", "final01.expense_vs_final03",
                                    "final02.row_total",         "final02.hierarchy",
                                    "final03.row_total",         "final03.hierarchy"};
  for (const auto& f : check_reports({f1.report, f2.report, f3.report}, catalog_).findings) {
    EXPECT_FALSE(rules.count(f.rule_id))
        << f.rule_id << " " << f.row << ":" << f.column << " " << f.message;
  }
  // The offsets made on 公开01表, each with whose amount it was.
  std::set<std::string> made;
  for (const auto& o : f1.offsets) {
    made.insert(fmt::format("{} {} {} {}:{} {} {}", offset_pair_name(o.pair),
                            o.side == OffsetSide::kPaid ? "paid" : "received", o.unit, o.row,
                            o.column, o.amount.normalized().to_string(), o.amount_from));
  }
  const std::set<std::string> expected{"subsidy received a in_superior:amount 60 ",
                                       "subsidy received b in_superior:amount 40 ",
                                       "subsidy paid bj x210:amount 100 final03!210:subsidy",
                                       "remit received bj in_affiliated:amount 20 ",
                                       "remit paid a x210:amount 20 final03!210:remit"};
  EXPECT_EQ(made, expected);
  EXPECT_TRUE(f1.mismatches.empty());
}

TEST_F(OffsetTest, SidesThatDisagreeAreListedForTheReviewer) {
  add(b_["final01"], "in_superior", "amount", "-5");  // B books 35.00 of the parent's 40.00
  const Consolidated f1 = build("final01", with_parent());
  ASSERT_EQ(f1.mismatches.size(), 1u);
  EXPECT_EQ(f1.mismatches[0].pair, OffsetPair::kSubsidy);
  EXPECT_EQ(f1.mismatches[0].paid, d("100"));
  EXPECT_EQ(f1.mismatches[0].received, d("95"));
  // The remittance pair agrees and is not listed.
}

TEST_F(OffsetTest, WithoutAParentNothingIsOffset) {
  const Consolidated f1 = build("final01", {});
  EXPECT_TRUE(f1.offsets.empty());
  EXPECT_EQ(number(f1.report, "in_superior", "amount"), d("100"));
  EXPECT_EQ(number(f1.report, "in_total", "amount"),
            d("2945.68") * Decimal::from_int(3) + d("240"));
  ConsolidateOptions stranger;
  stranger.parent = "nobody";
  EXPECT_EQ(consolidate({&a_["final01"]}, {"bureau", 2024, "final01", ""}, catalog_, stranger)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ConsolidateTest, DynamicRowsMergeByTheirNameNotTheirKey) {
  Report a = seed("002_0aac4d0b8bd4606c", "basic-data.json");  // d01 医疗保障专项 44
  Report b = a;
  b.key.unit = "second-unit";
  // B files the same 专项 under another key and spelling, and a different one
  // under A's key.
  for (auto& row : b.rows) {
    if (row.key == "d01") row.key = "d07";
  }
  b.rows.push_back({"d01", "district_items", {}});
  b.rows.back().cells.insert_or_assign(
      "name", ReportCell{"城乡居民医保补助", CellValue::text("城乡居民医保补助")});
  b.rows.back().cells.insert_or_assign(
      "final", ReportCell{"6", *parse_cell("6", ColumnType::kAmount, MoneyUnit::kWanYuan)});
  for (auto& row : b.rows) {
    if (row.key == "d07") {
      row.cells.insert_or_assign(
          "name", ReportCell{"（一）医疗保障 专项", CellValue::text("（一）医疗保障 专项")});
    }
  }
  b.reindex();
  auto out = consolidate({&a, &b}, {"bureau", a.key.year, a.key.form, ""}, catalog_);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(number(out->report, "d01", "final"), Decimal::from_int(88));
  ASSERT_NE(out->report.cell("d01-2", "name"), nullptr);
  EXPECT_EQ(out->report.cell("d01-2", "name")->raw, "城乡居民医保补助");
  EXPECT_EQ(number(out->report, "d01-2", "final"), Decimal::from_int(6));
  EXPECT_EQ(out->report.cell("d07", "final"), nullptr);
}

TEST_F(ConsolidateTest, EveryAmountIsTheSumAndEveryDerivedCellAgreesWithItsRule) {
  for (int n = 1; n <= 9; ++n) {
    const std::string file = fmt::format("final0{}.json", n);
    Report a = seed("003_b1779cbacafc7ee6", file);
    // A second unit filing the same figures: every sum is twice the first's.
    Report b = a;
    b.key.unit = "second-unit";
    const FormTemplate* form = catalog_.form(a.key.form);
    ASSERT_NE(form, nullptr);
    const ReportKey target{"bureau", a.key.year, a.key.form, ""};
    auto out = consolidate({&a, &b}, target, catalog_);
    ASSERT_TRUE(out.ok()) << out.status().message();
    const Report& sum = out->report;
    EXPECT_EQ(sum.key, target);
    const std::set<std::string> recomputed(out->recomputed.begin(), out->recomputed.end());
    int compared = 0;
    for (const auto& row : a.rows) {
      const Section* sec = form->section(row.section);
      for (const auto& [col, cell] : row.cells) {
        const Column* c = sec->column(col);
        if (c->type != ColumnType::kAmount || !cell.value.number(form->unit)) continue;
        if (recomputed.count(row.key + ":" + col)) continue;
        ++compared;
        EXPECT_EQ(number(sum, row.key, col), number(a, row.key, col) + number(b, row.key, col))
            << file << " " << row.key << ":" << col;
      }
    }
    EXPECT_GT(compared, 0) << file;
    // Nothing the form derives disagrees with its rule in the consolidated table.
    for (const auto& f : check_reports({sum}, catalog_).findings) {
      EXPECT_TRUE(f.rule_id.find("cross") != std::string::npos ||
                  f.rule_id.find("balance") != std::string::npos)
          << file << ": " << f.rule_id << " " << f.row << ":" << f.column << " " << f.message;
    }
  }
}

TEST_F(ConsolidateTest, ASummedTotalThatMissesItsPartsIsRecomputedNotSummed) {
  // 公开06's 302 商品和服务支出 is 18.19 where its 27 parts add up to 18.18.
  Report a = seed("003_b1779cbacafc7ee6", "final06.json");
  Report b = a;
  b.key.unit = "second-unit";
  auto out = consolidate({&a, &b}, {"bureau", a.key.year, a.key.form, ""}, catalog_);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(number(out->report, "302", "amount"), *Decimal::parse("36.36"));
  EXPECT_NE(std::find(out->recomputed.begin(), out->recomputed.end(), "302:amount"),
            out->recomputed.end());
}

TEST_F(ConsolidateTest, RatesAreRecomputedFromTheSummedCounts) {
  Report a = seed("002_0aac4d0b8bd4606c", "basic-data.json");
  Report b = a;
  b.key.unit = "second-unit";
  // The second unit has 50 authorized posts and 40 staff in them.
  for (auto& row : b.rows) {
    if (row.key != "staffing") continue;
    row.cells.insert_or_assign("authorized", ReportCell{"50", *parse_cell("50", ColumnType::kNumber,
                                                                          MoneyUnit::kWanYuan)});
    row.cells.insert_or_assign(
        "actual", ReportCell{"40", *parse_cell("40", ColumnType::kNumber, MoneyUnit::kWanYuan)});
  }
  b.reindex();
  auto out = consolidate({&a, &b}, {"bureau", a.key.year, a.key.form, ""}, catalog_);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(number(out->report, "staffing", "authorized"), Decimal::from_int(97));
  EXPECT_EQ(number(out->report, "staffing", "actual"), Decimal::from_int(87));
  // 87 ÷ 97 = 89.69%, not 100% + 80%.
  EXPECT_EQ(number(out->report, "staffing", "control_rate"), *Decimal::parse("89.69"));
}

TEST_F(ConsolidateTest, SourcesOfAnotherFormAreRefused) {
  Report a = seed("003_b1779cbacafc7ee6", "final01.json");
  Report b = seed("003_b1779cbacafc7ee6", "final02.json");
  auto out = consolidate({&a, &b}, {"bureau", a.key.year, a.key.form, ""}, catalog_);
  EXPECT_FALSE(out.ok());
  EXPECT_EQ(consolidate({}, {"bureau", 2024, "final01", ""}, catalog_).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace budgetsync
