// Storage faults: the n-th write, sync or truncate fails, for every n until the
// operation gets through. At every n the command reports an error, and the
// replica — reopened — is exactly as it was before the command. Over local
// edits and imports, and over what sync does to a replica: applying a pulled
// page and taking the server's answers.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>

#include "../support/faulty_vfs.h"
#include "client/replica.h"
#include "files/data_files.h"
#include "sync/server_core.h"
#include "test_support.h"

namespace budgetsync::client {
namespace {

using budgetsync::testing::FaultyVfs;
using budgetsync::testing::TempDir;

const ReportKey kFinal02{"411325-ybj", 2024, "final02", ""};
const ReportKey kProject{"411325-ybj", 2024, "perf-project", "p03"};

// Everything a user could observe, as text: reports, cells, log, status.
std::string snapshot(Replica& r) {
  std::string out;
  auto all = r.load_all();
  EXPECT_TRUE(all.ok()) << all.status().message();
  for (const auto& rep : *all) {
    out += rep.key.to_string() + "\n";
    for (const auto& row : rep.rows) {
      for (const auto& [col, cell] : row.cells)
        out += "  " + row.key + ":" + col + "=" + cell.raw + "\n";
    }
  }
  auto log = r.log(false);
  EXPECT_TRUE(log.ok());
  for (const auto& op : *log) {
    out += op.op.id.to_string() + " " + op.op.hlc.to_string() + " " +
           std::string(sync::op_kind_name(op.op.kind)) + " " + op.op.row + ":" + op.op.column +
           "=" + op.op.value.value_or("<none>") + " " + std::string(op_status_name(op.status)) +
           " @" + std::to_string(op.server_seq) + "\n";
  }
  auto st = r.status();
  EXPECT_TRUE(st.ok());
  out += "cursor " + std::to_string(r.sync_cursor()) + ", pending " +
         std::to_string(st->pending_ops) + ", rejected " + std::to_string(st->rejected_ops) +
         ", conflicts " + std::to_string(st->open_conflicts) + ", device " + st->device + "\n";
  return out;
}

class ReplicaFaults : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    FaultyVfs::install();
    auto c = load_catalog(budgetsync::testing::data_dir());
    ASSERT_TRUE(c.ok());
    catalog_ = new Catalog(std::move(*c));
  }
  static void TearDownTestSuite() { delete catalog_; }

  void SetUp() override {
    auto r = Replica::create(path(), {"411325-ybj", "内乡县医疗保障局", "张三"}, *catalog_, clock_,
                             random_);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE((*r)->import_report(seed("final02.json")).ok());
    ASSERT_TRUE((*r)->import_report(seed("perf-project_p03.json")).ok());
  }

  std::string path() const { return (dir_.path() / "replica.db").string(); }

  static Report seed(const std::string& file) {
    auto text = read_file(budgetsync::testing::seeds_dir() / "003_b1779cbacafc7ee6" / file);
    auto r = parse_report(*text, file, *catalog_);
    EXPECT_TRUE(r.ok());
    return *r;
  }

  // Runs `op` on a replica opened through the faulty VFS with the n-th write
  // failing, for n = 1, 2, ... until it succeeds. Returns how many faults it saw.
  int loop_until_success(const std::function<Status(Replica&)>& op) {
    int faults = 0;
    for (int n = 1; n < 500; ++n) {
      std::string before;
      {
        auto clean = Replica::open(path(), *catalog_, clock_, random_);
        EXPECT_TRUE(clean.ok()) << clean.status().message();
        before = snapshot(**clean);
      }
      Status result;
      {
        auto faulty = Replica::open(path(), *catalog_, clock_, random_, FaultyVfs::kName);
        if (!faulty.ok()) return faults;
        FaultyVfs::fail_nth(n);
        result = op(**faulty);
        FaultyVfs::disarm();
      }
      if (!FaultyVfs::fired()) {
        EXPECT_TRUE(result.ok()) << "no fault injected, yet: " << result.message();
        std::printf("  %d injected faults before success\n", faults);
        return faults;
      }
      ++faults;
      auto reopened = Replica::open(path(), *catalog_, clock_, random_);
      EXPECT_TRUE(reopened.ok()) << "n=" << n << ": " << reopened.status().message();
      if (!reopened.ok()) return faults;
      const std::string after = snapshot(**reopened);
      if (result.ok()) {
        // A fault after the commit was durable (e.g. a checkpoint): the edit is
        // there in full, and reported as done.
        EXPECT_NE(after, before) << "n=" << n;
      } else {
        EXPECT_EQ(after, before) << "n=" << n
                                 << " left a partial change after: " << result.message();
        EXPECT_FALSE(result.message().empty());
      }
    }
    ADD_FAILURE() << "the operation never succeeded";
    return faults;
  }

  static Catalog* catalog_;
  TempDir dir_;
  sync::FakeClock clock_;
  sync::SeededRandom random_{7};
};

Catalog* ReplicaFaults::catalog_ = nullptr;

TEST_F(ReplicaFaults, ASingleEdit) {
  int value = 16;
  const int faults = loop_until_success([&](Replica& r) {
    auto e = r.set_cell(kFinal02, "2101505", "total", std::to_string(value++) + ".00");
    return e.ok() ? Status::Ok() : e.status();
  });
  EXPECT_GT(faults, 0);
}

TEST_F(ReplicaFaults, AnImport) {
  Report r03 = seed("final03.json");
  const int faults = loop_until_success([&](Replica& r) { return r.import_report(r03); });
  EXPECT_GT(faults, 0);
  auto check = Replica::open(path(), *catalog_, clock_, random_);
  auto rep = (*check)->load({"411325-ybj", 2024, "final03", ""});
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->rows.size(), r03.rows.size());
}

TEST_F(ReplicaFaults, AddingAndDeletingRows) {
  EXPECT_GT(
      loop_until_success([&](Replica& r) {
        auto row = r.add_row(kProject, "indicators", "", {{"level3", "新指标"}, {"weight", "5"}});
        return row.ok() ? Status::Ok() : row.status();
      }),
      0);
  EXPECT_GT(loop_until_success([&](Replica& r) { return r.delete_row(kProject, "i06"); }), 0);
}

// Another device's work, as the server logged it, arrives as one page: at
// every failure nothing of it shows and the cursor stays; once through, every
// cell is the other device's and the cursor is the page's.
TEST_F(ReplicaFaults, ApplyingAPulledPage) {
  sync::MemoryServerStore store;
  sync::ServerCore core(store, clock_);
  auto other =
      Replica::create((dir_.path() / "other.db").string(),
                      {"411325-ybj", "内乡县医疗保障局", "李四"}, *catalog_, clock_, random_);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->import_report(seed("final03.json")).ok());
  ASSERT_TRUE((*other)->import_report(seed("final02.json")).ok());
  ASSERT_TRUE((*other)->set_cell(kFinal02, "2101505", "total", "99.00").ok());
  auto out = (*other)->outbox(100000);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(core.push(*out, nullptr).ok());
  auto page = core.pull(0, 100000, nullptr);
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->more);
  EXPECT_GT(
      loop_until_success([&](Replica& r) { return r.apply_pulled(page->entries, page->cursor); }),
      0);
  auto check = Replica::open(path(), *catalog_, clock_, random_);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ((*check)->sync_cursor(), page->cursor);
  const ReportKey final03{"411325-ybj", 2024, "final03", ""};
  auto mine = (*check)->load(final03);
  auto theirs = (*other)->load(final03);
  ASSERT_TRUE(mine.ok() && theirs.ok());
  ASSERT_EQ(mine->rows.size(), theirs->rows.size());
  for (const auto& row : theirs->rows) {
    for (const auto& [col, cell] : row.cells) {
      const ReportCell* got = mine->cell(row.key, col);
      EXPECT_EQ(got ? got->raw : "<absent>", cell.raw) << row.key << ":" << col;
    }
  }
  EXPECT_EQ(mine->source, theirs->source);
}

// The server's answers to this device's outbox: at every failure every edit
// is still waiting (and is sent again); once through, none is.
TEST_F(ReplicaFaults, TakingTheServersAnswers) {
  sync::MemoryServerStore store;
  sync::ServerCore core(store, clock_);
  std::vector<sync::LogEntry> answers;
  {
    auto r = Replica::open(path(), *catalog_, clock_, random_);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE((*r)->set_cell(kFinal02, "2101505", "total", "16.00").ok());
    auto out = (*r)->outbox(100000);
    ASSERT_TRUE(out.ok());
    auto pushed = core.push(*out, nullptr);
    ASSERT_TRUE(pushed.ok());
    answers = *pushed;
  }
  EXPECT_GT(loop_until_success([&](Replica& r) { return r.acknowledge(answers).status(); }), 0);
  auto check = Replica::open(path(), *catalog_, clock_, random_);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ((*check)->status()->pending_ops, 0);
  EXPECT_TRUE((*check)->outbox(100000)->empty());
}

}  // namespace
}  // namespace budgetsync::client
