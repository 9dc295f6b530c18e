// Where randomness comes from (device ids, row ids), injected so tests are
// repeatable.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace budgetsync::sync {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual uint64_t next() = 0;
  // `bytes` random bytes as lowercase hex.
  std::string hex(int bytes);
};

// The operating system's entropy.
class SystemRandom final : public RandomSource {
 public:
  uint64_t next() override;

 private:
  std::random_device device_;
};

// A fixed sequence from a seed, for tests.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(uint64_t seed) : engine_(seed) {}
  uint64_t next() override { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace budgetsync::sync
