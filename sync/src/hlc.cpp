#include "sync/hlc.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace budgetsync::sync {

std::string Hlc::to_string() const {
  return fmt::format("{:015d}.{:06d}", wall_ms, logical);
}

Result<Hlc> Hlc::parse(std::string_view text) {
  const auto dot = text.find('.');
  Hlc h;
  auto bad = [&] {
    return Status::InvalidArgument(fmt::format("“{}”不是混合逻辑时钟的时间戳", text));
  };
  if (dot == std::string_view::npos) return bad();
  auto [p1, e1] = std::from_chars(text.data(), text.data() + dot, h.wall_ms);
  auto [p2, e2] = std::from_chars(text.data() + dot + 1, text.data() + text.size(), h.logical);
  if (e1 != std::errc() || e2 != std::errc() || p1 != text.data() + dot ||
      p2 != text.data() + text.size() || h.wall_ms < 0) {
    return bad();
  }
  return h;
}

Hlc HybridClock::now() {
  const int64_t wall = source_.now_ms();
  if (wall > last_.wall_ms) {
    last_ = {wall, 0};
  } else {
    ++last_.logical;
  }
  return last_;
}

Hlc HybridClock::receive(const Hlc& remote_in, int64_t max_skew_ms) {
  const int64_t wall = source_.now_ms();
  Hlc remote = remote_in;
  if (remote.wall_ms > wall + max_skew_ms) remote = {wall + max_skew_ms, 0};
  const int64_t top = std::max({wall, last_.wall_ms, remote.wall_ms});
  uint32_t logical = 0;
  if (top == last_.wall_ms && top == remote.wall_ms) {
    logical = std::max(last_.logical, remote.logical) + 1;
  } else if (top == last_.wall_ms) {
    logical = last_.logical + 1;
  } else if (top == remote.wall_ms) {
    logical = remote.logical + 1;
  }
  last_ = {top, logical};
  return last_;
}

}  // namespace budgetsync::sync
