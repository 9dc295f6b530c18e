#include "server/event_log.h"

#include <fmt/format.h>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "server/credentials.h"

namespace budgetsync::server {

void EventLog::write(std::string_view event, std::initializer_list<LogField> fields) const {
  if (!sink_ || !clock_) return;
  const int64_t ms = clock_->now_ms();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  // ordered_json keeps the fields in the order written, so a line reads as
  // time, event, then what the caller named first.
  nlohmann::ordered_json line;
  line["time"] = fmt::format("{}.{:03}Z", stamp, ms % 1000);
  line["event"] = std::string(event);
  for (const LogField& f : fields) {
    const std::string key(f.key);
    if (key == "time" || key == "event") continue;
    if (const auto* text = std::get_if<std::string_view>(&f.value)) {
      line[key] = std::string(*text);
    } else {
      line[key] = std::get<int64_t>(f.value);
    }
  }
  // Control characters are escaped; invalid UTF-8 (a CBOR peer's bytes) is
  // replaced rather than thrown on.
  sink_(line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

EventLog::Sink EventLog::standard_error() {
  return [](std::string_view line) {
    fmt::print(stderr, "{}\n", line);
    std::fflush(stderr);
  };
}

std::string unknown_user_label(std::string_view name) {
  return "unknown:" + sha256_hex(name).substr(0, 16);
}

}  // namespace budgetsync::server
