#include "server/event_log.h"

#include <fmt/format.h>

#include <cstdio>
#include <ctime>

namespace budgetsync::server {

void EventLog::write(std::string_view event, std::string_view detail) const {
  if (!sink_ || !clock_) return;
  const int64_t ms = clock_->now_ms();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  sink_(fmt::format("{}.{:03}Z {} {}", stamp, ms % 1000, event, detail));
}

EventLog::Sink EventLog::standard_error() {
  return [](std::string_view line) {
    fmt::print(stderr, "{}\n", line);
    std::fflush(stderr);
  };
}

}  // namespace budgetsync::server
