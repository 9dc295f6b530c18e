// Consolidation (汇总) over the seed units' real tables: additive cells are the
// sums, derived cells are recomputed from the sums by the form's own rules.
#include "shared/consolidate.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

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
  Catalog catalog_;
};

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
