// The real client sync session through a relay that drops, duplicates or cuts
// the n-th frame, for n = 1, 2, ... until a session runs without the fault
// firing. After every n: the device's edits are all acknowledged and on the
// other device with its values, both replicas hold the same reports cell by
// cell, and no operation is in a history or the server's log twice. A session
// hit by the fault may fail, but the next one, unharmed, must succeed.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "../client/test_support.h"
#include "../support/faulty_relay.h"
#include "../support/in_process_server.h"
#include "client/replica.h"
#include "client/sync_agent.h"
#include "files/data_files.h"
#include "server/credentials.h"
#include "shared/report.h"

namespace budgetsync::testing {
namespace {

using Fault = FaultyRelay::Fault;

const ReportKey kFinal02{"411325-ybj", 2024, "final02", ""};
const std::vector<std::string> kColumns = {"superior", "business", "operating", "affiliated",
                                           "other"};
// Device B edits this column, A the others.
const std::string kColumnOfB = "fiscal";
// Each later round A edits this many cells and B this many: with the batch
// sizes below, two pushes and three pull pages, so every message type sits at
// some n, and A's pulls carry B's edits (where a page applied twice would show).
constexpr int kEditsPerRound = 12;
constexpr int kEditsOfBPerRound = 3;

std::string password(const std::string& user) {
  return "pw-" + user + "-secret";
}

class SessionFault : public ::testing::TestWithParam<Fault> {
 protected:
  static void SetUpTestSuite() {
    auto c = load_catalog(data_dir());
    ASSERT_TRUE(c.ok()) << c.status().message();
    catalog_ = new Catalog(std::move(*c));
  }
  static void TearDownTestSuite() { delete catalog_; }

  void SetUp() override {
    ASSERT_TRUE(server_.open().ok());
    server::AdminStore& admin = server_.admin();
    ASSERT_TRUE(admin.add_unit("411325-ybj", "内乡县医疗保障局", "").ok());
    for (const std::string name : {"wang", "zhang"}) {
      auto hash = server::hash_password(password(name), 1000);
      ASSERT_TRUE(hash.ok());
      ASSERT_TRUE(admin.add_user({name, server::Role::kStaff, "411325-ybj", false}, *hash).ok());
    }
    ASSERT_TRUE(server_.start().ok());
    relay_ = std::make_unique<FaultyRelay>(server_.port(), server_.server_cert(),
                                           server_.server_key(), server_.ca());
    ASSERT_TRUE(relay_->start().ok());

    for (auto [name, user, slot, random] : {std::tuple{"a.db", "wang", &a_, &random_a_},
                                            std::tuple{"b.db", "zhang", &b_, &random_b_}}) {
      auto r = client::Replica::create((dir_.path() / name).string(),
                                       {"411325-ybj", "内乡县医疗保障局", user}, *catalog_, clock_,
                                       *random);
      ASSERT_TRUE(r.ok()) << r.status().message();
      *slot = std::move(*r);
    }
    const client::ServerAddress direct{"127.0.0.1", static_cast<uint16_t>(server_.port())};
    for (auto [user, target] : {std::pair{"wang", &via_relay_}, std::pair{"zhang", &direct_}}) {
      auto answer = client::login(direct, server_.ca(), user, password(user));
      ASSERT_TRUE(answer.ok()) << answer.status().message();
      *target = client::SyncTarget{direct, server_.ca(), answer->token};
    }
    via_relay_.server.port = static_cast<uint16_t>(relay_->port());

    // Small batches and pages, so one session has several of each frame; a
    // short reply timeout, so a dropped frame ends the session quickly.
    options_.push_batch = 7;
    options_.pull_limit = 5;
    options_.reply_timeout_ms = 400;
    options_.connect_timeout_ms = 5'000;
    // The sessions that must succeed wait longer: a slow answer (a loaded
    // machine, a sanitizer build) is not what they test.
    patient_ = options_;
    patient_.reply_timeout_ms = 10'000;
  }

  void TearDown() override { relay_.reset(); }

  static Report seed(const std::string& file) {
    auto text = read_file(seeds_dir() / "003_b1779cbacafc7ee6" / file);
    EXPECT_TRUE(text.ok());
    auto r = parse_report(text.ok() ? *text : "", file, *catalog_);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : Report{};
  }

  // The round's edits: first A imports a report; in later rounds B (synced
  // directly) and then A set cells of it to values never used before.
  void edit(int round) {
    if (round == 1) {
      ASSERT_TRUE(a_->import_report(seed("final02.json")).ok());
      auto report = a_->load(kFinal02);
      ASSERT_TRUE(report.ok());
      for (const auto& row : report->rows) {
        if (row.key != "total" && row.cells.count(kColumns[0])) rows_.push_back(row.key);
      }
      ASSERT_GE(rows_.size(), 4u);
      return;
    }
    for (int i = 0; i < kEditsOfBPerRound; ++i) {
      const size_t k = edits_.size();
      set(*b_, rows_[k % rows_.size()], kColumnOfB, std::to_string(100 + k) + ".75");
    }
    auto b_sync = client::sync_once(*b_, direct_, patient_, clock_);
    ASSERT_TRUE(b_sync.ok()) << b_sync.status().message();
    for (int i = 0; i < kEditsPerRound; ++i) {
      const size_t k = edits_.size();
      const std::string& col = kColumns[(k / rows_.size()) % kColumns.size()];
      set(*a_, rows_[k % rows_.size()], col, std::to_string(100 + k) + ".25");
    }
  }

  void set(client::Replica& r, const std::string& row, const std::string& col,
           const std::string& text) {
    auto e = r.set_cell(kFinal02, row, col, text);
    ASSERT_TRUE(e.ok()) << row << "/" << col << ": " << e.status().message();
    edits_.push_back({&r, *e});
  }

  // Every cell of every report, "form/instance|row|column" to its text.
  static std::map<std::string, std::string> cells(const client::Replica& r) {
    std::map<std::string, std::string> out;
    auto all = r.load_all();
    EXPECT_TRUE(all.ok()) << all.status().message();
    if (!all.ok()) return out;
    for (const auto& report : *all) {
      for (const auto& row : report.rows) {
        for (const auto& [col, cell] : row.cells) {
          out[report.key.form + "/" + report.key.instance + "|" + row.key + "|" + col] = cell.raw;
        }
      }
    }
    return out;
  }

  static void expect_unique_ops(const std::vector<client::HistoryEntry>& history,
                                const std::string& where) {
    std::set<sync::OpId> seen;
    for (const auto& h : history)
      EXPECT_TRUE(seen.insert(h.op).second) << where << ": " << h.op.to_string() << " twice";
  }

  // B syncs directly; then nothing either device did is lost or doubled
  // anywhere.
  void expect_converged(const std::string& when) {
    SCOPED_TRACE(when);
    auto b_sync = client::sync_once(*b_, direct_, patient_, clock_);
    ASSERT_TRUE(b_sync.ok()) << b_sync.status().message();
    for (auto [name, replica] : {std::pair{"A", a_.get()}, std::pair{"B", b_.get()}}) {
      auto status = replica->status();
      ASSERT_TRUE(status.ok());
      EXPECT_EQ(status->pending_ops, 0) << name;
      EXPECT_EQ(status->rejected_ops, 0) << name;
      EXPECT_EQ(status->open_conflicts, 0) << name;
      auto refused = replica->rejected();
      ASSERT_TRUE(refused.ok());
      for (const auto& r : *refused)
        ADD_FAILURE() << name << " refused " << r.op.id.to_string() << ": " << r.reason;
    }

    const auto on_a = cells(*a_);
    const auto on_b = cells(*b_);
    EXPECT_FALSE(on_a.empty());
    EXPECT_EQ(on_a.size(), on_b.size());
    int differ = 0;
    for (const auto& [cell, value] : on_a) {
      auto there = on_b.find(cell);
      const std::string other = there == on_b.end() ? "<absent>" : there->second;
      if (other != value && ++differ <= 5)
        ADD_FAILURE() << cell << ": A " << value << ", B " << other;
    }
    EXPECT_EQ(differ, 0);

    // Each edit, on the other device with its value and its place in the log.
    std::set<std::pair<std::string, std::string>> edited;
    for (const auto& [by, e] : edits_) {
      edited.insert({e.row, e.column});
      client::Replica& other = by == a_.get() ? *b_ : *a_;
      auto h = other.history(kFinal02, e.row, e.column);
      ASSERT_TRUE(h.ok()) << h.status().message();
      bool found = false;
      for (const auto& entry : *h)
        found = found || (entry.op == e.op && entry.value == e.after && entry.server_seq > 0);
      EXPECT_TRUE(found) << e.op.to_string() << " (" << e.row << "/" << e.column << " = " << e.after
                         << ") is not on " << (by == a_.get() ? "B" : "A");
    }
    for (const auto& [row, col] : edited) {
      for (auto [name, replica] : {std::pair{"A", a_.get()}, std::pair{"B", b_.get()}}) {
        auto h = replica->history(kFinal02, row, col);
        ASSERT_TRUE(h.ok());
        expect_unique_ops(*h, std::string(name) + " " + row + "/" + col);
      }
    }

    auto log = server_.log_entries();
    ASSERT_TRUE(log.ok()) << log.status().message();
    std::set<sync::OpId> logged;
    for (const auto& entry : *log) {
      EXPECT_TRUE(logged.insert(entry.op.id).second)
          << "the server logged " << entry.op.id.to_string() << " twice";
    }
    for (const auto& edit : edits_)
      EXPECT_TRUE(logged.count(edit.second.op)) << edit.second.op.to_string();
  }

  static Catalog* catalog_;
  TempDir dir_;
  InProcessServer server_{dir_.path()};
  std::unique_ptr<FaultyRelay> relay_;
  sync::FakeClock clock_;
  sync::SeededRandom random_a_{11}, random_b_{12};
  std::unique_ptr<client::Replica> a_, b_;
  client::SyncTarget via_relay_, direct_;
  client::AgentOptions options_, patient_;
  std::vector<std::string> rows_;
  std::vector<std::pair<client::Replica*, client::CellEdit>> edits_;  // by whom, what
};

Catalog* SessionFault::catalog_ = nullptr;

TEST_P(SessionFault, AtEveryFrameUntilASessionRunsCleanNothingIsLostOrDoubled) {
  const Fault fault = GetParam();
  const auto started = std::chrono::steady_clock::now();
  int fired = 0, to_server = 0, failed = 0;
  int64_t import_session_frames = 0, clean_session_frames = 0;
  std::string hits;
  int n = 1;
  for (;; ++n) {
    ASSERT_LT(n, 200) << "no session ran without the fault firing";
    edit(n);
    if (HasFatalFailure()) return;
    relay_->arm(fault, n);
    auto faulted = client::sync_once(*a_, via_relay_, options_, clock_);
    const auto hit = relay_->fired();
    const std::string when = std::string(fault_name(fault)) + " at n=" + std::to_string(n);
    if (!hit) {
      ASSERT_TRUE(faulted.ok()) << when << " never fired, yet: " << faulted.status().message();
      clean_session_frames = relay_->messages();
      expect_converged(when + " (not fired)");
      break;
    }
    ++fired;
    if (hit->direction == FaultyRelay::Direction::kToServer) ++to_server;
    if (!faulted.ok()) ++failed;
    hits += " " + std::to_string(n) + ":" +
            (hit->direction == FaultyRelay::Direction::kToServer ? ">" : "<") + hit->type +
            (faulted.ok() ? "" : "!");
    relay_->disarm();
    auto again = client::sync_once(*a_, via_relay_, patient_, clock_);
    if (n == 1) import_session_frames = relay_->messages();
    ASSERT_TRUE(again.ok()) << "the session after " << when << " ("
                            << direction_name(hit->direction) << ", " << hit->type
                            << "): " << again.status().message();
    expect_converged(when);
    if (HasFatalFailure()) return;
  }
  // A loop that ends at once has tested nothing.
  EXPECT_GT(n, 3);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "[%s] %d faults fired (%d to server, %d to client), %d of those sessions failed; frames: "
      "import session %lld, later sessions %lld; %.2f s\n"
      "  hits (> to server, < to client, ! the session failed):%s\n",
      fault_name(fault), fired, to_server, fired - to_server, failed,
      static_cast<long long>(import_session_frames), static_cast<long long>(clean_session_frames),
      seconds, hits.c_str());
}

INSTANTIATE_TEST_SUITE_P(Kinds, SessionFault,
                         ::testing::Values(Fault::kDrop, Fault::kDuplicate, Fault::kCut),
                         [](const ::testing::TestParamInfo<Fault>& info) {
                           return std::string(fault_name(info.param));
                         });

}  // namespace
}  // namespace budgetsync::testing
