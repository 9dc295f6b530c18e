#include "sync/random.h"

#include <fmt/format.h>

namespace budgetsync::sync {

std::string RandomSource::hex(int bytes) {
  std::string out;
  while (static_cast<int>(out.size()) < bytes * 2) out += fmt::format("{:016x}", next());
  out.resize(static_cast<size_t>(bytes) * 2);
  return out;
}

uint64_t SystemRandom::next() {
  return (static_cast<uint64_t>(device_()) << 32) ^ static_cast<uint64_t>(device_());
}

}  // namespace budgetsync::sync
