// Where time comes from. Production code reads the wall clock only through a
// ClockSource, so tests run several replicas and a server deterministically.
#pragma once

#include <atomic>
#include <cstdint>

namespace budgetsync::sync {

class ClockSource {
 public:
  virtual ~ClockSource() = default;
  // Milliseconds since the Unix epoch. May jump backwards (NTP, a user); callers
  // that need monotonic time use HybridClock.
  virtual int64_t now_ms() = 0;
};

// The operating system's wall clock.
class SystemClock final : public ClockSource {
 public:
  int64_t now_ms() override;
};

// The operating system's monotonic clock (milliseconds since some fixed
// point): for measuring waits, never for timestamps.
class MonotonicClock final : public ClockSource {
 public:
  int64_t now_ms() override;
};

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public ClockSource {
 public:
  explicit FakeClock(int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  int64_t now_ms() override { return now_.load(); }
  void set(int64_t ms) { now_.store(ms); }
  void advance(int64_t ms) { now_.fetch_add(ms); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace budgetsync::sync
