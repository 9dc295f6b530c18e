#include "server/event_log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace budgetsync::server {
namespace {

TEST(EventLog, WritesOneJsonObjectPerEventWithEveryFieldEscaped) {
  sync::FakeClock clock(1'764'000'000'123);
  std::vector<std::string> lines;
  const EventLog log(clock, [&](std::string_view line) { lines.emplace_back(line); });
  log.write("ops_rejected", {{"user", "wang\n2026-01-01T00:00:00.000Z login user=admin"},
                             {"count", 3},
                             {"bytes", std::string("\xff\xfe not UTF-8")},
                             {"event", "a field may not rename the event"}});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].find('\n'), std::string::npos) << lines[0];
  const auto e = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(e["time"], "2025-11-24T16:00:00.123Z");
  EXPECT_EQ(e["event"], "ops_rejected");
  EXPECT_EQ(e["user"], "wang\n2026-01-01T00:00:00.000Z login user=admin");
  EXPECT_EQ(e["count"], 3);
  EXPECT_EQ(e["bytes"], "\xEF\xBF\xBD\xEF\xBF\xBD not UTF-8");  // replaced, not thrown on
  // time and event come first, then the fields in the order written.
  EXPECT_EQ(lines[0].rfind(R"({"time":"2025-11-24T16:00:00.123Z","event":"ops_rejected","user":)",
                           0),
            0u)
      << lines[0];
}

TEST(EventLog, AnUnknownUserNameIsWrittenAsADigest) {
  const std::string label = unknown_user_label("pw-wang-secret");
  EXPECT_EQ(label.rfind("unknown:", 0), 0u);
  EXPECT_EQ(label.size(), 8u + 16u);
  EXPECT_EQ(label.find("pw-wang"), std::string::npos);
  EXPECT_EQ(unknown_user_label("pw-wang-secret"), label);  // the same name, the same label
  EXPECT_NE(unknown_user_label("pw-wang-secreT"), label);
}

}  // namespace
}  // namespace budgetsync::server
