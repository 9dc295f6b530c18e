// Counters and latency histograms in the Prometheus text format. The server
// runs its sessions on one thread, so these are plain integers.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace budgetsync::server {

// Latencies in microseconds, reported in seconds with cumulative buckets.
class LatencyHistogram {
 public:
  static constexpr std::array<int64_t, 14> kBoundsUs = {
      250,    500,     1'000,   2'500,   5'000,     10'000,    25'000,
      50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 10'000'000};

  void observe(int64_t micros);
  uint64_t count() const { return count_; }
  // The "# HELP"/"# TYPE" header and the _bucket/_sum/_count lines.
  std::string text(const std::string& name, const std::string& help) const;

 private:
  std::array<uint64_t, kBoundsUs.size()> buckets_{};
  uint64_t count_ = 0;
  int64_t sum_us_ = 0;
};

// "# HELP"/"# TYPE" and one sample line of a counter; `labels` is "" or
// "{k=\"v\"}".
std::string counter_text(const std::string& name, const std::string& help, uint64_t value);
std::string labelled_counter_header(const std::string& name, const std::string& help);
std::string labelled_counter_line(const std::string& name, const std::string& labels,
                                  uint64_t value);

}  // namespace budgetsync::server
