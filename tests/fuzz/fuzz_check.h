// What the fuzz targets share: an invariant that, when broken, stops the run
// with a message (libFuzzer saves the input as a crash).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond, what)                                                               \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: invariant broken: %s (%s)\n", __FILE__, __LINE__, (what), \
                   #cond);                                                                   \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

inline std::string_view fuzz_input(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}
