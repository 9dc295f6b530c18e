// Lets another thread end a long run: the desktop UI runs its sync agent on a
// thread of its own and stops it when the UI stops; the program asks for a
// stop on Ctrl-C (cli_signals.h). Thread-safe; a stop asked for before the
// run starts ends it as soon as it does.
#pragma once

#include <functional>
#include <mutex>

namespace budgetsync::client {

class StopRequest {
 public:
  void request();
  // For the run: `stop_loop` ends its loop from any thread. Returns false
  // when a stop was already requested.
  bool attach(std::function<void()> stop_loop);
  void detach();

 private:
  std::mutex mutex_;
  bool requested_ = false;
  std::function<void()> stop_loop_;  // set while a run is attached
};

}  // namespace budgetsync::client
