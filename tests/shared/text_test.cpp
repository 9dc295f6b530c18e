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

TEST(Text, RecognisesInvalidUtf8) {
  EXPECT_TRUE(is_valid_utf8("内乡县医疗保障局"));
  EXPECT_FALSE(is_valid_utf8("\xe5\x86"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));  // overlong
}

}  // namespace
}  // namespace budgetsync
