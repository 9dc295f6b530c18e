#include "client/cli_signals.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace budgetsync::client {

struct StopOnSignals::Impl {
  sigset_t watched{};
  sigset_t previous{};
  std::atomic<bool> done{false};
  std::thread waiter;
};

StopOnSignals::StopOnSignals(std::function<void()> on_signal) : impl_(std::make_unique<Impl>()) {
  sigemptyset(&impl_->watched);
  sigaddset(&impl_->watched, SIGINT);
  sigaddset(&impl_->watched, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &impl_->watched, &impl_->previous);
  impl_->waiter = std::thread([impl = impl_.get(), on_signal = std::move(on_signal)] {
    bool asked = false;
    for (;;) {
      int signal = 0;
      sigwait(&impl->watched, &signal);
      if (impl->done.load()) return;
      // A second Ctrl-C while the first stop is under way ends the program
      // at once, as a user who presses it again expects.
      if (asked) _exit(128 + signal);
      asked = true;
      on_signal();
    }
  });
}

StopOnSignals::~StopOnSignals() {
  impl_->done.store(true);
  // Wakes the waiter (the signal is blocked, so it only ends its sigwait).
  pthread_kill(impl_->waiter.native_handle(), SIGTERM);
  impl_->waiter.join();
  // Signals that came after the waiter ended are this stop's, not a new one.
  const timespec none{};
  while (sigtimedwait(&impl_->watched, nullptr, &none) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &impl_->previous, nullptr);
}

}  // namespace budgetsync::client
