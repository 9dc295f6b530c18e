// Two real replicas (SQLite) and the server core in one process: an import on
// one device reaches the other, concurrent edits end as the same conflict on
// both, a later edit resolves it, and a pending local edit keeps showing.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <set>
#include <tuple>

#include "client/replica.h"
#include "client/report_view.h"
#include "files/data_files.h"
#include "shared/check.h"
#include "sync/report_info.h"
#include "sync/server_core.h"
#include "test_support.h"

namespace budgetsync::client {
namespace {

using budgetsync::testing::TempDir;

const ReportKey kFinal02{"411325-ybj", 2024, "final02", ""};
const ReportKey kP03{"411325-ybj", 2024, "perf-project", "p03"};

class ReplicaSync : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto c = load_catalog(budgetsync::testing::data_dir());
    ASSERT_TRUE(c.ok());
    catalog_ = new Catalog(std::move(*c));
  }
  static void TearDownTestSuite() { delete catalog_; }

  void SetUp() override {
    for (auto [name, user, slot] :
         {std::tuple{"a.db", "张三", &a_}, std::tuple{"b.db", "李四", &b_}}) {
      auto r =
          Replica::create((dir_.path() / name).string(), {"411325-ybj", "内乡县医疗保障局", user},
                          *catalog_, clock_, random_);
      ASSERT_TRUE(r.ok()) << r.status().message();
      *slot = std::move(*r);
    }
  }

  void push(Replica& r) {
    auto out = r.outbox(1'000'000);
    ASSERT_TRUE(out.ok()) << out.status().message();
    if (out->empty()) return;
    auto results = server_.push(*out, nullptr);
    ASSERT_TRUE(results.ok()) << results.status().message();
    ASSERT_TRUE(r.acknowledge(*results).ok());
  }

  void pull(Replica& r) {
    for (;;) {
      auto page = server_.pull(r.sync_cursor(), 50, nullptr);
      ASSERT_TRUE(page.ok());
      Status s = r.apply_pulled(page->entries, page->cursor);
      ASSERT_TRUE(s.ok()) << s.message();
      if (!page->more) break;
    }
  }

  void sync(Replica& r) {
    push(r);
    pull(r);
  }

  // final02 on both devices, then 2101505/total edited offline on both, a
  // second apart (16.00 on a, 17.00 on b), and both synced once: a conflict
  // on the server and on b. Returns the two edits.
  std::pair<CellEdit, CellEdit> conflicting_edits() {
    EXPECT_TRUE(a_->import_report(seed("final02.json")).ok());
    sync(*a_);
    sync(*b_);
    clock_.advance(1000);
    auto first = a_->set_cell(kFinal02, "2101505", "total", "16.00");
    clock_.advance(1000);
    auto second = b_->set_cell(kFinal02, "2101505", "total", "17.00");
    EXPECT_TRUE(first.ok() && second.ok());
    sync(*a_);
    sync(*b_);
    return {first.ok() ? *first : CellEdit{}, second.ok() ? *second : CellEdit{}};
  }

  // Device a's replica file copied (as to another machine), both open again.
  std::unique_ptr<Replica> copy_of_a() {
    a_.reset();  // closed: the file is whole without its WAL
    const auto copy = dir_.path() / "copy.db";
    std::filesystem::copy_file(dir_.path() / "a.db", copy);
    auto reopened = Replica::open((dir_.path() / "a.db").string(), *catalog_, clock_, random_);
    auto copied = Replica::open(copy.string(), *catalog_, clock_, random_);
    EXPECT_TRUE(reopened.ok() && copied.ok());
    if (!reopened.ok() || !copied.ok()) return nullptr;
    a_ = std::move(*reopened);
    return std::move(*copied);
  }

  static std::string value(Replica& r, const ReportKey& key, const std::string& row,
                           const std::string& col) {
    auto rep = r.load(key);
    EXPECT_TRUE(rep.ok()) << rep.status().message();
    const ReportCell* c = rep.ok() ? rep->cell(row, col) : nullptr;
    return c ? c->raw : "<absent>";
  }

  static Report seed(const std::string& file) {
    auto text = read_file(budgetsync::testing::seeds_dir() / "003_b1779cbacafc7ee6" / file);
    auto r = parse_report(*text, file, *catalog_);
    EXPECT_TRUE(r.ok());
    return *r;
  }

  static Catalog* catalog_;
  TempDir dir_;
  sync::FakeClock clock_;
  sync::SeededRandom random_{3};
  sync::MemoryServerStore store_;
  sync::ServerCore server_{store_, clock_};
  std::unique_ptr<Replica> a_, b_;
};

Catalog* ReplicaSync::catalog_ = nullptr;

TEST_F(ReplicaSync, AnImportLargerThanOnePushIsSentInPiecesAndEachCellOnce) {
  ASSERT_TRUE(a_->import_report(seed("final02.json")).ok());
  auto all = a_->outbox(1'000'000);
  ASSERT_TRUE(all.ok());
  ASSERT_GT(all->size(), 40u);
  std::vector<std::string> sent;
  for (int round = 0; round < 100; ++round) {
    auto batch = a_->outbox(7);
    ASSERT_TRUE(batch.ok());
    if (batch->empty()) break;
    auto results = server_.push(*batch, nullptr);
    ASSERT_TRUE(results.ok());
    ASSERT_TRUE(a_->acknowledge(*results).ok());
    for (const auto& op : *batch) sent.push_back(op.id.to_string());
  }
  // Every cell went exactly once, with the ids the whole outbox named.
  std::vector<std::string> expected;
  for (const auto& op : *all) expected.push_back(op.id.to_string());
  EXPECT_EQ(sent, expected);
  EXPECT_EQ(a_->status()->pending_ops, 0);
  pull(*b_);
  EXPECT_EQ(value(*b_, kFinal02, "2101505", "total"), "15.00");
}

TEST_F(ReplicaSync, AnImportOnOneDeviceReachesTheOther) {
  ASSERT_TRUE(a_->import_report(seed("final02.json")).ok());
  sync(*a_);
  sync(*b_);
  auto ra = a_->load(kFinal02);
  auto rb = b_->load(kFinal02);
  ASSERT_TRUE(ra.ok() && rb.ok()) << rb.status().message();
  ASSERT_EQ(rb->rows.size(), ra->rows.size());
  for (const auto& row : ra->rows) {
    for (const auto& [col, cell] : row.cells)
      EXPECT_EQ(value(*b_, kFinal02, row.key, col), cell.raw) << row.key;
  }
  auto h = b_->history(kFinal02, "2101505", "total");
  ASSERT_TRUE(h.ok());
  ASSERT_FALSE(h->empty());
  EXPECT_EQ(h->back().author, "张三");  // who typed it, on the other device
  EXPECT_EQ(a_->status()->pending_ops, 0);
}

TEST_F(ReplicaSync, ConcurrentEditsEndAsTheSameConflictEverywhereAndAnEditResolvesIt) {
  // Both offline, both edit the same cell.
  conflicting_edits();
  sync(*a_);
  EXPECT_EQ(value(*a_, kFinal02, "2101505", "total"), value(*b_, kFinal02, "2101505", "total"));
  EXPECT_EQ(value(*a_, kFinal02, "2101505", "total"), "17.00");  // the later clock wins the display
  EXPECT_EQ(a_->status()->open_conflicts, 1);
  for (Replica* r : {a_.get(), b_.get()}) {
    auto c = r->conflicts();
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c->size(), 1u);
    std::set<std::string> values;
    for (const auto& k : (*c)[0].cell.conflict) values.insert(k.value.value_or("<deleted>"));
    EXPECT_EQ(values, (std::set<std::string>{"16.00", "17.00"}));  // nothing typed is lost
  }
  // A, having seen the conflict, settles it.
  ASSERT_TRUE(a_->set_cell(kFinal02, "2101505", "total", "16.50").ok());
  sync(*a_);
  sync(*b_);
  EXPECT_EQ(value(*b_, kFinal02, "2101505", "total"), "16.50");
  EXPECT_TRUE(a_->conflicts()->empty());
  EXPECT_TRUE(b_->conflicts()->empty());
}

TEST_F(ReplicaSync, AConflictIsSettledByTakingOneOfItsValues) {
  const auto [mine, theirs] = conflicting_edits();
  // B looks at the conflict and keeps A's value, by its operation id.
  auto kept = b_->resolve(kFinal02, "2101505", "本年收入合计", "", mine.op.to_string());
  ASSERT_TRUE(kept.ok()) << kept.status().message();
  sync(*b_);
  sync(*a_);
  EXPECT_EQ(value(*a_, kFinal02, "2101505", "total"), "16.00");
  EXPECT_EQ(value(*b_, kFinal02, "2101505", "total"), "16.00");
  EXPECT_TRUE(a_->conflicts()->empty());
  auto none = b_->resolve(kFinal02, "2101505", "total", "1.00", "");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("没有未解决的冲突"), std::string::npos);
}

// Keeping the value the conflict already shows is a settlement too: an edit is
// written for it although the cell's value does not change.
TEST_F(ReplicaSync, TakingTheValueAConflictShowsSettlesIt) {
  const auto [earlier, later] = conflicting_edits();
  ASSERT_EQ(value(*b_, kFinal02, "2101505", "total"), "17.00");  // the later edit shows
  auto kept = b_->resolve(kFinal02, "2101505", "total", "", later.op.to_string());
  ASSERT_TRUE(kept.ok()) << kept.status().message();
  EXPECT_EQ(b_->status()->pending_ops, 1);
  sync(*b_);
  sync(*a_);
  EXPECT_TRUE(b_->conflicts()->empty());
  EXPECT_TRUE(a_->conflicts()->empty());
  EXPECT_EQ(value(*a_, kFinal02, "2101505", "total"), "17.00");
}

TEST_F(ReplicaSync, AServerRestoredFromABackupGetsEverythingAgain) {
  ASSERT_TRUE(a_->import_report(seed("final02.json")).ok());
  ASSERT_TRUE(*a_->note_server("store-1", 1) == false);  // first contact: nothing to reset
  sync(*a_);
  ASSERT_TRUE(a_->set_cell(kFinal02, "2101505", "total", "16.00").ok());
  sync(*a_);
  EXPECT_EQ(a_->status()->pending_ops, 0);
  EXPECT_GT(a_->sync_cursor(), 0);
  EXPECT_FALSE(*a_->note_server("store-1", 1));  // the same server: carry on
  // The server comes back from a backup that lost everything: a new epoch.
  sync::MemoryServerStore restored;
  sync::ServerCore fresh(restored, clock_);
  ASSERT_TRUE(*a_->note_server("store-1", 2));
  EXPECT_EQ(a_->sync_cursor(), 0);
  auto out = a_->outbox(1'000'000);
  ASSERT_TRUE(out.ok());
  auto results = fresh.push(*out, nullptr);
  ASSERT_TRUE(results.ok());
  ASSERT_TRUE(a_->acknowledge(*results).ok());
  // Every value A ever sent is on the restored server again, the edit included.
  auto cell = restored.cell(kFinal02, "2101505", "total");
  ASSERT_TRUE(cell.ok());
  EXPECT_EQ(cell->value, "16.00");
  EXPECT_EQ(a_->status()->pending_ops, 0);
}

TEST_F(ReplicaSync, APendingLocalEditKeepsShowingUntilTheServerAnswers) {
  ASSERT_TRUE(a_->import_report(seed("final02.json")).ok());
  sync(*a_);
  sync(*b_);
  ASSERT_TRUE(a_->set_cell(kFinal02, "2101505", "total", "20.00").ok());
  ASSERT_TRUE(b_->set_cell(kFinal02, "2101505", "total", "21.00").ok());
  sync(*b_);
  pull(*a_);  // A pulls B's edit but has not pushed its own yet
  EXPECT_EQ(value(*a_, kFinal02, "2101505", "total"), "20.00");
  sync(*a_);
  sync(*b_);
  EXPECT_EQ(value(*a_, kFinal02, "2101505", "total"), value(*b_, kFinal02, "2101505", "total"));
}

// The server refuses edits of 99.99 here, as it would a locked report's.
sync::Authorizer refuse_9999() {
  return [](const sync::Operation& op) -> std::optional<sync::Refusal> {
    if (op.value == "99.99")
      return sync::refuse(sync::RejectCode::kReportLocked, "the report is submitted");
    return std::nullopt;
  };
}

TEST_F(ReplicaSync, ARejectedEditStaysVisibleUntilRetriedAndThenReachesEveryone) {
  ASSERT_TRUE(a_->import_report(seed("final02.json")).ok());
  sync(*a_);
  sync(*b_);
  auto edit = a_->set_cell(kFinal02, "2101505", "total", "99.99");
  ASSERT_TRUE(edit.ok());
  auto out = a_->outbox(100);
  ASSERT_TRUE(out.ok());
  auto results = server_.push(*out, refuse_9999());
  ASSERT_TRUE(results.ok());
  ASSERT_TRUE(a_->acknowledge(*results).ok());

  // Kept on the device, marked, with the reason, and not sent again.
  auto refused = a_->rejected();
  ASSERT_TRUE(refused.ok());
  ASSERT_EQ(refused->size(), 1u);
  EXPECT_EQ((*refused)[0].op.id, edit->op);
  EXPECT_EQ((*refused)[0].reason, "report_locked: the report is submitted");
  EXPECT_EQ(a_->status()->rejected_ops, 1);
  EXPECT_TRUE(a_->outbox(100)->empty());
  EXPECT_EQ(value(*a_, kFinal02, "2101505", "total"), "99.99");

  // Retried once the server would take it: a new operation, applied everywhere.
  auto retried = a_->settle_rejected(edit->op, true);
  ASSERT_TRUE(retried.ok()) << retried.status().message();
  EXPECT_NE(retried->op, edit->op);
  EXPECT_EQ(a_->status()->rejected_ops, 0);
  ASSERT_EQ(a_->outbox(100)->size(), 1u);
  sync(*a_);
  sync(*b_);
  EXPECT_EQ(value(*b_, kFinal02, "2101505", "total"), "99.99");
  EXPECT_EQ(a_->status()->pending_ops, 0);
  EXPECT_FALSE(a_->settle_rejected(edit->op, true).ok());  // settled already
}

TEST_F(ReplicaSync, ADiscardedEditGivesTheCellItsEarlierValueBack) {
  ASSERT_TRUE(a_->import_report(seed("final02.json")).ok());
  sync(*a_);
  // An edit the server took, then one it refused, on top of the imported value.
  ASSERT_TRUE(a_->set_cell(kFinal02, "2101505", "total", "15.50").ok());
  sync(*a_);
  auto refused = a_->set_cell(kFinal02, "2101505", "total", "99.99");
  ASSERT_TRUE(refused.ok());
  auto results = server_.push(*a_->outbox(100), refuse_9999());
  ASSERT_TRUE(results.ok());
  ASSERT_TRUE(a_->acknowledge(*results).ok());

  auto discarded = a_->settle_rejected(refused->op, false);
  ASSERT_TRUE(discarded.ok()) << discarded.status().message();
  EXPECT_EQ(discarded->after, "15.50");
  EXPECT_EQ(value(*a_, kFinal02, "2101505", "total"), "15.50");
  EXPECT_EQ(a_->status()->rejected_ops, 0);
  EXPECT_TRUE(a_->outbox(100)->empty());  // nothing to send for a discard
  // Still in the log, marked.
  auto log = a_->log(false);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->back().status, OpStatus::kDiscarded);

  // With only the imported value before it, that value comes back.
  auto refused_on_import = a_->set_cell(kFinal02, "2101505", "fiscal", "99.99");
  ASSERT_TRUE(refused_on_import.ok());
  const std::string fiscal_before = *refused_on_import->before;
  ASSERT_TRUE(a_->acknowledge(*server_.push(*a_->outbox(100), refuse_9999())).ok());
  ASSERT_TRUE(a_->settle_rejected(refused_on_import->op, false).ok());
  EXPECT_EQ(value(*a_, kFinal02, "2101505", "fiscal"), fiscal_before);
  EXPECT_EQ(fiscal_before, "15.00");  // as the seed has it
  // The cell's story is the imported value alone: the given-up edit is in the
  // log, not among the values the cell had.
  auto story = a_->history(kFinal02, "2101505", "fiscal");
  ASSERT_TRUE(story.ok());
  ASSERT_EQ(story->size(), 1u);
  EXPECT_EQ(story->front().value, "15.00");
  EXPECT_EQ(story->front().kind, sync::OpKind::kImport);
}

TEST_F(ReplicaSync, OnlyACellEditCanBeRetriedAndOnlyARejectedOneSettled) {
  ASSERT_TRUE(a_->import_report(seed("final02.json")).ok());
  auto all = a_->outbox(1'000'000);
  ASSERT_TRUE(all.ok());
  // The whole import refused (as another unit's would be).
  auto results = server_.push(*all, [](const sync::Operation&) -> std::optional<sync::Refusal> {
    return sync::refuse(sync::RejectCode::kUnitForbidden, "not your unit");
  });
  ASSERT_TRUE(results.ok());
  ASSERT_TRUE(a_->acknowledge(*results).ok());
  auto refused = a_->rejected();
  ASSERT_TRUE(refused.ok());
  ASSERT_EQ(refused->size(), 1u);
  const sync::OpId import_id = (*refused)[0].op.id;
  auto retry = a_->settle_rejected(import_id, true);
  ASSERT_FALSE(retry.ok());
  EXPECT_NE(retry.status().message().find("只有填写单元格的修改才能重新应用"), std::string::npos);
  EXPECT_TRUE(a_->settle_rejected(import_id, false).ok());
  EXPECT_EQ(a_->status()->rejected_ops, 0);
  EXPECT_FALSE(a_->settle_rejected({"nosuchdevice", 1}, false).ok());
}

TEST_F(ReplicaSync, RowsAddedAndDeletedOnOneDeviceFollowOnTheOther) {
  ASSERT_TRUE(a_->import_report(seed("perf-project_p03.json")).ok());
  sync(*a_);
  sync(*b_);
  auto row = a_->add_row(kP03, "indicators", "i02", {{"level3", "维修面积"}, {"weight", "5"}});
  ASSERT_TRUE(row.ok());
  sync(*a_);
  sync(*b_);
  EXPECT_EQ(value(*b_, kP03, *row, "level3"), "维修面积");
  auto rep = b_->load(kP03);
  std::vector<std::string> order;
  for (const auto& r : rep->rows) {
    if (r.section == "indicators") order.push_back(r.key);
  }
  ASSERT_GE(order.size(), 3u);
  EXPECT_EQ(order[2], *row);  // placed after i02 there too
  ASSERT_TRUE(a_->delete_row(kP03, *row).ok());
  sync(*a_);
  sync(*b_);
  EXPECT_EQ(b_->load(kP03)->row(*row), nullptr);
}

const ReportKey kReviewed{"411325-ybj", 2024, "final02", ""};

std::string state_of(Replica& r, const ReportKey& key) {
  auto list = r.reports();
  EXPECT_TRUE(list.ok());
  for (const auto& s : *list) {
    if (s.key == key) return std::string(sync::state_name(s.state));
  }
  return "(missing)";
}

TEST_F(ReplicaSync, ARefusedSubmissionUnlocksTheReportAndCanBeSentAgain) {
  ASSERT_TRUE(a_->import_report(seed("final02.json")).ok());
  sync(*a_);
  int checks = 0;
  server_.set_submission_check([&](const ReportKey&) -> std::optional<sync::Refusal> {
    if (++checks == 1)
      return sync::refuse(sync::RejectCode::kValidationFailed,
                          "1 error in report " + kReviewed.to_string());
    return std::nullopt;
  });
  const sync::StateChange submit{sync::StateAction::kSubmit, "", {}, {}};
  ASSERT_TRUE(a_->change_state(kReviewed, submit).ok());
  EXPECT_EQ(state_of(*a_, kReviewed), "submitted");
  EXPECT_EQ(a_->set_cell(kReviewed, "2101505", "total", "1.00").status().code(),
            StatusCode::kFailedPrecondition);
  sync(*a_);
  // Refused on the server: back to a draft, the refusal kept with its reason.
  EXPECT_EQ(state_of(*a_, kReviewed), "draft");
  auto refused = a_->rejected();
  ASSERT_TRUE(refused.ok());
  ASSERT_EQ(refused->size(), 1u);
  EXPECT_EQ((*refused)[0].reason.rfind("validation_failed:", 0), 0u);
  // A refused submission does not stand in the way of the next one.
  ASSERT_TRUE(a_->change_state(kReviewed, submit).ok());
  sync(*a_);
  EXPECT_EQ(state_of(*a_, kReviewed), "submitted");
  pull(*b_);
  EXPECT_EQ(state_of(*b_, kReviewed), "submitted");
  auto history = b_->state_history(kReviewed);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1u);  // the refused one never reached the log
  EXPECT_GT((*history)[0].server_seq, 0);
}

TEST_F(ReplicaSync, ASubmissionWaitsUntilRefusedEditsAreSettled) {
  ASSERT_TRUE(a_->import_report(seed("final02.json")).ok());
  sync(*a_);
  pull(*b_);
  ASSERT_TRUE(b_->set_cell(kReviewed, "2101505", "total", "99.00").ok());  // offline
  ASSERT_TRUE(a_->change_state(kReviewed, {sync::StateAction::kSubmit, "", {}, {}}).ok());
  sync(*a_);
  sync(*b_);
  auto refused = b_->rejected();
  ASSERT_TRUE(refused.ok());
  ASSERT_EQ(refused->size(), 1u);
  EXPECT_EQ((*refused)[0].reason.rfind("report_locked:", 0), 0u);
  // A reviewer returns it (straight into the server core, as its own device would).
  sync::Operation back;
  back.id = {"reviewer-device", 1};
  back.hlc = {clock_.now_ms(), 0};
  back.author = "reviewer";
  back.kind = sync::OpKind::kState;
  back.report = kReviewed;
  back.value = sync::encode_state_change({sync::StateAction::kReturn, "请核对", {}, {}});
  ASSERT_TRUE(server_.push({back}, nullptr).ok());
  pull(*b_);
  EXPECT_EQ(state_of(*b_, kReviewed), "returned");
  auto blocked = b_->change_state(kReviewed, {sync::StateAction::kSubmit, "", {}, {}});
  EXPECT_EQ(blocked.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(blocked.status().message().find("被服务器拒绝"), std::string::npos);
  ASSERT_TRUE(b_->settle_rejected((*refused)[0].op.id, /*retry=*/true).ok());
  EXPECT_TRUE(b_->change_state(kReviewed, {sync::StateAction::kSubmit, "", {}, {}}).ok());
  sync(*b_);
  EXPECT_EQ(state_of(*b_, kReviewed), "submitted");
  EXPECT_EQ(value(*b_, kReviewed, "2101505", "total"), "99.00");
}

// A replica copied to a second machine (or restored from a backup) goes on
// with the same device id: both copies' next edits share an id. The server
// refuses the second (op_id_reused); that copy takes a new device id, numbers
// its waiting edits afresh and sends them again: both edits are kept, nothing
// is marked rejected, every replica ends equal, and the user is told.
TEST_F(ReplicaSync, ACopiedReplicaTakesANewDeviceIdAndLosesNoEdit) {
  ASSERT_TRUE(a_->import_report(seed("final02.json")).ok());
  sync(*a_);
  const std::string device = a_->device();
  std::unique_ptr<Replica> c = copy_of_a();
  ASSERT_TRUE(c);

  auto mine = a_->set_cell(kFinal02, "2101505", "total", "16.00");
  auto theirs = c->set_cell(kFinal02, "2101102", "total", "144.00");
  ASSERT_TRUE(mine.ok() && theirs.ok());
  ASSERT_EQ(mine->op, theirs->op);  // the same id for two different edits
  sync(*a_);

  auto out = c->outbox(100);
  ASSERT_TRUE(out.ok());
  auto answers = server_.push(*out, nullptr);
  ASSERT_TRUE(answers.ok());
  ASSERT_EQ(answers->front().code, sync::RejectCode::kOpIdReused);
  auto rekeyed = c->acknowledge(*answers);
  ASSERT_TRUE(rekeyed.ok()) << rekeyed.status().message();
  EXPECT_TRUE(*rekeyed);
  EXPECT_NE(c->device(), device);
  auto resent = c->outbox(100);
  ASSERT_TRUE(resent.ok());
  ASSERT_EQ(resent->size(), 1u);
  EXPECT_EQ(resent->front().id, (sync::OpId{c->device(), 1}));
  EXPECT_EQ(resent->front().value, "144.00");
  sync(*c);
  sync(*a_);
  sync(*b_);

  auto st = c->status();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->pending_ops, 0);
  EXPECT_EQ(st->rejected_ops, 0);
  EXPECT_EQ(st->rekeyed_from, device);
  EXPECT_EQ(st->rekeyed_ops, 1);
  for (Replica* r : {a_.get(), b_.get(), c.get()}) {
    EXPECT_EQ(value(*r, kFinal02, "2101505", "total"), "16.00");
    EXPECT_EQ(value(*r, kFinal02, "2101102", "total"), "144.00");
  }
  // The copy's next edit carries the new id onwards.
  auto next = c->set_cell(kFinal02, "2101102", "total", "145.00");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->op, (sync::OpId{c->device(), 2}));
}

TEST_F(ReplicaSync, AReportReceivedBySyncKeepsItsUnitNameAndSource) {
  Report imported = seed("final02.json");
  imported.unit_name = "内乡县医疗保障局（导入）";  // not the receiving replica's own name
  ASSERT_TRUE(a_->import_report(imported).ok());
  // A consolidation, made on one device, is one for every device.
  const ReportKey consolidated{"411325-ybj", 2023, "final02", ""};
  Report sum = seed("final02.json");
  sum.key = consolidated;
  ASSERT_TRUE(a_->write_consolidated(sum, "{}").ok());
  sync(*a_);
  sync(*b_);
  for (const ReportKey& key : {kFinal02, consolidated}) {
    auto ra = a_->load(key);
    auto rb = b_->load(key);
    ASSERT_TRUE(ra.ok() && rb.ok()) << rb.status().message();
    EXPECT_FALSE(ra->source.empty());
    EXPECT_EQ(rb->unit_name, ra->unit_name) << key.to_string();
    EXPECT_EQ(rb->source, ra->source) << key.to_string();
    // What `export --format json` writes is the same on both devices.
    EXPECT_EQ(render_report_json(*rb), render_report_json(*ra)) << key.to_string();
  }
  EXPECT_EQ(b_->load(kFinal02)->unit_name, "内乡县医疗保障局（导入）");
  EXPECT_EQ(b_->load(consolidated)->source, "汇总");
  EXPECT_EQ(a_->status()->pending_ops, 0);
}

// A consolidation written over a report imported in 元 with a part marked
// missing: its amounts are in the form's 万元 and it has every part, so the
// report is restated on both devices — never its 万元 sums read as 元.
TEST_F(ReplicaSync, AConsolidationOverAReportInYuanRestatesItsUnitAndParts) {
  Report yuan = seed("final02.json");
  yuan.money_unit = MoneyUnit::kYuan;
  yuan.not_in_source.columns = {{"main", "other"}};
  ASSERT_TRUE(a_->import_report(yuan).ok());
  sync(*a_);
  sync(*b_);
  ASSERT_TRUE(a_->write_consolidated(seed("final02.json"), "{}").ok());
  sync(*a_);
  sync(*b_);
  const FormTemplate& form = *catalog_->form("final02");
  for (Replica* r : {a_.get(), b_.get()}) {
    auto loaded = r->load(kFinal02);
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    EXPECT_EQ(loaded->unit_in(form), MoneyUnit::kWanYuan);
    EXPECT_TRUE(loaded->not_in_source.empty());
    const ReportCell* total = loaded->cell("210", "total");
    ASSERT_NE(total, nullptr);
    EXPECT_EQ(render_report_text(*loaded, form, *catalog_).find("单位：元"), std::string::npos);
  }
  auto info = store_.report_info(kFinal02);
  ASSERT_TRUE(info.ok() && info->has_value());
  EXPECT_EQ(sync::parse_report_info(**info)->money_unit, "万元");
}

// A table kept in 元 whose source printed no 其他收入 column: every device keeps
// its 金额单位 and the cut, shows the amounts in 元 and the cut cells as
// 来源中无, and judges it alike.
TEST_F(ReplicaSync, AReportsOwnMoneyUnitAndItsCutsReachTheOtherDevice) {
  Report yuan = seed("final02.json");
  yuan.money_unit = MoneyUnit::kYuan;
  yuan.not_in_source.columns = {{"main", "other"}};
  for (auto& row : yuan.rows) row.cells.erase("other");
  ASSERT_TRUE(a_->import_report(yuan).ok());
  sync(*a_);
  sync(*b_);
  auto ra = a_->load(kFinal02);
  auto rb = b_->load(kFinal02);
  ASSERT_TRUE(ra.ok() && rb.ok()) << rb.status().message();
  for (const Report* r : {&*ra, &*rb}) {
    ASSERT_TRUE(r->money_unit.has_value());
    EXPECT_EQ(*r->money_unit, MoneyUnit::kYuan);
    EXPECT_EQ(encode_not_in_source(r->not_in_source), R"([{"column":"other","section":"main"}])");
  }
  EXPECT_EQ(render_report_json(*rb), render_report_json(*ra));
  const FormTemplate& form = *catalog_->form("final02");
  const std::string shown = render_report_text(*rb, form, *catalog_);
  EXPECT_NE(shown.find("单位：元"), std::string::npos) << shown;
  EXPECT_NE(shown.find("来源中无"), std::string::npos) << shown;
  EXPECT_NE(shown.find("2,945.68"), std::string::npos) << shown;
  const auto findings_a = check_reports({*ra}, *catalog_).findings;
  const auto findings_b = check_reports({*rb}, *catalog_).findings;
  ASSERT_EQ(findings_b.size(), findings_a.size());
  for (size_t i = 0; i < findings_a.size(); ++i)
    EXPECT_EQ(findings_b[i].message, findings_a[i].message);

  // Device b had pulled it with the previous release, which kept neither: the
  // upgrade takes both from the report info it pulled then.
  b_.reset();
  const std::string b_path = (dir_.path() / "b.db").string();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(b_path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db,
                         "ALTER TABLE reports DROP COLUMN money_unit; ALTER TABLE reports DROP "
                         "COLUMN not_in_source; PRAGMA user_version = 4;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto upgraded = Replica::open(b_path, *catalog_, clock_, random_);
  ASSERT_TRUE(upgraded.ok()) << upgraded.status().message();
  auto ru = (*upgraded)->load(kFinal02);
  ASSERT_TRUE(ru.ok()) << ru.status().message();
  ASSERT_TRUE(ru->money_unit.has_value());
  EXPECT_EQ(*ru->money_unit, MoneyUnit::kYuan);
  EXPECT_TRUE(ru->not_in_source.covers(form, "main", "total", "other"));
}

// Device b makes the report empty (`new`) before it has seen a's import in 元:
// its report info states no unit, and that never turns a's 元 cells into 万元
// — on a, on b, or in what the server judges.
TEST_F(ReplicaSync, AReportMadeEmptyElsewhereKeepsTheUnitItsImportStated) {
  Report yuan = seed("final02.json");
  yuan.money_unit = MoneyUnit::kYuan;
  yuan.not_in_source.columns = {{"main", "other"}};
  ASSERT_TRUE(a_->import_report(yuan).ok());
  ASSERT_TRUE(b_->create_report(kFinal02).ok());
  sync(*a_);
  sync(*b_);  // b's empty report's info comes after a's in the log
  sync(*a_);
  for (Replica* r : {a_.get(), b_.get()}) {
    auto loaded = r->load(kFinal02);
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    ASSERT_TRUE(loaded->money_unit.has_value());
    EXPECT_EQ(*loaded->money_unit, MoneyUnit::kYuan);
    EXPECT_TRUE(loaded->not_in_source.covers(*catalog_->form("final02"), "main", "total", "other"));
    EXPECT_NE(loaded->source, "新建");
  }
  auto info = store_.report_info(kFinal02);
  ASSERT_TRUE(info.ok() && info->has_value());
  auto parsed = sync::parse_report_info(**info);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->money_unit, "元");
  // Another unit stated later still changes it.
  EXPECT_EQ(sync::merge_report_info(*parsed, {"", "", "万元", ""}).money_unit, "万元");
}

// A pulled report info whose marks this program's form cannot read changes
// the report's name but not its marks, and the report stays readable.
TEST_F(ReplicaSync, MarksTheFormCannotReadAreNotKeptAndTheReportStaysReadable) {
  ASSERT_TRUE(a_->import_report(seed("final02.json")).ok());
  sync(*a_);
  sync::Operation info;
  info.id = {"other-device", 1};
  info.hlc = {1'800'000'000'000, 0};
  info.author = "王五";
  info.kind = sync::OpKind::kReportInfo;
  info.report = kFinal02;
  info.value = sync::encode_report_info(
      {"内乡县医疗保障局（改）", "x.json", "", R"([{"section":"no_such_section"}])"});
  auto pushed = server_.push({info}, nullptr);
  ASSERT_TRUE(pushed.ok());
  ASSERT_EQ((*pushed)[0].outcome, sync::Outcome::kApplied) << (*pushed)[0].reason;
  pull(*b_);
  auto rb = b_->load(kFinal02);
  ASSERT_TRUE(rb.ok()) << rb.status().message();
  EXPECT_EQ(rb->unit_name, "内乡县医疗保障局（改）");
  EXPECT_TRUE(rb->not_in_source.empty());
  EXPECT_TRUE(b_->load_all().ok());
}

// A report made from nothing (`budgetsync new`) goes to every device as an
// imported one does: first empty, with its unit's name and source, then each
// cell typed into it.
TEST_F(ReplicaSync, ANewReportAndItsEditsReachTheOtherDevice) {
  const ReportKey fresh{"411325-ybj", 2025, "final01", ""};
  ASSERT_TRUE(a_->create_report(fresh).ok());
  sync(*a_);
  EXPECT_EQ(a_->status()->pending_ops, 0);
  sync(*b_);
  auto empty = b_->load(fresh);
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  EXPECT_EQ(empty->source, "新建");
  EXPECT_EQ(empty->unit_name, "内乡县医疗保障局");
  // On the other device it is there to edit, and to refuse a second `new`.
  EXPECT_EQ(b_->create_report(fresh).code(), StatusCode::kFailedPrecondition);
  auto edit = a_->set_cell(fresh, "in_fiscal", "amount", "3359.62");
  ASSERT_TRUE(edit.ok()) << edit.status().message();
  ASSERT_TRUE(b_->set_cell(fresh, "x210", "amount", "3000.00").ok());
  sync(*a_);
  sync(*b_);
  sync(*a_);
  EXPECT_EQ(value(*b_, fresh, "in_fiscal", "amount"), "3359.62");
  EXPECT_EQ(value(*a_, fresh, "x210", "amount"), "3000.00");
  EXPECT_EQ(render_report_json(*a_->load(fresh)), render_report_json(*b_->load(fresh)));
  EXPECT_EQ(a_->status()->pending_ops, 0);
  EXPECT_EQ(b_->status()->pending_ops, 0);
}

TEST_F(ReplicaSync, AnEmptyImportIsAnsweredAndStillNamesItsReport) {
  Report empty = seed("final02.json");
  for (auto& row : empty.rows) row.cells.clear();
  ASSERT_TRUE(a_->import_report(empty).ok());
  sync(*a_);
  EXPECT_EQ(a_->status()->pending_ops, 0);
  sync(*b_);
  auto rb = b_->load(kFinal02);
  ASSERT_TRUE(rb.ok()) << rb.status().message();
  EXPECT_EQ(rb->source, empty.source);
}

// Both copies go on working: each adds a row (named, on both, by the same id)
// and more, and the copy imports a report whose ids the other copy partly used
// too. The copy's row stays a row of its own under its new id, with its own
// cells; every imported cell arrives; nothing of one copy lands on the other's.
TEST_F(ReplicaSync, ACopysRowsAndImportsStayItsOwnUnderItsNewId) {
  ASSERT_TRUE(a_->import_report(seed("perf-project_p03.json")).ok());
  sync(*a_);
  std::unique_ptr<Replica> c = copy_of_a();
  ASSERT_TRUE(c);

  auto row_a = a_->add_row(kP03, "indicators", "", {{"level3", "甲的指标"}, {"weight", "5"}});
  ASSERT_TRUE(row_a.ok()) << row_a.status().message();
  for (const char* v : {"1", "2", "3", "4"})
    ASSERT_TRUE(a_->set_cell(kP03, *row_a, "target", std::string("≥9") + v + "%").ok());
  clock_.advance(3);  // the copy works a moment later
  auto row_c = c->add_row(kP03, "indicators", "", {{"level3", "丙的指标"}, {"weight", "3"}});
  ASSERT_TRUE(row_c.ok()) << row_c.status().message();
  ASSERT_EQ(*row_c, *row_a);  // one name for two rows, until the copy is re-keyed
  ASSERT_TRUE(c->import_report(seed("final03.json")).ok());
  sync(*a_);
  for (int round = 0; round < 3; ++round) sync(*c);  // refused, re-keyed, sent again
  sync(*a_);
  sync(*b_);

  auto st = c->status();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->pending_ops, 0);
  EXPECT_EQ(st->rejected_ops, 0);
  EXPECT_FALSE(st->rekeyed_from.empty());
  const ReportKey final03{"411325-ybj", 2024, "final03", ""};
  auto imported = c->load(final03);
  ASSERT_TRUE(imported.ok());
  for (Replica* r : {a_.get(), b_.get(), c.get()}) {
    auto p03 = r->load(kP03);
    ASSERT_TRUE(p03.ok());
    std::map<std::string, std::string> added;  // level3 -> row key
    for (const auto& row : p03->rows) {
      auto name = row.cells.find("level3");
      if (name != row.cells.end() &&
          (name->second.raw == "甲的指标" || name->second.raw == "丙的指标"))
        added[name->second.raw] = row.key;
    }
    ASSERT_EQ(added.size(), 2u) << (r == a_.get()   ? "a"
                                    : r == b_.get() ? "b"
                                                    : "c")
                                << ": " << (added.empty() ? "" : added.begin()->first);
    EXPECT_NE(added["甲的指标"], added["丙的指标"]);
    EXPECT_EQ(added["甲的指标"], *row_a);
    EXPECT_EQ(value(*r, kP03, added["丙的指标"], "weight"), "3");
    EXPECT_EQ(value(*r, kP03, added["甲的指标"], "weight"), "5");
    EXPECT_EQ(value(*r, kP03, added["甲的指标"], "target"), "≥94%");
    EXPECT_EQ(value(*r, kP03, added["丙的指标"], "target"), "<absent>");
    for (const auto& row : imported->rows) {
      for (const auto& [col, cell] : row.cells)
        EXPECT_EQ(value(*r, final03, row.key, col), cell.raw) << row.key << ":" << col;
    }
  }
}

// The copy, connected, pulls the other copy's edit made under an id it has
// itself used for an edit still waiting: that is the other copy's edit (its
// cell's history shows it), and the copy's own goes out under its new id.
TEST_F(ReplicaSync, ACopyPullingTheOtherCopysEditUnderItsOwnIdKeepsBoth) {
  ASSERT_TRUE(a_->import_report(seed("final02.json")).ok());
  sync(*a_);
  std::unique_ptr<Replica> c = copy_of_a();
  ASSERT_TRUE(c);
  auto theirs = a_->set_cell(kFinal02, "2101505", "total", "16.00");
  clock_.advance(3);
  auto mine = c->set_cell(kFinal02, "2101102", "total", "144.00");
  ASSERT_TRUE(mine.ok() && theirs.ok());
  ASSERT_EQ(mine->op, theirs->op);
  sync(*a_);
  pull(*c);  // before its own push, as a connected agent may on a notify
  auto h = c->history(kFinal02, "2101505", "total");
  ASSERT_TRUE(h.ok());
  ASSERT_FALSE(h->empty());
  EXPECT_EQ(h->back().value, "16.00");
  EXPECT_EQ(value(*c, kFinal02, "2101505", "total"), "16.00");
  EXPECT_EQ(c->status()->pending_ops, 1);
  for (int round = 0; round < 2; ++round) sync(*c);
  sync(*a_);
  sync(*b_);
  EXPECT_EQ(c->status()->pending_ops, 0);
  for (Replica* r : {a_.get(), b_.get(), c.get()}) {
    EXPECT_EQ(value(*r, kFinal02, "2101505", "total"), "16.00");
    EXPECT_EQ(value(*r, kFinal02, "2101102", "total"), "144.00");
    auto mine_h = r->history(kFinal02, "2101102", "total");
    ASSERT_TRUE(mine_h.ok());
    EXPECT_EQ(mine_h->back().value, "144.00");
    EXPECT_NE(mine_h->back().device, theirs->op.device);  // under the copy's new id
  }
}

}  // namespace
}  // namespace budgetsync::client
