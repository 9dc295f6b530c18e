#include "client/stop_request.h"

namespace budgetsync::client {

void StopRequest::request() {
  std::lock_guard lock(mutex_);
  requested_ = true;
  if (stop_loop_) stop_loop_();
}

bool StopRequest::attach(std::function<void()> stop_loop) {
  std::lock_guard lock(mutex_);
  if (requested_) return false;
  stop_loop_ = std::move(stop_loop);
  return true;
}

void StopRequest::detach() {
  std::lock_guard lock(mutex_);
  stop_loop_ = nullptr;
}

}  // namespace budgetsync::client
