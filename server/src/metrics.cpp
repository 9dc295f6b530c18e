#include "server/metrics.h"

#include <fmt/format.h>

namespace budgetsync::server {
namespace {

// Microseconds as seconds, exactly ("0.00025"), without going through floating point.
std::string seconds(int64_t micros) {
  std::string s = fmt::format("{}.{:06d}", micros / 1'000'000, micros % 1'000'000);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

void LatencyHistogram::observe(int64_t micros) {
  if (micros < 0) micros = 0;
  for (size_t i = 0; i < kBoundsUs.size(); ++i) {
    if (micros <= kBoundsUs[i]) ++buckets_[i];
  }
  ++count_;
  sum_us_ += micros;
}

std::string LatencyHistogram::text(const std::string& name, const std::string& help) const {
  std::string out = fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
  for (size_t i = 0; i < kBoundsUs.size(); ++i) {
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, seconds(kBoundsUs[i]), buckets_[i]);
  }
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n", name, count_);
  out += fmt::format("{}_sum {}\n{}_count {}\n", name, seconds(sum_us_), name, count_);
  return out;
}

std::string counter_text(const std::string& name, const std::string& help, uint64_t value) {
  return labelled_counter_header(name, help) + labelled_counter_line(name, "", value);
}

std::string labelled_counter_header(const std::string& name, const std::string& help) {
  return fmt::format("# HELP {} {}\n# TYPE {} counter\n", name, help, name);
}

std::string labelled_counter_line(const std::string& name, const std::string& labels,
                                  uint64_t value) {
  return fmt::format("{}{} {}\n", name, labels, value);
}

}  // namespace budgetsync::server
