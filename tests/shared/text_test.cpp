#include "shared/text.h"

#include <gtest/gtest.h>

namespace budgetsync {
namespace {

TEST(Text, DisplayWidthCountsChineseAsTwoColumns) {
  EXPECT_EQ(display_width("abc"), 3);
  EXPECT_EQ(display_width("卫生健康支出"), 12);
  EXPECT_EQ(display_width("公开01表"), 8);
  EXPECT_EQ(display_width("（万元）"), 8);  // full-width parentheses
  EXPECT_EQ(display_width(""), 0);
}

TEST(Text, PadsByDisplayWidth) {
  EXPECT_EQ(pad_to_width("医疗", 6), "医疗  ");
  EXPECT_EQ(pad_to_width("12", 6, true), "    12");
  EXPECT_EQ(pad_to_width("医疗救助", 4), "医疗救助");
}

TEST(Text, TrimsIdeographicAndNoBreakSpaces) {
  EXPECT_EQ(trim("\u3000 2,945.68 \u00a0"), "2,945.68");
  EXPECT_EQ(trim("   "), "");
}

TEST(Text, ALabelIsNamedWithoutItsNumberingSpacesOrFullWidthForms) {
  for (const char* typed :
       {"基本支出", "（一）基本支出", "(一)基本支出", "一、基本支出", "1.基本支出", "１．基本支出",
        "2、基本支出", "基 本\u3000支 出", "其中：基本支出", "基本支出：", "（12）基本支出"}) {
    EXPECT_EQ(normalize_label(typed), "基本支出") << typed;
  }
  EXPECT_EQ(normalize_label("十二、农林水支出"), "农林水支出");
  // A leading numeral that is part of the name stays.
  EXPECT_EQ(normalize_label("一般公共预算"), "一般公共预算");
  EXPECT_EQ(normalize_label("20万元以上的设备"), "20万元以上的设备");
  EXPECT_EQ(normalize_label("“三公”经费"), "“三公”经费");
}

TEST(Text, RecognisesInvalidUtf8) {
  EXPECT_TRUE(is_valid_utf8("内乡县医疗保障局"));
  EXPECT_FALSE(is_valid_utf8("\xe5\x86"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));  // overlong
}

}  // namespace
}  // namespace budgetsync
