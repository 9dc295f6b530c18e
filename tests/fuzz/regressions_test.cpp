// Every input a fuzz target crashed on (tests/fuzz/regressions/TARGET/NAME),
// fed to the decoder it crashed: each now gets a clean error. See
// docs/fuzzing.md.
#include <gtest/gtest.h>

#include <filesystem>

#include "client/report_view.h"
#include "files/data_files.h"
#include "shared/code_list.h"
#include "shared/form_template.h"
#include "shared/money.h"
#include "shared/report.h"
#include "shared/scoring.h"
#include "sync/protocol.h"

namespace budgetsync {
namespace {

std::string input(const std::string& name) {
  auto text = read_file(std::filesystem::path(BUDGETSYNC_FUZZ_REGRESSIONS_DIR) / name);
  EXPECT_TRUE(text.ok()) << text.status().message();
  return text.ok() ? *text : std::string();
}

const Catalog& catalog() {
  static const Catalog c = [] {
    auto loaded = load_catalog(BUDGETSYNC_TEST_DATA_DIR);
    EXPECT_TRUE(loaded.ok()) << loaded.status().message();
    return loaded.ok() ? std::move(*loaded) : Catalog();
  }();
  return c;
}

// decimal_fuzz: so many digits (after a full-width space) that the amount in
// 分 overflows 128 bits: Money::parse threw DecimalOverflow out of parse_cell
// and so out of every import.
TEST(FuzzRegressions, AnAmountTooLargeForAnyIntegerIsOutOfRange) {
  const std::string text = input("decimal/money-digits-overflow-128-bits");
  for (MoneyUnit unit : {MoneyUnit::kYuan, MoneyUnit::kWanYuan}) {
    auto m = Money::parse(text, unit);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().code(), StatusCode::kOutOfRange) << m.status().message();
    EXPECT_NE(m.status().message().find("金额太大"), std::string::npos);
  }
  auto cell = parse_cell(text, ColumnType::kAmount, MoneyUnit::kWanYuan);
  EXPECT_FALSE(cell.ok());
}

// target_fuzz: a qualitative target measured as a negative percentage scored
// below zero (10 × −8% = −0.80); every other rule stops at zero.
TEST(FuzzRegressions, AQualitativeTargetMeasuredBelowZeroScoresZero) {
  const std::string text = input("target/qualitative-negative-percent");
  const size_t nl = text.find('\n');
  ASSERT_NE(nl, std::string::npos);
  const IndicatorScore s =
      score_indicator(text.substr(0, nl), text.substr(nl + 1), Decimal::from_int(10));
  EXPECT_EQ(s.basis, IndicatorScore::Basis::kQualitativeRate);
  ASSERT_TRUE(s.score.has_value());
  EXPECT_EQ(*s.score, Decimal::from_int(0)) << s.score->to_string();
  EXPECT_EQ(s.deviation->to_string(), "-108.00");  // the shortfall from 100% is as before
}

// report_json, form_template, code_list: a number no double holds. nlohmann
// throws out_of_range for it, which the readers did not catch.
TEST(FuzzRegressions, ANumberOutOfRangeIsMalformedInput) {
  auto report = parse_report(input("report_json/number-out-of-range"), "r.json", catalog());
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().message(), "r.json：数字 '1e999'：超出了可表示的范围");
  auto form = parse_form_template(input("form_template/number-out-of-range"), "f.json");
  ASSERT_FALSE(form.ok());
  EXPECT_EQ(form.status().message(), "f.json：数字 '1e999'：超出了可表示的范围");
  auto codes = parse_code_list(input("code_list/number-out-of-range"), "c.json");
  ASSERT_FALSE(codes.ok());
  EXPECT_EQ(codes.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(codes.status().message().find("超出了可表示的范围"), std::string::npos);
}

// sync_cbor: a CBOR text string that is not UTF-8 was accepted, and threw
// when the message was written out again as JSON (a stored entry, a relay).
TEST(FuzzRegressions, ACborStringThatIsNotUtf8IsMalformed) {
  auto m = sync::decode(input("sync_cbor/string-not-utf8"), sync::Encoding::kCbor);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(sync::frame_error_code(m.status()), "malformed");
  EXPECT_EQ(m.status().message(), "error.message：必须是 UTF-8 文本");
}

// sync_cbor: nlohmann's CBOR reader recurses once per nesting level; a frame of
// a million nested arrays (1 MB, under the 4 MiB frame limit) overflowed the stack.
TEST(FuzzRegressions, ACborFrameNestedTooDeeplyIsRefusedBeforeParsing) {
  auto m = sync::decode(input("sync_cbor/nesting-too-deep"), sync::Encoding::kCbor);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(sync::frame_error_code(m.status()), "too_large");
  EXPECT_EQ(m.status().message(), "这一帧中数组和映射的嵌套超过了 64 层");
  std::string deep(1'000'000, '\x81');  // [[[[...0...]]]]
  deep += '\0';
  m = sync::decode(deep, sync::Encoding::kCbor);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(sync::frame_error_code(m.status()), "too_large");
  // Maps, tags and indefinite lengths count too.
  for (const char open : {'\xa1', '\x9f', '\xc1'}) {
    std::string frame;
    for (int i = 0; i < 100; ++i)
      frame += open == '\xa1' ? std::string("\xa1\x00", 2) : std::string(1, open);
    m = sync::decode(frame, sync::Encoding::kCbor);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(sync::frame_error_code(m.status()), "too_large") << int(open);
  }
  // A real message is far from the limit.
  const std::string hello = sync::encode(sync::Hello{"d", 1, "s", 1, "x"}, sync::Encoding::kCbor);
  EXPECT_TRUE(sync::decode(hello, sync::Encoding::kCbor).ok());
}

// report_csv: the CSV import wrote the report key and the file name into a
// JSON document; bytes that are not UTF-8 there (a GBK file name) made the
// JSON writer throw.
TEST(FuzzRegressions, ACsvImportWithAKeyThatIsNotUtf8IsRefusedCleanly) {
  const std::string text = input("report_csv/key-not-utf8");
  const size_t nl = text.find('\n');
  auto key = ReportKey::parse(text.substr(0, nl));
  ASSERT_TRUE(key.ok()) << key.status().message();
  auto r = client::parse_report_csv(text.substr(nl + 1), "x.csv", *key, catalog());
  ASSERT_FALSE(r.ok());
  // A GBK file name is shown replaced, and the import still works.
  const std::string csv = "row,column,value\n2101505,total,1.00\n";
  auto ok = client::parse_report_csv(csv, "\xd4\xa4\xcb\xe3.csv",
                                     {"411325-ybj", 2024, "final02", ""}, catalog());
  EXPECT_TRUE(ok.ok()) << ok.status().message();
}

// report_csv: a CSV saved in GBK gets a message naming the line, rather than
// an exception from the JSON writer.
TEST(FuzzRegressions, ACsvFileThatIsNotUtf8NamesTheLine) {
  const std::string text = input("report_csv/cells-in-gbk");
  const size_t nl = text.find('\n');
  auto key = ReportKey::parse(text.substr(0, nl));
  ASSERT_TRUE(key.ok());
  auto r = client::parse_report_csv(text.substr(nl + 1), "x.csv", *key, catalog());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "x.csv：第 2 行：文字不是 UTF-8 编码；请把文件另存为“CSV UTF-8”");
}

}  // namespace
}  // namespace budgetsync
