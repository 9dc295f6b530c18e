// Convergence of the merge rules over the in-memory store; the SQLite store
// runs the same harness in tests/server/.
#include "convergence_harness.h"

namespace budgetsync::sync {
namespace {

TEST(Convergence, ManySeeds) {
  for (uint64_t seed = 1; seed <= 2000; ++seed) {
    MemoryServerStore store;
    testing::run_seed(seed, store);
    if (::testing::Test::HasFailure()) break;  // the first failing seed is the one to debug
  }
}

}  // namespace
}  // namespace budgetsync::sync
