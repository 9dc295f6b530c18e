// Ctrl-C and SIGTERM for the programs' long runs (sync --watch): the program,
// not a library, decides what a signal means.
#pragma once

#include <functional>
#include <memory>

namespace budgetsync::client {

// While alive, SIGINT and SIGTERM are taken by a thread of its own, which
// calls `on_signal` (on that thread) for the first; a second ends the
// process at once. Construct it before starting other
// threads: the signals are blocked in the constructing thread and in threads
// it starts afterwards, and programs they spawn must unblock them
// (POSIX_SPAWN_SETSIGMASK). The destructor restores the signal mask.
class StopOnSignals {
 public:
  explicit StopOnSignals(std::function<void()> on_signal);
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace budgetsync::client
