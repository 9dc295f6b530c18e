#include "sync/sort_key.h"

namespace budgetsync::sync {
namespace {

constexpr int kBase = 36;

int digit(char c) {
  return c >= 'a' ? c - 'a' + 10 : c - '0';
}
char glyph(int d) {
  return static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10);
}

}  // namespace

std::string sort_key_between(std::string_view low, std::string_view high) {
  std::string out;
  bool bounded_above = !high.empty();
  for (size_t i = 0;; ++i) {
    if (i > low.size() + high.size()) {
      // Only reached when low >= high (a caller error): stay after low.
      return std::string(low) + 'i';
    }
    const int lo = i < low.size() ? digit(low[i]) : 0;
    const int hi = bounded_above ? (i < high.size() ? digit(high[i]) : 0) : kBase;
    if (hi - lo > 1) {
      out += glyph((lo + hi) / 2);
      return out;
    }
    out += glyph(lo);
    // Once a digit below the upper bound's is chosen, the upper bound no longer
    // constrains the digits that follow.
    if (lo < hi) bounded_above = false;
  }
}

std::string sequential_sort_key(size_t i, size_t count) {
  int width = 1;
  for (size_t cap = kBase; cap <= count; cap *= kBase) ++width;
  std::string key(static_cast<size_t>(width), '0');
  size_t v = i + 1;
  for (int p = width - 1; p >= 0; --p) {
    key[static_cast<size_t>(p)] = glyph(static_cast<int>(v % kBase));
    v /= kBase;
  }
  // A middle digit at the end leaves room before and after every key.
  return key + 'i';
}

}  // namespace budgetsync::sync
