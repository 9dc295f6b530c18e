// The server's SQLite store behind the same server core: the convergence
// harness, idempotency across a restart, and all-or-nothing batches.
#include "server/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdio>
#include <functional>
#include <set>

#include "../client/test_support.h"
#include "../support/faulty_vfs.h"
#include "../sync/convergence_harness.h"
#include "files/data_files.h"
#include "server/submission_check.h"
#include "sync/report_info.h"

namespace budgetsync::server {
namespace {

using budgetsync::testing::TempDir;

sync::Operation set_op(const std::string& device, int64_t counter, const std::string& value,
                       int64_t base) {
  sync::Operation op;
  op.id = {device, counter};
  op.hlc = {1'700'000'000'000 + counter, 0};
  op.author = "staff";
  op.kind = sync::OpKind::kSetCell;
  op.report = {"411325-ybj", 2024, "final02", ""};
  op.row = "2101505";
  op.column = "total";
  op.value = value;
  op.base_version = base;
  return op;
}

// `batch` pushed through the server core into the memory store and into a
// SQLite store, `check` run on each, then on the SQLite store reopened after
// `as_older_server` (SQL) made it look as an older server left it.
void in_every_store(const std::vector<sync::Operation>& batch, const std::string& as_older_server,
                    const std::function<void(sync::ServerStore&)>& check) {
  sync::FakeClock clock(1'700'000'000'000);
  {
    sync::MemoryServerStore memory;
    sync::ServerCore core(memory, clock);
    ASSERT_TRUE(core.push(batch, nullptr).ok());
    check(memory);
  }
  TempDir dir;
  const std::string path = (dir.path() / "server.db").string();
  {
    auto store = SqliteServerStore::open(path, &clock);
    ASSERT_TRUE(store.ok());
    sync::ServerCore core(**store, clock);
    ASSERT_TRUE(core.push(batch, nullptr).ok());
    check(**store);
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, as_older_server.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto reopened = SqliteServerStore::open(path, &clock);
  ASSERT_TRUE(reopened.ok());
  check(**reopened);
}

// A table kept in 元 with a column its source lacks: the server reads the
// report for its submission check as the import stated it, in every store, and
// a store made before it kept report infos learns them from its log.
TEST(SqliteServerStore, AReportsOwnMoneyUnitAndCutsAreWhatTheServerJudges) {
  auto catalog = load_catalog(budgetsync::testing::data_dir());
  ASSERT_TRUE(catalog.ok());
  sync::Operation info = set_op("a", 1, "", 0);
  info.kind = sync::OpKind::kReportInfo;
  info.row = info.column = "";
  info.value = sync::encode_report_info(
      {"内乡县医疗保障局", "final02.csv", "元", R"([{"column":"other","section":"main"}])"});
  const std::vector<sync::Operation> batch{info, set_op("a", 2, "15.00", 0)};
  const ReportKey key{"411325-ybj", 2024, "final02", ""};
  const auto judged_in_yuan = [&](sync::ServerStore& store) {
    auto r = stored_report(store, *catalog, key);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->unit_in(*catalog->form("final02")), MoneyUnit::kYuan);
    EXPECT_EQ(r->unit_name, "内乡县医疗保障局");
    EXPECT_TRUE(r->not_in_source.covers(*catalog->form("final02"), "main", "total", "other"));
    ASSERT_NE(r->cell("2101505", "total"), nullptr);
  };
  // An older server kept no report infos.
  in_every_store(batch, "DELETE FROM report_infos; PRAGMA user_version = 0;", judged_in_yuan);
  // A mark over a filled cell is not honoured: the cell is judged.
  sync::FakeClock clock(1'700'000'000'000);
  sync::MemoryServerStore memory;
  sync::ServerCore core(memory, clock);
  sync::Operation all = info;
  all.value =
      sync::encode_report_info({"内乡县医疗保障局", "final02.csv", "", R"([{"all":true}])"});
  ASSERT_TRUE(core.push({all, set_op("a", 2, "15.00", 0)}, nullptr).ok());
  auto r = stored_report(memory, *catalog, key);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->not_in_source.empty());
}

// A later report info that states no unit (the report made empty on another
// device) keeps the unit, the marks and the source the import stated, in both
// stores, and a store whose report infos a version-1 server kept as they came
// is filled again from its log.
TEST(SqliteServerStore, AnInfoStatingNoUnitKeepsTheUnitTheReportStated) {
  auto catalog = load_catalog(budgetsync::testing::data_dir());
  ASSERT_TRUE(catalog.ok());
  sync::Operation yuan = set_op("a", 1, "", 0);
  yuan.kind = sync::OpKind::kReportInfo;
  yuan.row = yuan.column = "";
  yuan.value = sync::encode_report_info(
      {"内乡县医疗保障局", "final02.csv", "元", R"([{"column":"other","section":"main"}])"});
  sync::Operation made_empty = yuan;
  made_empty.id = {"b", 1};
  made_empty.value = sync::encode_report_info({"内乡县医疗保障局", "新建", "", ""});
  const std::vector<sync::Operation> batch{yuan, set_op("a", 2, "15.00", 0), made_empty};
  const ReportKey key{"411325-ybj", 2024, "final02", ""};
  const auto in_yuan = [&](sync::ServerStore& store) {
    auto r = stored_report(store, *catalog, key);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->unit_in(*catalog->form("final02")), MoneyUnit::kYuan);
    EXPECT_EQ(r->source, "final02.csv");
    EXPECT_TRUE(r->not_in_source.covers(*catalog->form("final02"), "main", "total", "other"));
  };
  // A version-1 server kept the newest info as it came.
  in_every_store(batch,
                 "UPDATE report_infos SET info = '" + *made_empty.value +
                     "'; PRAGMA user_version = 1;",
                 in_yuan);
}

TEST(SqliteServerStore, ConvergesLikeTheReferenceStore) {
  for (uint64_t seed = 1; seed <= 150; ++seed) {
    auto store = SqliteServerStore::open(":memory:");
    ASSERT_TRUE(store.ok()) << store.status().message();
    sync::testing::run_seed(seed, **store);
    if (::testing::Test::HasFailure()) break;
  }
}

TEST(SqliteServerStore, AcknowledgedOperationsSurviveARestartAndKeepTheirAnswers) {
  TempDir dir;
  const std::string path = (dir.path() / "server.db").string();
  sync::FakeClock clock(1'700'000'000'000);
  std::vector<sync::LogEntry> first;
  {
    auto store = SqliteServerStore::open(path);
    ASSERT_TRUE(store.ok());
    sync::ServerCore core(**store, clock);
    auto r = core.push({set_op("a", 1, "15.00", 0), set_op("b", 1, "16.00", 0)}, nullptr);
    ASSERT_TRUE(r.ok()) << r.status().message();
    first = *r;
    EXPECT_EQ(first[1].outcome, sync::Outcome::kConflict);
  }
  auto store = SqliteServerStore::open(path);
  ASSERT_TRUE(store.ok());
  sync::ServerCore core(**store, clock);
  auto again =
      core.push({set_op("b", 1, "16.00", 0)}, nullptr);  // the answer was lost; the client resends
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].seq, first[1].seq);
  EXPECT_EQ((*again)[0].cell, first[1].cell);
  auto pulled = core.pull(0, 100, nullptr);
  ASSERT_TRUE(pulled.ok());
  ASSERT_EQ(pulled->entries.size(), 2u);
  EXPECT_EQ(pulled->entries[1].cell.conflict.size(), 2u);
}

// Fails the n-th record() of a batch, as a full disk would.
class FailingStore final : public sync::ServerStore {
 public:
  FailingStore(sync::ServerStore& inner, int fail_at) : inner_(inner), fail_at_(fail_at) {}
  Status begin() override { return inner_.begin(); }
  Status commit() override { return inner_.commit(); }
  void rollback() override { inner_.rollback(); }
  Result<std::optional<sync::LogEntry>> find(const sync::OpId& id) override {
    return inner_.find(id);
  }
  Result<sync::ServerCell> cell(const ReportKey& r, const std::string& row,
                                const std::string& col) override {
    return inner_.cell(r, row, col);
  }
  Result<std::optional<sync::Contender>> tombstone(const ReportKey& r,
                                                   const std::string& row) override {
    return inner_.tombstone(r, row);
  }
  Result<int64_t> last_seq() override { return inner_.last_seq(); }
  Status record(const sync::LogEntry& e) override {
    if (++calls_ == fail_at_) return Status::IoError("injected: no space left on device");
    return inner_.record(e);
  }
  Result<std::vector<sync::LogEntry>> read(int64_t after, size_t limit) override {
    return inner_.read(after, limit);
  }
  Result<sync::ReportState> report_state(const ReportKey& r) override {
    return inner_.report_state(r);
  }
  Result<std::vector<sync::StoredCell>> report_cells(const ReportKey& r) override {
    return inner_.report_cells(r);
  }
  Result<std::vector<ReportKey>> unit_reports(const std::string& unit, int year) override {
    return inner_.unit_reports(unit, year);
  }
  Result<std::optional<std::string>> report_info(const ReportKey& r) override {
    return inner_.report_info(r);
  }

 private:
  sync::ServerStore& inner_;
  int fail_at_;
  int calls_ = 0;
};

TEST(SqliteServerStore, AFailedBatchLeavesNothingBehind) {
  auto store = SqliteServerStore::open(":memory:");
  ASSERT_TRUE(store.ok());
  sync::FakeClock clock(1'700'000'000'000);
  {
    sync::ServerCore core(**store, clock);
    ASSERT_TRUE(core.push({set_op("a", 1, "15.00", 0)}, nullptr).ok());
  }
  const std::vector<sync::Operation> batch{set_op("a", 2, "16.00", 1), set_op("a", 3, "17.00", 2),
                                           set_op("b", 1, "18.00", 0)};
  for (int n = 1;; ++n) {
    FailingStore failing(**store, n);
    sync::ServerCore core(failing, clock);
    auto r = core.push(batch, nullptr);
    sync::ServerCore plain(**store, clock);
    auto log = plain.pull(0, 100, nullptr);
    ASSERT_TRUE(log.ok());
    if (r.ok()) {
      EXPECT_EQ(log->entries.size(), 4u);
      EXPECT_GT(n, 3);
      break;
    }
    EXPECT_NE(r.status().message().find("no space left"), std::string::npos);
    ASSERT_EQ(log->entries.size(), 1u) << "n=" << n << ": part of a failed batch was kept";
    EXPECT_FALSE((*store)->find({"a", 2})->has_value());
  }
  // The links of the failed batches went with them: the chain holds.
  auto check = (*store)->verify_audit();
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->broken_seq, 0) << check->problem;
  EXPECT_EQ(check->entries, 4);
}

// The disk fails under the store for real (the n-th write, sync or truncate
// of SQLite, commit() among them), for every n until a batch gets through. At
// every n the failed batch is answered with an error and, the store reopened,
// none of it is there — or, where the failure came after the commit was
// durable, all of it is, with the answers the client gets when it resends.
// Nothing answered is ever lost, and the audit chain holds throughout.
TEST(SqliteServerStore, ADiskFailingAtAnyPointOfABatchLosesNothingAnswered) {
  budgetsync::testing::FaultyVfs::install();
  TempDir dir;
  const std::string path = (dir.path() / "server.db").string();
  sync::FakeClock clock(1'700'000'000'000);
  auto log_of = [&] {
    auto store = SqliteServerStore::open(path, &clock);
    EXPECT_TRUE(store.ok());
    sync::ServerCore core(**store, clock);
    auto page = core.pull(0, 1000, nullptr);
    EXPECT_TRUE(page.ok());
    auto chain = (*store)->verify_audit();
    EXPECT_TRUE(chain.ok() && chain->broken_seq == 0) << chain->problem;
    return page->entries;
  };
  {
    auto store = SqliteServerStore::open(path, &clock);
    ASSERT_TRUE(store.ok());
    sync::ServerCore core(**store, clock);
    ASSERT_TRUE(core.push({set_op("a", 1, "15.00", 0)}, nullptr).ok());
  }
  int faults = 0;
  int durable = 0;  // failures after the commit was on disk
  int n = 1;
  for (;; ++n) {
    ASSERT_LT(n, 500) << "the batch never got through";
    const std::vector<sync::Operation> batch{set_op("a", 1 + n, std::to_string(n) + ".00", 0),
                                             set_op("b", n, std::to_string(n) + ".50", 0)};
    const auto before = log_of();
    Result<std::vector<sync::LogEntry>> r = Status::FailedPrecondition("not run");
    Result<std::vector<sync::LogEntry>> again = Status::FailedPrecondition("not run");
    {
      // The server keeps running after the failure: the client's resend
      // reaches the same store.
      auto store = SqliteServerStore::open(path, &clock, budgetsync::testing::FaultyVfs::kName);
      ASSERT_TRUE(store.ok()) << store.status().message();
      sync::ServerCore core(**store, clock);
      budgetsync::testing::FaultyVfs::fail_nth(n);
      r = core.push(batch, nullptr);
      budgetsync::testing::FaultyVfs::disarm();
      again = core.push(batch, nullptr);
    }
    const auto after = log_of();
    ASSERT_TRUE(again.ok()) << "n=" << n << ": " << again.status().message();
    ASSERT_EQ(after.size(), before.size() + 2) << "n=" << n;
    EXPECT_EQ((*again)[0].op.value, batch[0].value);
    if (!budgetsync::testing::FaultyVfs::fired()) {
      ASSERT_TRUE(r.ok()) << r.status().message();
      break;
    }
    ++faults;
    if (r.ok()) {
      // Durable before the failure: the resend gets the same answers.
      ++durable;
      EXPECT_EQ((*again)[0].seq, (*r)[0].seq) << "n=" << n;
      EXPECT_EQ((*again)[1].seq, (*r)[1].seq) << "n=" << n;
    } else {
      EXPECT_EQ(r.status().code(), StatusCode::kIoError)
          << "n=" << n << ": " << r.status().message();
      EXPECT_FALSE((*again)[0].resent) << "n=" << n << ": part of a failed batch was kept";
    }
  }
  std::printf("  %d injected faults before a batch got through (%d after its commit)\n", faults,
              durable);
  EXPECT_GT(faults, 2);
  // Every batch once, in order, each op once.
  const auto log = log_of();
  EXPECT_EQ(log.size(), 1u + 2u * static_cast<size_t>(n));
  std::set<std::string> ids;
  for (const auto& e : log) ids.insert(e.op.id.to_string());
  EXPECT_EQ(ids.size(), log.size());
}

// A store with five logged edits, and raw SQL access to it for tampering.
class AuditChain : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteServerStore::open(path_, &clock_);
    ASSERT_TRUE(store.ok());
    sync::ServerCore core(**store, clock_);
    for (int64_t i = 1; i <= 5; ++i) {
      clock_.advance(1000);
      ASSERT_TRUE(core.push({set_op("a", i, std::to_string(i) + "0.00", i - 1)}, nullptr).ok());
    }
  }

  SqliteServerStore::AuditCheck verify() {
    auto store = SqliteServerStore::open(path_, &clock_);
    EXPECT_TRUE(store.ok());
    auto check = (*store)->verify_audit();
    EXPECT_TRUE(check.ok()) << check.status().message();
    return check.ok() ? *check : SqliteServerStore::AuditCheck{};
  }

  void tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  TempDir dir_;
  std::string path_ = (dir_.path() / "server.db").string();
  sync::FakeClock clock_{1'700'000'000'000};
};

TEST_F(AuditChain, AnUntouchedLogVerifies) {
  const auto check = verify();
  EXPECT_EQ(check.broken_seq, 0) << check.problem;
  EXPECT_EQ(check.entries, 5);
  EXPECT_EQ(check.first_seq, 1);
}

TEST_F(AuditChain, AChangedEntryIsNamed) {
  tamper("UPDATE log SET entry = replace(entry, '30.00', '31.00') WHERE seq = 3");
  const auto check = verify();
  EXPECT_EQ(check.broken_seq, 3);
  EXPECT_EQ(check.entries, 2);  // the two before it are intact
}

TEST_F(AuditChain, AChangedEarlierValueIsNamed) {
  tamper("UPDATE audit SET old_value = '0.00' WHERE seq = 2");
  EXPECT_EQ(verify().broken_seq, 2);
}

TEST_F(AuditChain, AChangedServerTimeIsNamed) {
  tamper("UPDATE audit SET server_ms = server_ms + 1 WHERE seq = 4");
  EXPECT_EQ(verify().broken_seq, 4);
}

TEST_F(AuditChain, ARemovedEntryIsNamed) {
  tamper("DELETE FROM log WHERE seq = 4");
  EXPECT_EQ(verify().broken_seq, 4);
  tamper("DELETE FROM audit WHERE seq = 4");
  EXPECT_EQ(verify().broken_seq, 4);  // removing its link too does not hide it
}

TEST_F(AuditChain, TheLastEntryRemovedIsNamed) {
  tamper("DELETE FROM log WHERE seq = 5");
  EXPECT_EQ(verify().broken_seq, 5);
}

TEST_F(AuditChain, AForgedLinkIsNamed) {
  tamper("UPDATE audit SET hash = 'f00d' WHERE seq = 2");
  EXPECT_EQ(verify().broken_seq, 2);
}

}  // namespace
}  // namespace budgetsync::server
