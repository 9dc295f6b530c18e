#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "sync/clock.h"

namespace budgetsync::server {

// One named value of an event: text or an integer.
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  template <typename Int, typename = std::enable_if_t<std::is_integral_v<Int>>>
  LogField(std::string_view k, Int v) : key(k), value(static_cast<int64_t>(v)) {}

  std::string_view key;
  std::variant<std::string_view, int64_t> value;
};

// Where the server says what it refused and why, one JSON object per line: a
// wrong password, a bad token, a malformed frame, a rejected edit. Every value
// is escaped by the JSON writer (a newline in a user name or an op's author
// stays inside its string; bytes that are not UTF-8 become U+FFFD), so no field
// can start a line of its own. Without a sink (tests in process) nothing is
// written.
class EventLog {
 public:
  using Sink = std::function<void(std::string_view line)>;

  EventLog() = default;
  EventLog(sync::ClockSource& clock, Sink sink) : clock_(&clock), sink_(std::move(sink)) {}

  // {"time":"2026-11-22T21:30:00.123Z","event":EVENT,KEY:VALUE,...}, the
  // fields in the order given. "time" and "event" are reserved keys.
  void write(std::string_view event, std::initializer_list<LogField> fields = {}) const;

  // A sink writing to standard error, unbuffered, for `budgetsync-server run`.
  static Sink standard_error();

 private:
  sync::ClockSource* clock_ = nullptr;
  Sink sink_;
};

// How a user name that is not an account is written to the log: never as
// typed (it may be a password typed into the wrong field), but as
// "unknown:" and the first 16 hex digits of its SHA-256, so repeated attempts
// with the same name can still be told apart.
std::string unknown_user_label(std::string_view name);

}  // namespace budgetsync::server
