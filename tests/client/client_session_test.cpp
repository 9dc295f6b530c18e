// The real client: replicas (SQLite) speaking through sync::ClientSession to
// the real server's SyncService over an in-memory network
// (support/memory_network.h). A staff job from import to resolved conflict; a
// fault at every frame of a session, looped until a clean session, loses
// nothing; and seeded random runs of edits, syncs, watching connections,
// faults and resolutions end with every replica equal to the server (the seed
// is printed on failure; BUDGETSYNC_CONVERGENCE_SEEDS sets how many: 2000 by
// default, 100 in the sanitizer build).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "../support/memory_network.h"
#include "client/replica.h"
#include "client/replica_sync_store.h"
#include "client/report_view.h"
#include "files/data_files.h"
#include "test_support.h"

namespace budgetsync::client {
namespace {

using budgetsync::testing::MemoryNetwork;
using budgetsync::testing::TempDir;
using Cells = std::map<std::pair<std::string, std::string>, std::string>;

const ReportKey kFinal02{"411325-ybj", 2024, "final02", ""};

const Catalog& catalog() {
  static const Catalog* c = [] {
    auto loaded = load_catalog(budgetsync::testing::data_dir());
    if (!loaded.ok()) std::abort();
    return new Catalog(std::move(*loaded));
  }();
  return *c;
}

Report seed_report(const std::string& file) {
  auto text = read_file(budgetsync::testing::seeds_dir() / "003_b1779cbacafc7ee6" / file);
  auto r = parse_report(*text, file, catalog());
  if (!r.ok()) std::abort();
  return *r;
}

struct Device {
  std::string user;
  std::unique_ptr<Replica> replica;
  std::unique_ptr<ReplicaSyncStore> store;
  MemoryNetwork::Link* watching = nullptr;
};

class ClientSessions : public ::testing::Test {
 protected:
  // A new replica of 内乡县医疗保障局 for `user`, in `dir` (the test's own
  // folder when none).
  Device make(const std::string& file, const std::string& user, const TempDir* dir = nullptr) {
    Device d;
    d.user = user;
    auto r = Replica::create(((dir ? *dir : dir_).path() / file).string(),
                             {"411325-ybj", "内乡县医疗保障局", user}, catalog(), clock_, random_);
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (!r.ok()) std::abort();
    d.replica = std::move(*r);
    d.store = std::make_unique<ReplicaSyncStore>(*d.replica);
    return d;
  }

  // Connects, syncs once and closes, again after a reconnect, a cut or a
  // timeout, up to `tries` sessions; returns how many it took (0: none
  // finished).
  int sync_once(MemoryNetwork& net, Device& d, size_t batch = 1000, int tries = 4) {
    sync::SyncTally tally;
    for (int i = 1; i <= tries; ++i) {
      auto& link = net.connect(d.user, *d.store, {batch, batch, false}, tally);
      net.pump();
      tally = link.session->tally();
      if (link.session->phase() == sync::SessionPhase::kFinished) return i;
    }
    return 0;
  }

  static Cells cells(Replica& r, const ReportKey& key) {
    Cells out;
    auto rep = r.load(key);
    EXPECT_TRUE(rep.ok()) << rep.status().message();
    if (!rep.ok()) return out;
    for (const auto& row : rep->rows)
      for (const auto& [column, cell] : row.cells) out[{row.key, column}] = cell.raw;
    return out;
  }

  static Cells server_cells(MemoryNetwork& net, const ReportKey& key) {
    Cells out;
    auto stored = net.store().report_cells(key);
    EXPECT_TRUE(stored.ok());
    if (!stored.ok()) return out;
    for (const auto& c : *stored)
      if (c.cell.value) out[{c.row, c.column}] = *c.cell.value;
    return out;
  }

  static int64_t pending(Replica& r) {
    auto s = r.status();
    return s.ok() ? s->pending_ops : -1;
  }

  // (report row column) -> visible value of every open conflict.
  static std::map<std::string, std::string> conflicts(Replica& r) {
    std::map<std::string, std::string> out;
    auto open = r.conflicts();
    EXPECT_TRUE(open.ok());
    if (!open.ok()) return out;
    for (const auto& c : *open)
      out[c.report.to_string() + " " + c.row + " " + c.column] = c.cell.value.value_or("");
    return out;
  }

  // Every operation is in the server's log at most once.
  static void expect_log_without_repeats(MemoryNetwork& net) {
    auto entries = net.store().read(0, 10'000'000);
    ASSERT_TRUE(entries.ok());
    std::set<std::string> ids;
    for (const auto& e : *entries)
      EXPECT_TRUE(ids.insert(e.op.id.to_string()).second) << e.op.id.to_string() << " twice";
  }

  TempDir dir_{"/dev/shm"};
  sync::FakeClock clock_;
  sync::SeededRandom random_{7};
};

TEST_F(ClientSessions, AStaffJobFromImportToASettledConflict) {
  MemoryNetwork net(clock_);
  Device a = make("a.db", "wang"), b = make("b.db", "zhang");
  ASSERT_TRUE(a.replica->import_report(seed_report("final02.json")).ok());
  ASSERT_EQ(sync_once(net, a), 1);
  ASSERT_EQ(sync_once(net, b), 1);
  EXPECT_EQ(pending(*a.replica), 0);
  EXPECT_EQ(cells(*b.replica, kFinal02), cells(*a.replica, kFinal02));
  EXPECT_EQ(cells(*b.replica, kFinal02), server_cells(net, kFinal02));

  // Both stay connected: an edit on one reaches the other through the notify
  // that carries it, with no pull asked for.
  auto& on_a = net.connect("wang", *a.store, {1000, 1000, true});
  auto& on_b = net.connect("zhang", *b.store, {1000, 1000, true});
  net.pump();
  ASSERT_EQ(on_a.session->phase(), sync::SessionPhase::kIdle);
  ASSERT_EQ(on_b.session->phase(), sync::SessionPhase::kIdle);
  const auto edit = a.replica->set_cell(kFinal02, "2101505", "本年收入合计", "99.00");
  ASSERT_TRUE(edit.ok()) << edit.status().message();
  on_a.session->local_change();
  const int pulls_before = on_b.pulls;
  net.pump();
  EXPECT_EQ(cells(*b.replica, kFinal02).at({edit->row, edit->column}), "99.00");
  EXPECT_EQ(on_b.pulls, pulls_before);
  EXPECT_EQ(on_b.session->phase(), sync::SessionPhase::kIdle);
  EXPECT_EQ(pending(*a.replica), 0);
  net.close(on_a);
  net.close(on_b);

  // Offline on both, the same cell: one conflict, the same on both devices.
  ASSERT_TRUE(a.replica->set_cell(kFinal02, "2101505", "本年收入合计", "1.00").ok());
  clock_.advance(1000);
  ASSERT_TRUE(b.replica->set_cell(kFinal02, "2101505", "本年收入合计", "2.00").ok());
  ASSERT_EQ(sync_once(net, a), 1);
  ASSERT_EQ(sync_once(net, b), 1);
  ASSERT_EQ(sync_once(net, a), 1);
  ASSERT_EQ(conflicts(*a.replica).size(), 1u);
  EXPECT_EQ(conflicts(*a.replica), conflicts(*b.replica));
  EXPECT_EQ(conflicts(*a.replica).begin()->second, "2.00");  // the later edit shows

  // Settled on one device, settled everywhere.
  ASSERT_TRUE(a.replica->resolve(kFinal02, "2101505", "本年收入合计", "1.50", "").ok());
  ASSERT_EQ(sync_once(net, a), 1);
  ASSERT_EQ(sync_once(net, b), 1);
  EXPECT_TRUE(conflicts(*a.replica).empty());
  EXPECT_TRUE(conflicts(*b.replica).empty());
  EXPECT_EQ(cells(*b.replica, kFinal02), cells(*a.replica, kFinal02));
  EXPECT_EQ(cells(*b.replica, kFinal02), server_cells(net, kFinal02));
  expect_log_without_repeats(net);
}

// A fault at frame n of a session (both directions counted), for every n
// until a session runs clean: sessions after it finish the job, nothing the
// server acknowledged is lost or logged twice, and the other device ends
// equal.
TEST_F(ClientSessions, AFaultAtAnyFrameIsRecoveredByTheNextSession) {
  for (auto fault : {MemoryNetwork::Fault::kDrop, MemoryNetwork::Fault::kDuplicate,
                     MemoryNetwork::Fault::kCut}) {
    for (int64_t n = 1;; ++n) {
      SCOPED_TRACE(::testing::Message()
                   << "fault " << static_cast<int>(fault) << " at frame " << n);
      TempDir dir("/dev/shm");
      MemoryNetwork net(clock_, n % 2 ? sync::Encoding::kJson : sync::Encoding::kCbor);
      Device a = make("a.db", "wang", &dir), b = make("b.db", "zhang", &dir);
      ASSERT_TRUE(a.replica->import_report(seed_report("final02.json")).ok());
      net.arm(fault, n);
      auto& link = net.connect("wang", *a.store, {40, 40, false});  // several batches and pages
      net.pump();
      if (!net.fired()) {
        EXPECT_EQ(link.session->phase(), sync::SessionPhase::kFinished);
        EXPECT_GT(n, 6) << "a session of several batches has more frames";
        break;
      }
      net.arm(fault, 0);
      ASSERT_GT(sync_once(net, a, 40), 0);
      EXPECT_EQ(pending(*a.replica), 0);
      ASSERT_EQ(sync_once(net, b, 40), 1);
      EXPECT_EQ(cells(*b.replica, kFinal02), cells(*a.replica, kFinal02));
      EXPECT_EQ(server_cells(net, kFinal02), cells(*a.replica, kFinal02));
      expect_log_without_repeats(net);
      if (HasFailure()) return;
    }
  }
}

// Seeded random runs: three devices of one unit edit four cells of one report
// offline and online, sync once or stay connected, through faults, and settle
// conflicts. After everyone syncs twice round, every replica shows the
// server's values and the same open conflicts, and nothing is waiting.
TEST_F(ClientSessions, RealReplicasConvergeUnderRandomRuns) {
  const char* env = std::getenv("BUDGETSYNC_CONVERGENCE_SEEDS");
  const int seeds = env ? std::atoi(env) : BUDGETSYNC_CONVERGENCE_DEFAULT_SEEDS;
  int with_conflicts = 0, faults = 0, live = 0;
  // final02 cut to its first rows (four cells or a few more): small enough
  // for thousands of runs.
  Report seed = seed_report("final02.json");
  std::vector<std::pair<std::string, std::string>> addresses;
  size_t rows = 0;
  while (rows < seed.rows.size() && addresses.size() < 4) {
    for (const auto& [column, cell] : seed.rows[rows].cells)
      if (addresses.size() < 4) addresses.emplace_back(seed.rows[rows].key, column);
    ++rows;
  }
  ASSERT_EQ(addresses.size(), 4u);
  seed.rows.resize(rows);
  seed.reindex();
  for (int s = 1; s <= seeds; ++s) {
    SCOPED_TRACE(::testing::Message() << "seed " << s);
    std::mt19937_64 rng(static_cast<uint64_t>(s));
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
    TempDir dir("/dev/shm");
    MemoryNetwork net(clock_, s % 2 ? sync::Encoding::kJson : sync::Encoding::kCbor);
    std::vector<Device> devices;
    for (auto [file, user] :
         {std::pair{"a.db", "wang"}, std::pair{"b.db", "zhang"}, std::pair{"c.db", "wang"}}) {
      devices.push_back(make(file, user, &dir));
    }
    ASSERT_TRUE(devices[0].replica->import_report(seed).ok());
    ASSERT_EQ(sync_once(net, devices[0]), 1);
    const size_t batch = 1 + static_cast<size_t>(pick(4));
    for (int step = 0; step < 14; ++step) {
      Device& d = devices[static_cast<size_t>(pick(3))];
      clock_.advance(1 + pick(1500));
      switch (pick(6)) {
        case 0:
        case 1: {  // an edit
          const auto& [row, column] = addresses[static_cast<size_t>(pick(4))];
          const std::string value = std::to_string(pick(5)) + ".00";
          auto edited = d.replica->set_cell(kFinal02, row, column, value);
          // Refused only where the report has not arrived yet.
          if (!edited.ok()) {
            ASSERT_EQ(edited.status().code(), StatusCode::kNotFound) << edited.status().message();
            break;
          }
          if (d.watching && d.watching->open) d.watching->session->local_change();
          break;
        }
        case 2:  // a one-off sync, perhaps through a fault
          if (pick(2)) net.arm(static_cast<MemoryNetwork::Fault>(pick(3)), 1 + pick(6));
          (void)sync_once(net, d, batch, 1);
          faults += net.fired();
          net.arm(MemoryNetwork::Fault::kDrop, 0);
          break;
        case 3:  // start or stop watching
          if (d.watching && d.watching->open) {
            net.close(*d.watching);
            d.watching = nullptr;
          } else {
            d.watching = &net.connect(d.user, *d.store, {batch, batch, true});
            ++live;
          }
          break;
        case 4: {  // settle a conflict by a value or by taking one
          auto open = d.replica->conflicts();
          ASSERT_TRUE(open.ok());
          if (open->empty()) break;
          const auto& c = open->front();
          const bool take = pick(2) && !c.cell.conflict.empty();
          auto r = d.replica->resolve(c.report, c.row, c.column,
                                      take ? "" : std::to_string(5 + pick(5)) + ".00",
                                      take ? c.cell.conflict.back().op.to_string() : "");
          ASSERT_TRUE(r.ok()) << r.status().message();
          if (d.watching && d.watching->open) d.watching->session->local_change();
          break;
        }
        default:
          net.pump();
      }
    }
    for (auto& d : devices) {
      if (d.watching && d.watching->open) net.close(*d.watching);
    }
    for (int round = 0; round < 2; ++round)
      for (auto& d : devices) ASSERT_GT(sync_once(net, d, batch), 0);
    const Cells server = server_cells(net, kFinal02);
    const auto settled = conflicts(*devices[0].replica);
    with_conflicts += !settled.empty();
    for (auto& d : devices) {
      EXPECT_EQ(pending(*d.replica), 0);
      EXPECT_EQ(cells(*d.replica, kFinal02), server);
      EXPECT_EQ(conflicts(*d.replica), settled);
    }
    expect_log_without_repeats(net);
    if (HasFailure()) return;
  }
  // The runs did meet what they are for.
  std::printf("%d seeds: %d ended with open conflicts, %d faults, %d watching connections\n", seeds,
              with_conflicts, faults, live);
  EXPECT_GT(with_conflicts, seeds / 20);
  EXPECT_GT(faults, seeds / 10);
  EXPECT_GT(live, seeds / 2);
}

}  // namespace
}  // namespace budgetsync::client
