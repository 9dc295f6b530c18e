#include "shared/decimal.h"

#include <gtest/gtest.h>

namespace budgetsync {
namespace {

Decimal D(const char* s) {
  auto d = Decimal::parse(s);
  EXPECT_TRUE(d.ok()) << s << ": " << d.status().message();
  return d.ok() ? *d : Decimal();
}

TEST(Decimal, ParsesWhatClerksWrite) {
  EXPECT_EQ(D("2,945.68").to_string(), "2945.68");
  EXPECT_EQ(D("2945.68").to_string(), "2945.68");
  EXPECT_EQ(D("2903.8592").to_string(), "2903.8592");
  EXPECT_EQ(D("-8.86").to_string(), "-8.86");
  EXPECT_EQ(D("+3.33").to_string(), "3.33");
  EXPECT_EQ(D("0").to_string(), "0");
  EXPECT_EQ(D("0.00").to_string(), "0.00");
  EXPECT_EQ(D("1,234,567.5").to_string(), "1234567.5");
  EXPECT_EQ(D(" 12.5 ").to_string(), "12.5");
}

TEST(Decimal, ParsesFullWidthDigitsFromAChineseIme) {
  EXPECT_EQ(D("１２３．４５").to_string(), "123.45");
  EXPECT_EQ(D("－８．８６").to_string(), "-8.86");
}

TEST(Decimal, RefusesMalformedTextNamingIt) {
  for (const char* bad : {"", "abc", "1.2.3", "12a", ".5", "5.", "1,23", "12,3456", ",123",
                          "1,,234", "--1", "1e5", "NaN", "12 34x"}) {
    auto d = Decimal::parse(bad);
    EXPECT_FALSE(d.ok()) << "accepted “" << bad << "”";
    if (!d.ok()) {
      EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
  auto d = Decimal::parse("12a");
  EXPECT_NE(d.status().message().find("12a"), std::string::npos);
}

TEST(Decimal, RefusesNumbersTooLargeToHoldExactly) {
  auto d = Decimal::parse("999999999999999999999999999999999999999999");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kOutOfRange);
  EXPECT_FALSE(Decimal::parse("1.0000000000000000001").ok());  // more than 18 places
}

TEST(Decimal, ArithmeticIsExact) {
  EXPECT_EQ(D("0.1") + D("0.2"), D("0.3"));
  EXPECT_EQ((D("554.50") - D("329.56")).to_string(), "224.94");
  EXPECT_EQ((D("25") * D("0.97")).to_string(), "24.25");
  EXPECT_EQ(D("1.50"), D("1.5"));
  EXPECT_LT(D("-8.86"), D("-1.05"));
}

TEST(Decimal, DivisionRoundsHalfAwayFromZero) {
  EXPECT_EQ(Decimal::divide(D("14300"), D("1569"), 2).to_string(), "9.11");
  EXPECT_EQ(Decimal::divide(D("2820"), D("285"), 2).to_string(), "9.89");
  EXPECT_EQ(Decimal::divide(D("1"), D("8"), 2).to_string(), "0.13");    // 0.125 -> 0.13
  EXPECT_EQ(Decimal::divide(D("-1"), D("8"), 2).to_string(), "-0.13");  // symmetric
  EXPECT_EQ(Decimal::divide(D("229931"), D("1022.77"), 2).to_string(), "224.81");
  EXPECT_THROW(Decimal::divide(D("1"), D("0"), 2), std::domain_error);
}

TEST(Decimal, RoundsAndFormats) {
  EXPECT_EQ(D("24.125").rounded(2).to_string(), "24.13");
  EXPECT_EQ(D("2.345").format(2), "2.35");
  EXPECT_EQ(D("-2.345").format(2), "-2.35");
  EXPECT_EQ(D("2945.68").format(2, true), "2,945.68");
  EXPECT_EQ(D("1234567.891").format(2, true), "1,234,567.89");
  EXPECT_EQ(D("999.999").format(2, true), "1,000.00");
  EXPECT_EQ(D("0.004").format(2), "0.00");
  EXPECT_EQ(D("5").format(2), "5.00");
  EXPECT_EQ(D("9.50").normalized().to_string(), "9.5");
}

TEST(Decimal, OverflowIsSignalledNotWrapped) {
  const Decimal big = Decimal::from_units(static_cast<Int128>(1) << 120, 0);
  EXPECT_THROW(big * big, DecimalOverflow);
  Decimal sum = big;
  EXPECT_THROW(
      {
        for (int i = 0; i < 200; ++i) sum += big;
      },
      DecimalOverflow);
}

}  // namespace
}  // namespace budgetsync
