#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "sync/clock.h"

namespace budgetsync::server {

// Where the server says what it refused and why, one line per event: a wrong
// password, a bad token, a malformed frame, a rejected edit. Without a sink
// (tests in process) nothing is written.
class EventLog {
 public:
  using Sink = std::function<void(std::string_view line)>;

  EventLog() = default;
  EventLog(sync::ClockSource& clock, Sink sink) : clock_(&clock), sink_(std::move(sink)) {}

  // "2026-11-22T21:30:00.123Z EVENT DETAIL".
  void write(std::string_view event, std::string_view detail) const;

  // A sink writing to standard error, unbuffered, for `budgetsync-server run`.
  static Sink standard_error();

 private:
  sync::ClockSource* clock_ = nullptr;
  Sink sink_;
};

}  // namespace budgetsync::server
