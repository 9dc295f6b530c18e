#include "shared/money.h"

#include <gtest/gtest.h>

#include "shared/cell_value.h"

namespace budgetsync {
namespace {

int64_t fen(const char* text, MoneyUnit unit) {
  auto m = Money::parse(text, unit);
  EXPECT_TRUE(m.ok()) << text << ": " << m.status().message();
  return m.ok() ? m->fen() : -1;
}

TEST(Money, ParsesWanYuanAsPrintedInTheSeeds) {
  EXPECT_EQ(fen("2,945.68", MoneyUnit::kWanYuan), 2'945'680'000);
  EXPECT_EQ(fen("4996.92", MoneyUnit::kWanYuan), 4'996'920'000);
  // 万元 to four places is an amount to the yuan.
  EXPECT_EQ(fen("2903.8592", MoneyUnit::kWanYuan), 2'903'859'200);
  EXPECT_EQ(fen("0", MoneyUnit::kWanYuan), 0);
  EXPECT_EQ(fen("0.00", MoneyUnit::kWanYuan), 0);
}

TEST(Money, ParsesYuanAndUnitSuffixes) {
  EXPECT_EQ(fen("62242.78", MoneyUnit::kYuan), 6'224'278);
  EXPECT_EQ(fen("44万元", MoneyUnit::kYuan), 44'000'000);
  EXPECT_EQ(fen("2299.31 万元", MoneyUnit::kYuan), 2'299'310'000);
  EXPECT_EQ(fen("76230元", MoneyUnit::kWanYuan), 7'623'000);
}

TEST(Money, ReadsABare万AndFullWidthDigitsAsPeopleTypeThem) {
  EXPECT_EQ(fen("3359.62万", MoneyUnit::kWanYuan), 3'359'620'000);
  EXPECT_EQ(fen("３３５９．６２", MoneyUnit::kWanYuan), 3'359'620'000);
  EXPECT_EQ(fen("３，３５９．６２万", MoneyUnit::kWanYuan), 3'359'620'000);
  EXPECT_EQ(fen("3359.62 万", MoneyUnit::kYuan), 3'359'620'000);  // 万 says 万元 anywhere
  EXPECT_EQ(fen("62242.78元", MoneyUnit::kYuan), 6'224'278);
}

TEST(Money, ARefusalSaysInChineseWhatToWrite) {
  auto m = Money::parse("15元5角", MoneyUnit::kWanYuan);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(m.status().message(),
            "“15元5角”不是以万元为单位的金额；请写数字，如 2,945.68 或 2945.68万");
}

TEST(Money, RefusesWhatCannotBeHeldExactly) {
  auto m = Money::parse("1.234", MoneyUnit::kYuan);  // a tenth of a 分
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("1.234"), std::string::npos);
  EXPECT_FALSE(Money::parse("0.0000001", MoneyUnit::kWanYuan).ok());
  auto big = Money::parse("99999999999999999999", MoneyUnit::kYuan);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kOutOfRange);
}

TEST(Money, RefusesNonAmountsInsteadOfReadingZero) {
  for (const char* bad : {"", "  ", "—", "-", "abc", "12元元", "１２.３.４", "十二"}) {
    EXPECT_FALSE(Money::parse(bad, MoneyUnit::kWanYuan).ok()) << bad;
  }
}

TEST(Money, DisplaysInWanYuanRoundedHalfUp) {
  EXPECT_EQ(Money::from_fen(2'903'859'200).format(MoneyUnit::kWanYuan), "2903.86");
  EXPECT_EQ(Money::from_fen(5'000).format(MoneyUnit::kWanYuan), "0.01");  // 50 元 rounds up
  EXPECT_EQ(Money::from_fen(4'999).format(MoneyUnit::kWanYuan), "0.00");
  EXPECT_EQ(Money::from_fen(2'945'680'000).format(MoneyUnit::kWanYuan, 2, true), "2,945.68");
  EXPECT_EQ(Money::from_fen(12345).format(MoneyUnit::kYuan), "123.45");
}

TEST(Money, ConvertsBetweenUnits) {
  const Money m = Money::from_fen(2'299'310'000);
  EXPECT_EQ(m.in(MoneyUnit::kWanYuan).normalized().to_string(), "2299.31");
  EXPECT_EQ(m.in(MoneyUnit::kYuan).normalized().to_string(), "22993100");
}

TEST(Money, CheckedArithmeticReportsOverflow) {
  const Money max = Money::from_fen(INT64_MAX);
  EXPECT_FALSE(max.plus(Money::from_fen(1)).ok());
  EXPECT_EQ(Money::from_fen(5).plus(Money::from_fen(7))->fen(), 12);
  EXPECT_EQ(Money::from_fen(5).minus(Money::from_fen(7))->fen(), -2);
}

TEST(CellValue, BlankAndNotApplicableAreNotZero) {
  auto blank = parse_cell("  ", ColumnType::kAmount, MoneyUnit::kWanYuan);
  ASSERT_TRUE(blank.ok());
  EXPECT_TRUE(blank->is_blank());
  EXPECT_FALSE(blank->number(MoneyUnit::kWanYuan).has_value());
  for (const char* na : {"—", "-", "——"}) {
    auto v = parse_cell(na, ColumnType::kScore, MoneyUnit::kWanYuan);
    ASSERT_TRUE(v.ok()) << na;
    EXPECT_TRUE(v->is_not_applicable()) << na;
  }
  auto zero = parse_cell("0.00", ColumnType::kAmount, MoneyUnit::kWanYuan);
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->kind(), CellValue::Kind::kMoney);
}

TEST(CellValue, ReadsRatesAsPrinted) {
  for (const auto& [text, want] : {std::pair{"96.19%", "96.19"}, std::pair{"100.0 %", "100.0"},
                                   std::pair{"224.81%", "224.81"}, std::pair{"0.00%", "0.00"}}) {
    auto v = parse_cell(text, ColumnType::kRate, MoneyUnit::kWanYuan);
    ASSERT_TRUE(v.ok()) << text;
    EXPECT_EQ(v->as_decimal().to_string(), want);
  }
  EXPECT_FALSE(parse_cell("九成", ColumnType::kRate, MoneyUnit::kWanYuan).ok());
}

TEST(CellValue, RefusesANonNumericAmountWithItsText) {
  auto v = parse_cell("12o.5", ColumnType::kAmount, MoneyUnit::kWanYuan);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("12o.5"), std::string::npos);
}

}  // namespace
}  // namespace budgetsync
