// Convergence: a server core and several client replicas in one process, with
// fake clocks and seeded randomness: edits, row deletions, offline periods,
// partial and duplicated pushes. After synchronize() every replica equals the
// server, every operation is in the log exactly once, and every concurrent
// edit is either the visible value, kept in a conflict, or replaced by a later
// edit whose device knew that value (it pulled it, or wrote it itself).
// BUDGETSYNC_DUMP_LOG=1 prints a lost edit's cell history. The seed is printed on failure.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "sync/server_core.h"

namespace budgetsync::sync::testing {

using CellKey = std::tuple<ReportKey, std::string, std::string>;
using RowKey = std::pair<ReportKey, std::string>;

struct ClientCell {
  ServerCell server;                   // the server's state as last pulled
  std::optional<std::string> pending;  // a local edit not yet answered
};

// A client replica reduced to what sync needs: the server state it has pulled,
// its own unanswered edits, its outbox and its cursor.
class Client {
 public:
  Client(std::string device, ClockSource& clock) : device_(std::move(device)), hlc_(clock) {}

  void edit(const CellKey& cell, const std::string& value) {
    Operation op = next(OpKind::kSetCell, cell);
    op.value = value;
    op.base_version = cells_[cell].server.version;
    cells_[cell].pending = value;
    outbox_.push_back(op);
  }

  void delete_row(const RowKey& row) {
    Operation op = next(OpKind::kDeleteRow, {row.first, row.second, ""});
    outbox_.push_back(op);
    deleted_.insert(row);
  }

  // Sends the first `n` outbox operations (the server may see them twice).
  void push(ServerCore& server, size_t n, bool resend) {
    n = std::min(n, outbox_.size());
    if (n == 0) return;
    const std::vector<Operation> batch(outbox_.begin(), outbox_.begin() + static_cast<long>(n));
    auto results = server.push(batch, nullptr);
    ASSERT_TRUE(results.ok());
    if (resend) {
      auto again = server.push(batch, nullptr);
      ASSERT_TRUE(again.ok());
      for (size_t i = 0; i < n; ++i)
        ASSERT_EQ((*again)[i].seq, (*results)[i].seq) << "a resend got a new answer";
    }
    outbox_.erase(outbox_.begin(), outbox_.begin() + static_cast<long>(n));
    for (const auto& r : *results) {
      acknowledged_.insert(r.op.id.to_string());
      if (r.op.kind != OpKind::kSetCell) continue;
      const CellKey key{r.op.report, r.op.row, r.op.column};
      // The local value shows until the server answers for the last local edit.
      bool later_local = false;
      for (const auto& o : outbox_)
        later_local = later_local ||
                      (o.kind == OpKind::kSetCell && CellKey{o.report, o.row, o.column} == key);
      if (!later_local) cells_[key].pending.reset();
    }
  }

  void pull(ServerCore& server) {
    for (;;) {
      auto page = server.pull(cursor_, 7, nullptr);
      ASSERT_TRUE(page.ok());
      // Applied with the cursor as one step: a crash between pages resumes here.
      for (const auto& e : page->entries) {
        hlc_.receive(e.op.hlc);
        if (e.op.kind == OpKind::kSetCell)
          cells_[{e.op.report, e.op.row, e.op.column}].server = e.cell;
        if (e.op.kind == OpKind::kDeleteRow) deleted_.insert({e.op.report, e.op.row});
      }
      cursor_ = page->cursor;
      if (!page->more) break;
    }
  }

  bool knows_deleted(const RowKey& r) const { return deleted_.count(r) > 0; }
  const std::map<CellKey, ClientCell>& cells() const { return cells_; }
  const std::vector<Operation>& outbox() const { return outbox_; }
  const std::set<std::string>& acknowledged() const { return acknowledged_; }
  const std::set<std::string>& made() const { return made_; }
  bool online = true;

 private:
  Operation next(OpKind kind, const CellKey& cell) {
    Operation op;
    op.id = {device_, ++counter_};
    op.hlc = hlc_.now();
    op.author = "staff-" + device_;
    op.kind = kind;
    op.report = std::get<0>(cell);
    op.row = std::get<1>(cell);
    op.column = std::get<2>(cell);
    made_.insert(op.id.to_string());
    return op;
  }

  std::string device_;
  HybridClock hlc_;
  int64_t counter_ = 0;
  int64_t cursor_ = 0;
  std::map<CellKey, ClientCell> cells_;
  std::set<RowKey> deleted_;
  std::vector<Operation> outbox_;
  std::set<std::string> acknowledged_;
  std::set<std::string> made_;
};

// Runs one seed against a fresh `store`.
inline void run_seed(uint64_t seed, ServerStore& store) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  FakeClock server_clock(1'700'000'000'000);
  ServerCore server(store, server_clock);

  // Each device's wall clock is off by its own skew (up to ±2 minutes).
  std::vector<std::unique_ptr<FakeClock>> clocks;
  std::vector<Client> clients;
  const size_t n_clients = 2 + pick(3);
  for (size_t i = 0; i < n_clients; ++i) {
    clocks.push_back(std::make_unique<FakeClock>(server_clock.now_ms() +
                                                 static_cast<int64_t>(pick(240'000)) - 120'000));
    clients.emplace_back("device-" + std::to_string(i), *clocks.back());
  }
  const std::vector<ReportKey> reports{{"411325-ybj", 2024, "final02", ""},
                                       {"411325-ybj", 2024, "perf-project", "p03"}};
  const std::vector<std::string> rows{"210", "21015", "i01", "i02"};
  const std::vector<std::string> cols{"total", "basic"};
  auto any_cell = [&] {
    return CellKey{reports[pick(2)], rows[pick(rows.size())], cols[pick(cols.size())]};
  };

  const int steps = 60 + static_cast<int>(pick(120));
  for (int step = 0; step < steps; ++step) {
    server_clock.advance(static_cast<int64_t>(pick(5000)));
    for (auto& c : clocks) c->advance(static_cast<int64_t>(pick(5000)));
    Client& c = clients[pick(clients.size())];
    const size_t action = pick(100);
    if (action < 60) {
      const CellKey cell = any_cell();
      if (!c.knows_deleted({std::get<0>(cell), std::get<1>(cell)}))
        c.edit(cell, std::to_string(pick(6)) + ".00");
    } else if (action < 64) {
      const std::string row = rows[2 + pick(2)];  // only dynamic rows are deleted
      const RowKey r{reports[1], row};
      if (!c.knows_deleted(r)) c.delete_row(r);
    } else if (action < 80) {
      if (c.online) c.push(server, 1 + pick(4), pick(3) == 0);
    } else if (action < 94) {
      if (c.online) c.pull(server);
    } else {
      c.online = !c.online;
    }
    if (::testing::Test::HasFatalFailure()) return;
  }

  // synchronize(): everyone online, everything pushed (once more, as a resend
  // after a lost answer would), then everything pulled.
  for (auto& c : clients) {
    c.online = true;
    c.push(server, c.outbox().size(), true);
  }
  for (auto& c : clients) c.pull(server);

  auto log = store.read(0, 1'000'000);
  ASSERT_TRUE(log.ok());
  // Every operation made is in the log exactly once, at consecutive sequences.
  std::map<std::string, int> seen;
  for (size_t i = 0; i < log->size(); ++i) {
    ASSERT_EQ((*log)[i].seq, static_cast<int64_t>(i + 1)) << "the log has a gap";
    ++seen[(*log)[i].op.id.to_string()];
  }
  for (const auto& c : clients) {
    EXPECT_TRUE(c.outbox().empty());
    for (const auto& id : c.made()) EXPECT_EQ(seen[id], 1) << id;
  }
  // Every replica equals the server, and shows no local value any more.
  std::map<CellKey, ServerCell> server_cells;
  for (const auto& e : *log) {
    if (e.op.kind == OpKind::kSetCell) server_cells[{e.op.report, e.op.row, e.op.column}] = e.cell;
  }
  for (const auto& c : clients) {
    for (const auto& [key, cell] : server_cells) {
      auto it = c.cells().find(key);
      ASSERT_NE(it, c.cells().end());
      EXPECT_EQ(it->second.server, cell);
      EXPECT_FALSE(it->second.pending.has_value());
    }
  }
  // No edit is silently lost: it is visible, kept in a conflict, or a later
  // edit was made by someone who had seen it.
  for (size_t i = 0; i < log->size(); ++i) {
    const LogEntry& e = (*log)[i];
    if (e.op.kind != OpKind::kSetCell) continue;
    const CellKey key{e.op.report, e.op.row, e.op.column};
    const ServerCell& final_cell = server_cells[key];
    bool kept = final_cell.writer == e.op.id || final_cell.value == e.op.value;
    for (const auto& k : final_cell.conflict)
      kept = kept || k.op == e.op.id || k.value == e.op.value;
    // f's device knew e's value if it had pulled the version that holds it
    // (e's own, or the earlier one e left unchanged because it wrote the same
    // value), or if it had itself written that same value before.
    auto device_knew_value = [&](const LogEntry& f, size_t f_index) {
      if (f.op.base_version >= e.cell.version) return true;
      for (size_t g = 0; g < f_index; ++g) {
        const LogEntry& w = (*log)[g];
        if (w.op.kind == OpKind::kSetCell && CellKey{w.op.report, w.op.row, w.op.column} == key &&
            w.op.id.device == f.op.id.device && w.op.value == e.op.value &&
            w.outcome == Outcome::kApplied) {
          return true;
        }
      }
      return false;
    };
    for (size_t j = i + 1; j < log->size() && !kept; ++j) {
      const LogEntry& f = (*log)[j];
      kept = f.op.kind == OpKind::kSetCell && CellKey{f.op.report, f.op.row, f.op.column} == key &&
             f.outcome == Outcome::kApplied && device_knew_value(f, j);
    }
    EXPECT_TRUE(kept) << "edit " << e.op.id.to_string() << " (" << e.op.value.value_or("")
                      << ") was lost";
    if (!kept && std::getenv("BUDGETSYNC_DUMP_LOG")) {  // the lost edit's cell, entry by entry
      for (const auto& f : *log) {
        if (!(CellKey{f.op.report, f.op.row, f.op.column} == key) &&
            !(f.op.kind == OpKind::kDeleteRow && f.op.report == e.op.report &&
              f.op.row == e.op.row))
          continue;
        std::printf("  seq %lld %s %s base %lld val %s -> %s visible %s v%lld conflict %zu\n",
                    (long long)f.seq, f.op.id.to_string().c_str(),
                    std::string(op_kind_name(f.op.kind)).c_str(), (long long)f.op.base_version,
                    f.op.value.value_or("-").c_str(), std::string(outcome_name(f.outcome)).c_str(),
                    f.cell.value.value_or("-").c_str(), (long long)f.cell.version,
                    f.cell.conflict.size());
      }
    }
  }
}

}  // namespace budgetsync::sync::testing
