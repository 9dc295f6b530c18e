// When a client connects again: the reconnection policy of a device that stays
// in sync (sync --watch, the desktop app, the mobile apps), without sockets,
// timers or clocks of its own. The host gives it a Timer and a ClockSource and
// does the connecting; tests give it fakes.
//
// The rules:
//  - start() connects at once. A connection that ends (failed, dropped,
//    refused) is retried after a wait: full jitter over a capped exponential
//    bound — uniformly between half the bound and the bound, the bound
//    doubling from `initial_ms` up to `max_ms` with each failed attempt — so
//    many devices coming back together do not arrive together.
//  - Only a whole exchange (synced()) starts the bound over: a server that
//    accepts connections and then refuses every batch is retried ever more
//    slowly, like one that is down.
//  - reconnect_now() (the device took a new id and must say hello again)
//    connects at once without counting a failure.
//  - While waiting after a connection that could not reach the server at all
//    (`unreachable`: refused, no route, no answer), every `probe_ms` the host
//    is asked to probe — a cheap check that the server answers at all (a TCP
//    connection), not a sync. (A server that was reached and then failed is
//    not probed for: it would be retried every probe instead of ever more
//    slowly.) A probe that answers (probe_answered()) ends the wait after a
//    random pause of up to half a probe interval, so that devices probing the
//    same returning server still arrive spread out; the host's word that the
//    network is back (network_up(): Android's connectivity callback, iOS's
//    path monitor) ends it at once. Either way pending edits reach the server
//    within about a second and a half of its return instead of a backoff of
//    up to `max_ms`.
//  - The clock only measures waits: give it a monotonic one
//    (sync::MonotonicClock), so a wall clock set back does not stretch them.
//  - network_down() stops attempts and probes until network_up().
//  - Everything is called on one thread (the host's event loop), the Timer's
//    firing included.
#pragma once

#include <cstdint>

#include "sync/clock.h"
#include "sync/random.h"

namespace budgetsync::sync {

struct BackoffPolicy {
  int64_t initial_ms = 500;
  int64_t max_ms = 30'000;
  int64_t probe_ms = 1'000;  // 0: never probe
};

// A one-shot timer of the host's: after `delay_ms` it calls the supervisor's
// timer_fired(). A new start() replaces the one pending.
class Timer {
 public:
  virtual ~Timer() = default;
  virtual void start(int64_t delay_ms) = 0;
  virtual void cancel() = 0;
};

class Supervisor {
 public:
  // What the host does when told.
  class Host {
   public:
    virtual ~Host() = default;
    // Open a connection; when it ends, call disconnected() (or
    // reconnect_now()); call synced() after each whole exchange.
    virtual void connect() = 0;
    // Check whether the server answers; call probe_answered() when it does.
    virtual void probe() {}
  };

  enum class State {
    kStopped,
    kConnected,  // a connection is being made or is up
    kWaiting,    // until retry_at_ms()
    kNoNetwork,  // the host said so; waiting for network_up()
  };

  Supervisor(Host& host, Timer& timer, ClockSource& clock, RandomSource& random,
             BackoffPolicy policy = {});

  void start();
  void stop();
  void synced();
  // The connection ended (`unreachable`: the server could not be reached at
  // all); returns the wait before the next attempt (0 when stopped or
  // without network).
  int64_t disconnected(bool unreachable);
  void reconnect_now();
  void network_up();
  void network_down();
  // A probe the host made found the server answering. Returns whether that
  // shortened a wait (false when the probe is stale: connected, stopped, or
  // the wait is not one that probes).
  bool probe_answered();
  void timer_fired();

  State state() const { return state_; }
  int64_t retry_at_ms() const { return retry_at_ms_; }
  int failed_attempts() const { return attempt_; }

 private:
  void connect();
  void arm();

  Host& host_;
  Timer& timer_;
  ClockSource& clock_;
  RandomSource& random_;
  BackoffPolicy policy_;
  State state_ = State::kStopped;
  int attempt_ = 0;
  int64_t retry_at_ms_ = 0;
  bool network_ = true;
  bool probing_ = false;
};

}  // namespace budgetsync::sync
