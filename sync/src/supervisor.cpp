#include "sync/supervisor.h"

#include <algorithm>

namespace budgetsync::sync {

Supervisor::Supervisor(Host& host, Timer& timer, ClockSource& clock, RandomSource& random,
                       BackoffPolicy policy)
    : host_(host), timer_(timer), clock_(clock), random_(random), policy_(policy) {
  policy_.initial_ms = std::max<int64_t>(policy_.initial_ms, 2);
  policy_.max_ms = std::max(policy_.max_ms, policy_.initial_ms);
}

void Supervisor::connect() {
  timer_.cancel();
  state_ = State::kConnected;
  host_.connect();
}

void Supervisor::start() {
  if (state_ != State::kStopped) return;
  attempt_ = 0;
  if (!network_) {
    state_ = State::kNoNetwork;
    return;
  }
  connect();
}

void Supervisor::stop() {
  timer_.cancel();
  state_ = State::kStopped;
}

void Supervisor::synced() {
  attempt_ = 0;
}

int64_t Supervisor::disconnected(bool unreachable) {
  if (state_ == State::kStopped) return 0;
  if (!network_) {
    state_ = State::kNoNetwork;
    return 0;
  }
  const int64_t bound =
      std::min<int64_t>(policy_.max_ms, policy_.initial_ms << std::min(attempt_, 20));
  const int64_t wait = bound / 2 + static_cast<int64_t>(random_.next() % (bound / 2 + 1));
  ++attempt_;
  probing_ = unreachable && policy_.probe_ms > 0;
  state_ = State::kWaiting;
  retry_at_ms_ = clock_.now_ms() + wait;
  arm();
  return wait;
}

void Supervisor::reconnect_now() {
  if (state_ == State::kStopped) return;
  if (!network_) {
    state_ = State::kNoNetwork;
    return;
  }
  connect();
}

void Supervisor::network_up() {
  network_ = true;
  if (state_ == State::kWaiting || state_ == State::kNoNetwork) connect();
}

void Supervisor::network_down() {
  network_ = false;
  if (state_ == State::kWaiting) {
    timer_.cancel();
    state_ = State::kNoNetwork;
  }
}

void Supervisor::arm() {
  const int64_t left = std::max<int64_t>(retry_at_ms_ - clock_.now_ms(), 0);
  timer_.start(probing_ ? std::min(left, policy_.probe_ms) : left);
}

void Supervisor::timer_fired() {
  if (state_ != State::kWaiting) return;
  if (clock_.now_ms() >= retry_at_ms_) {
    connect();
    return;
  }
  arm();  // the next probe, or the retry
  if (probing_) host_.probe();
}

bool Supervisor::probe_answered() {
  if (state_ != State::kWaiting || !probing_) return false;
  probing_ = false;
  const int64_t pause =
      static_cast<int64_t>(random_.next() % static_cast<uint64_t>(policy_.probe_ms / 2 + 1));
  retry_at_ms_ = std::min(retry_at_ms_, clock_.now_ms() + pause);
  arm();
  return true;
}

}  // namespace budgetsync::sync
