// Hybrid logical clock (Kulkarni et al.): timestamps that follow the wall clock
// but never go backwards and respect causality across devices whose clocks
// disagree.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "shared/status.h"
#include "sync/clock.h"

namespace budgetsync::sync {

struct Hlc {
  int64_t wall_ms = 0;
  uint32_t logical = 0;

  // Fixed-width text that sorts like the value: "001700000000000.000000".
  std::string to_string() const;
  static Result<Hlc> parse(std::string_view text);
  auto operator<=>(const Hlc&) const = default;
};

class HybridClock {
 public:
  // `last` is the newest timestamp this clock has ever issued (persisted by the
  // owner); the clock never issues one that is not greater.
  HybridClock(ClockSource& source, Hlc last = {}) : source_(source), last_(last) {}

  // A timestamp for a local event, greater than every one issued or received.
  Hlc now();
  // Merges a timestamp received from another device and returns a local one
  // greater than both. A remote clock more than `max_skew_ms` ahead of the local
  // wall clock is not trusted: it is clamped to the local wall clock + skew, so a
  // device with a wrong clock cannot drag every later edit into its future.
  Hlc receive(const Hlc& remote, int64_t max_skew_ms = kDefaultMaxSkewMs);
  const Hlc& last() const { return last_; }
  // Restores the newest issued timestamp, as persisted (after a rollback).
  void restore(const Hlc& last) { last_ = last; }

  static constexpr int64_t kDefaultMaxSkewMs = 5 * 60 * 1000;

 private:
  ClockSource& source_;
  Hlc last_;
};

}  // namespace budgetsync::sync
