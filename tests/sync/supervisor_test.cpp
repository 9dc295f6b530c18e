// The reconnection policy with a fake timer and a fake clock: backoff with
// jitter inside its bounds and capped, started over only by a whole exchange;
// a server that could not be reached is probed for and connected to within a
// probe of its return, not after the backoff; the host's word that the network
// is back connects at once.
#include "sync/supervisor.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>

namespace budgetsync::sync {
namespace {

// Fires when the test moves the clock to its deadline.
class FakeTimer final : public Timer {
 public:
  explicit FakeTimer(FakeClock& clock) : clock_(clock) {}
  void start(int64_t delay_ms) override { at_ = clock_.now_ms() + delay_ms; }
  void cancel() override { at_ = -1; }
  // How long until it fires; -1 when not armed.
  int64_t due() const { return at_ < 0 ? -1 : at_ - clock_.now_ms(); }

 private:
  FakeClock& clock_;
  int64_t at_ = -1;
  friend class World;
};

// A server that is up or down, a host that connects and probes it.
class World final : public Supervisor::Host {
 public:
  World() : supervisor(*this, timer, clock, random, {500, 30'000, 1'000}) {}

  void connect() override {
    ++connects;
    connected_at = clock.now_ms();
  }
  void probe() override {
    ++probes;
    if (server_up) answered += supervisor.probe_answered();
  }

  // The connection attempt just made ends: failed when the server is down.
  int64_t attempt_ends(bool reached = false) {
    return supervisor.disconnected(!server_up && !reached);
  }

  // Moves the clock, firing the timer when it comes due, until `ms` passed
  // or a connection was made.
  void run_for(int64_t ms) {
    const int64_t until = clock.now_ms() + ms;
    const int before = connects;
    while (connects == before && timer.due() >= 0 && clock.now_ms() + timer.due() <= until) {
      clock.advance(timer.due());
      timer.at_ = -1;
      supervisor.timer_fired();
    }
    if (connects == before) clock.set(until);
  }

  FakeClock clock;
  SeededRandom random{11};
  FakeTimer timer{clock};
  Supervisor supervisor;
  bool server_up = false;
  int connects = 0, probes = 0, answered = 0;
  int64_t connected_at = 0;
};

TEST(Supervisor, BacksOffWithJitterUpToTheCapAndStartsOverAfterAnExchange) {
  World w;
  w.server_up = false;
  w.supervisor.start();
  ASSERT_EQ(w.connects, 1);
  int64_t bound = 500;
  for (int attempt = 0; attempt < 12; ++attempt) {
    const int64_t wait = w.supervisor.disconnected(false);  // reached, then failed: no probes
    EXPECT_GE(wait, bound / 2);
    EXPECT_LE(wait, bound);
    EXPECT_EQ(w.timer.due(), wait);
    w.run_for(wait);
    EXPECT_EQ(w.connects, attempt + 2);
    bound = std::min<int64_t>(bound * 2, 30'000);
  }
  EXPECT_EQ(w.probes, 0);
  EXPECT_EQ(bound, 30'000);
  w.supervisor.synced();
  const int64_t wait = w.supervisor.disconnected(false);
  EXPECT_LE(wait, 500);
}

TEST(Supervisor, AServerThatComesBackIsReachedWithinTwoSecondsNotAfterTheBackoff) {
  World w;
  w.supervisor.start();
  // Down for a while: the backoff grows to its cap.
  for (int i = 0; i < 10; ++i) {
    w.attempt_ends();
    w.run_for(60'000);
  }
  const int64_t wait = w.attempt_ends();
  ASSERT_GE(wait, 15'000);  // without probes the next attempt is this far off
  w.run_for(3'000);
  const int before = w.connects;
  EXPECT_GT(w.probes, 0);
  const int64_t back_at = w.clock.now_ms() + 250;
  w.run_for(250);
  w.server_up = true;
  w.run_for(wait);
  ASSERT_EQ(w.connects, before + 1);
  EXPECT_LE(w.connected_at - back_at, 2'000)
      << "reconnected " << w.connected_at - back_at << " ms after the server came back";
  EXPECT_EQ(w.supervisor.state(), Supervisor::State::kConnected);
  EXPECT_EQ(w.answered, 1);
  // A probe that answers late, once connected, changes nothing.
  EXPECT_FALSE(w.supervisor.probe_answered());
  EXPECT_EQ(w.connects, before + 1);
}

TEST(Supervisor, AServerReachedThatFailedIsNotProbedForAndALateProbeIsIgnored) {
  World w;
  w.supervisor.start();
  w.server_up = true;  // it answers, but refused the exchange
  const int64_t wait = w.supervisor.disconnected(false);
  EXPECT_FALSE(w.supervisor.probe_answered());  // a probe from before: ignored
  w.run_for(wait - 1);
  EXPECT_EQ(w.connects, 1);
  EXPECT_EQ(w.probes, 0);
  w.run_for(1);
  EXPECT_EQ(w.connects, 2);
}

TEST(Supervisor, DevicesProbingOneReturningServerArriveSpreadOut) {
  // Twenty devices whose probes all find the server at the same moment.
  std::set<int64_t> arrivals;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    World w;
    w.random = SeededRandom(seed);
    w.supervisor.start();
    for (int64_t wait = 0; wait < 4'000;) {  // down until the backoff is long
      wait = w.attempt_ends();
      w.run_for(wait);
    }
    w.attempt_ends();  // unreachable: probing
    const int before = w.connects;
    w.server_up = true;
    const int64_t probed_at = w.clock.now_ms() + w.timer.due();
    w.run_for(w.timer.due());
    ASSERT_EQ(w.answered, 1);
    w.run_for(2'000);
    ASSERT_EQ(w.connects, before + 1);
    EXPECT_LE(w.connected_at - probed_at, 500);  // half a probe interval at most
    arrivals.insert(w.connected_at - probed_at);
  }
  EXPECT_GT(arrivals.size(), 10u);
}

TEST(Supervisor, TheHostsWordThatTheNetworkIsBackConnectsAtOnce) {
  World w;
  w.supervisor.start();
  w.supervisor.disconnected(false);
  w.supervisor.disconnected(false);
  ASSERT_EQ(w.supervisor.state(), Supervisor::State::kWaiting);
  const int before = w.connects;
  w.supervisor.network_up();
  EXPECT_EQ(w.connects, before + 1);

  // Without a network nothing is attempted, however long, until it is back.
  w.supervisor.network_down();
  EXPECT_EQ(w.attempt_ends(), 0);
  EXPECT_EQ(w.supervisor.state(), Supervisor::State::kNoNetwork);
  w.run_for(120'000);
  EXPECT_EQ(w.connects, before + 1);
  EXPECT_EQ(w.probes, 0);
  w.supervisor.network_up();
  EXPECT_EQ(w.connects, before + 2);
}

TEST(Supervisor, ANewDeviceIdReconnectsAtOnceAndAStoppedSupervisorDoesNothing) {
  World w;
  w.supervisor.start();
  w.supervisor.reconnect_now();
  EXPECT_EQ(w.connects, 2);
  EXPECT_EQ(w.supervisor.failed_attempts(), 0);
  w.supervisor.stop();
  EXPECT_EQ(w.supervisor.disconnected(true), 0);
  w.supervisor.network_up();
  w.run_for(60'000);
  EXPECT_EQ(w.connects, 2);
  EXPECT_EQ(w.supervisor.state(), Supervisor::State::kStopped);
}

}  // namespace
}  // namespace budgetsync::sync
