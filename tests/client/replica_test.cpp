#include "client/replica.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>

#include "files/data_files.h"
#include "sync/report_info.h"
#include "sync/server_core.h"
#include "test_support.h"

namespace budgetsync::client {
namespace {

using budgetsync::testing::TempDir;

const ReportKey kFinal02{"411325-ybj", 2024, "final02", ""};
const ReportKey kProject{"411325-ybj", 2024, "perf-project", "p03"};

class ReplicaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto c = load_catalog(budgetsync::testing::data_dir());
    ASSERT_TRUE(c.ok()) << c.status().message();
    catalog_ = new Catalog(std::move(*c));
  }
  static void TearDownTestSuite() { delete catalog_; }

  std::string path() const { return (dir_.path() / "replica.db").string(); }

  std::unique_ptr<Replica> create() {
    auto r = Replica::create(path(), {"411325-ybj", "内乡县医疗保障局", "张三"}, *catalog_, clock_,
                             random_);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(*r) : nullptr;
  }

  std::unique_ptr<Replica> reopen() {
    auto r = Replica::open(path(), *catalog_, clock_, random_);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(*r) : nullptr;
  }

  static Report seed(const std::string& file) {
    auto text = read_file(budgetsync::testing::seeds_dir() / "003_b1779cbacafc7ee6" / file);
    EXPECT_TRUE(text.ok());
    auto r = parse_report(*text, file, *catalog_);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return *r;
  }

  static std::string value(Replica& r, const ReportKey& key, const std::string& row,
                           const std::string& col) {
    auto rep = r.load(key);
    EXPECT_TRUE(rep.ok()) << rep.status().message();
    const ReportCell* c = rep.ok() ? rep->cell(row, col) : nullptr;
    return c ? c->raw : "<absent>";
  }

  static Catalog* catalog_;
  TempDir dir_;
  sync::FakeClock clock_;
  sync::SeededRandom random_{42};
};

Catalog* ReplicaTest::catalog_ = nullptr;

TEST_F(ReplicaTest, CreatesOnceAndReopensWithTheSameIdentity) {
  auto r = create();
  ASSERT_TRUE(r);
  const std::string device = r->device();
  EXPECT_EQ(device.size(), 16u);
  r.reset();
  auto again = Replica::create(path(), {"411325-ybj", "", "李四"}, *catalog_, clock_, random_);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("这里已有本地副本"), std::string::npos);
  auto opened = reopen();
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->device(), device);
  EXPECT_EQ(opened->identity().user, "张三");
  EXPECT_EQ(opened->identity().unit_name, "内乡县医疗保障局");
}

TEST_F(ReplicaTest, OpeningAMissingReplicaSaysHowToCreateOne) {
  auto r = Replica::open(path(), *catalog_, clock_, random_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("budgetsync init"), std::string::npos);
}

TEST_F(ReplicaTest, ImportKeepsEveryCellAsPrinted) {
  auto r = create();
  const Report original = seed("final02.json");
  ASSERT_TRUE(r->import_report(original).ok());
  auto loaded = r->load(kFinal02);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded->rows.size(), original.rows.size());
  for (size_t i = 0; i < original.rows.size(); ++i) {
    EXPECT_EQ(loaded->rows[i].key, original.rows[i].key);  // printed order kept
    for (const auto& [col, cell] : original.rows[i].cells) {
      EXPECT_EQ(loaded->cell(original.rows[i].key, col)->raw, cell.raw)
          << original.rows[i].key << ":" << col;
    }
  }
  auto again = r->import_report(original);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.message().find("已在本副本中，未作任何改动"), std::string::npos);
}

TEST_F(ReplicaTest, ImportOfAnotherUnitIsRefusedUnlessAllowed) {
  auto r = create();
  Report other = seed("final02.json");
  other.key.unit = "430602-ybj";
  auto s = r->import_report(other);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("不是本副本的单位 411325-ybj"), std::string::npos);
  EXPECT_TRUE(r->import_report(other, true).ok());
}

TEST_F(ReplicaTest, AnEditIsOneOperationWithItsHistory) {
  auto r = create();
  ASSERT_TRUE(r->import_report(seed("final02.json")).ok());
  clock_.advance(60'000);
  auto e = r->set_cell(kFinal02, "2101505", "本年收入合计", "16.00");  // column by label
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->column, "total");
  EXPECT_EQ(e->before, "15.00");
  EXPECT_EQ(value(*r, kFinal02, "2101505", "total"), "16.00");
  auto log = r->log(true);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 2u);  // the import, the edit
  const auto& op = log->back().op;
  EXPECT_EQ(op.kind, sync::OpKind::kSetCell);
  EXPECT_EQ(op.id.device, r->device());
  // The import reserved one operation id per cell it wrote and one for the
  // report's name and source; the edit comes next.
  EXPECT_EQ(op.id.counter, 2 + r->reports()->front().cells);
  EXPECT_EQ(op.author, "张三");
  EXPECT_EQ(op.report, kFinal02);
  EXPECT_EQ(op.row, "2101505");
  EXPECT_EQ(op.column, "total");
  EXPECT_EQ(op.value, "16.00");
  EXPECT_EQ(op.base_version, 0);
  auto h = r->history(kFinal02, "2101505", "total");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].value, "15.00");
  EXPECT_EQ((*h)[0].kind, sync::OpKind::kImport);
  EXPECT_EQ((*h)[1].value, "16.00");
  EXPECT_EQ((*h)[1].author, "张三");
  EXPECT_LT((*h)[0].hlc, (*h)[1].hlc);
}

TEST_F(ReplicaTest, SettingTheSameValueRecordsNothing) {
  auto r = create();
  ASSERT_TRUE(r->import_report(seed("final02.json")).ok());
  auto e = r->set_cell(kFinal02, "2101505", "total", "15.00");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->op.counter, 0);
  EXPECT_EQ(r->log(false)->size(), 1u);
}

TEST_F(ReplicaTest, BadEditsAreRefusedAndChangeNothing) {
  auto r = create();
  ASSERT_TRUE(r->import_report(seed("final02.json")).ok());
  struct Case {
    ReportKey key;
    const char* row;
    const char* col;
    const char* value;
    const char* message;
  };
  for (const Case& c : {Case{kFinal02, "2101505", "total", "十五", "“十五”不是以万元为单位的金额"},
                        Case{kFinal02, "2101505", "total", "1.234567891", "小数位数超过了"},
                        Case{kFinal02, "2101505", "totl", "1", "没有“totl”栏"},
                        Case{kFinal02, "nope", "total", "1", "没有“nope”这一行"},
                        Case{kFinal02, "2109999", "total", "1", "科目编码 2109999 不在 2024 年的"},
                        Case{{"411325-ybj", 2024, "final03", ""},
                             "210",
                             "total",
                             "1",
                             "本副本中没有报表 411325-ybj/2024/final03"}}) {
    auto e = r->set_cell(c.key, c.row, c.col, c.value);
    ASSERT_FALSE(e.ok()) << c.row << " " << c.col << " " << c.value;
    EXPECT_NE(e.status().message().find(c.message), std::string::npos) << e.status().message();
  }
  EXPECT_EQ(value(*r, kFinal02, "2101505", "total"), "15.00");
  EXPECT_EQ(r->log(false)->size(), 1u);
  // The counter did not move either: the next edit takes the first id after
  // those the import reserved.
  auto ok = r->set_cell(kFinal02, "2101505", "total", "15.50");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->op.counter, 2 + r->reports()->front().cells);
}

TEST_F(ReplicaTest, AFixedOrCodedRowNotYetFilledCanBeSet) {
  auto r = create();
  ASSERT_TRUE(r->import_report(seed("final02.json")).ok());
  auto e =
      r->set_cell(kFinal02, "2101504", "total", "3.00");  // a listed code the report did not have
  ASSERT_TRUE(e.ok()) << e.status().message();
  auto rep = r->load(kFinal02);
  ASSERT_TRUE(rep.ok());
  // The new code sits among its neighbours, not at the end.
  size_t pos_new = 0, pos_prev = 0, pos_next = 0;
  for (size_t i = 0; i < rep->rows.size(); ++i) {
    if (rep->rows[i].key == "2101504") pos_new = i;
    if (rep->rows[i].key == "2101502") pos_prev = i;
    if (rep->rows[i].key == "2101505") pos_next = i;
  }
  EXPECT_EQ(pos_new, pos_prev + 1);
  EXPECT_EQ(pos_next, pos_new + 1);
}

TEST_F(ReplicaTest, RowsAreAddedWhereAskedAndDeletedWithATombstone) {
  auto r = create();
  ASSERT_TRUE(r->import_report(seed("perf-project_p03.json")).ok());
  auto row = r->add_row(kProject, "indicators", "i02",
                        {{"level3", "维修面积"}, {"target", "≥100平方米"}, {"weight", "5"}});
  ASSERT_TRUE(row.ok()) << row.status().message();
  EXPECT_EQ(row->substr(0, 8), r->device().substr(0, 8));
  auto rep = r->load(kProject);
  ASSERT_TRUE(rep.ok());
  std::vector<std::string> keys;
  for (const auto& rr : rep->rows) {
    if (rr.section == "indicators") keys.push_back(rr.key);
  }
  ASSERT_GE(keys.size(), 4u);
  EXPECT_EQ(keys[1], "i02");
  EXPECT_EQ(keys[2], *row);
  EXPECT_EQ(keys[3], "i03");
  EXPECT_EQ(rep->cell(*row, "target")->raw, "≥100平方米");

  ASSERT_TRUE(r->delete_row(kProject, *row).ok());
  rep = r->load(kProject);
  EXPECT_EQ(rep->row(*row), nullptr);
  auto edit = r->set_cell(kProject, *row, "weight", "6");
  ASSERT_FALSE(edit.ok());
  EXPECT_NE(edit.status().message().find("已删除，不能再修改"), std::string::npos);
  auto h = r->history(kProject, *row, "weight");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].value, "5");
  EXPECT_FALSE((*h)[1].value.has_value());  // the tombstone
  EXPECT_EQ((*h)[1].kind, sync::OpKind::kDeleteRow);
  auto fixed = r->delete_row(kProject, "funds_total");
  ASSERT_FALSE(fixed.ok());
  EXPECT_NE(fixed.message().find("是表样本身的行，不能删除"), std::string::npos);
  auto bad = r->add_row(kProject, "indicators", "", {{"weight", "五"}});
  ASSERT_FALSE(bad.ok());
}

TEST_F(ReplicaTest, RevertIsANewEditNotARewrite) {
  auto r = create();
  ASSERT_TRUE(r->import_report(seed("final02.json")).ok());
  ASSERT_TRUE(r->set_cell(kFinal02, "2101505", "total", "16.00").ok());
  ASSERT_TRUE(r->set_cell(kFinal02, "2101505", "total", "17.00").ok());
  auto e = r->revert(kFinal02, "2101505", "total", 1);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(value(*r, kFinal02, "2101505", "total"), "15.00");
  auto h = r->history(kFinal02, "2101505", "total");
  ASSERT_EQ(h->size(), 4u);
  EXPECT_EQ((*h)[3].value, "15.00");
  EXPECT_FALSE(r->revert(kFinal02, "2101505", "total", 9).ok());
}

TEST_F(ReplicaTest, ClockAndCountersNeverGoBackwardsAcrossRestarts) {
  auto r = create();
  ASSERT_TRUE(r->import_report(seed("final02.json")).ok());
  ASSERT_TRUE(r->set_cell(kFinal02, "2101505", "total", "16.00").ok());
  const auto before = r->log(false)->back();
  r.reset();
  clock_.set(clock_.now_ms() - 86'400'000);  // the laptop's clock jumps a day back
  auto again = reopen();
  auto e = again->set_cell(kFinal02, "2101505", "total", "17.00");
  ASSERT_TRUE(e.ok());
  const auto after = again->log(false)->back();
  EXPECT_GT(after.op.hlc, before.op.hlc);
  EXPECT_EQ(after.op.id.counter, before.op.id.counter + 1);
  EXPECT_EQ(after.op.id.device, before.op.id.device);
}

// Two programs on one replica (the UI and a terminal): each edit takes its id
// and timestamp from the database, so alternating edits, rows and state
// changes never share an id and timestamps keep rising across both.
TEST_F(ReplicaTest, TwoProgramsOnOneReplicaNeverReuseAnIdOrATimestamp) {
  auto ui = create();
  ASSERT_TRUE(ui->import_report(seed("final02.json")).ok());
  ASSERT_TRUE(ui->import_report(seed("perf-project_p03.json")).ok());
  auto cli = reopen();
  ASSERT_TRUE(cli);
  for (int i = 0; i < 50; ++i) {
    Replica& r = i % 2 == 0 ? *ui : *cli;
    auto e = r.set_cell(kFinal02, i % 4 < 2 ? "2101505" : "2101102", "total",
                        fmt::format("{}.{:02}", 10 + i % 4, i));
    ASSERT_TRUE(e.ok()) << e.status().message();
    if (i % 10 == 3) {
      auto row = r.add_row(kProject, "indicators", "", {{"level3", fmt::format("指标{}", i)}});
      ASSERT_TRUE(row.ok()) << row.status().message();
    }
  }
  auto log = ui->log(false);
  ASSERT_TRUE(log.ok());
  std::set<sync::OpId> ids;
  std::set<std::string> rows;
  sync::Hlc last;
  for (const auto& rec : *log) {
    EXPECT_TRUE(ids.insert(rec.op.id).second) << rec.op.id.to_string() << " used twice";
    EXPECT_GT(rec.op.hlc, last) << rec.op.id.to_string();
    last = rec.op.hlc;
    if (rec.op.kind == sync::OpKind::kAddRow) {
      EXPECT_TRUE(rows.insert(rec.op.row).second);
    }
  }
  EXPECT_EQ(ids.size(), 2u + 50u + 5u * 2);  // imports, edits, rows and their first cells
  EXPECT_EQ(rows.size(), 5u);
  // The outbox (imports spread over the ids they reserved) has no id twice.
  auto out = cli->outbox(1'000'000);
  ASSERT_TRUE(out.ok());
  std::set<sync::OpId> sent;
  for (const auto& op : *out) EXPECT_TRUE(sent.insert(op.id).second) << op.id.to_string();
}

TEST_F(ReplicaTest, AReplicaFromANewerProgramIsRefused) {
  create().reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto r = Replica::open(path(), *catalog_, clock_, random_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("比本程序支持的版本"), std::string::npos);
}

TEST_F(ReplicaTest, TheOutboxSendsAnImportAsOneEditPerCellWithTheIdsItReserved) {
  auto r = create();
  const Report seed02 = seed("final02.json");
  ASSERT_TRUE(r->import_report(seed02).ok());
  const int64_t cells = r->reports()->front().cells;
  ASSERT_TRUE(
      r->set_cell(kFinal02, "2101505", "total", "16.00").ok());  // replaces an imported value
  auto out = r->outbox(100000);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(static_cast<int64_t>(out->size()), cells + 2);
  std::set<std::string> ids;
  bool original_sent = false;
  for (int64_t i = 0; i < cells; ++i) {
    const auto& op = (*out)[static_cast<size_t>(i)];
    EXPECT_EQ(op.kind, sync::OpKind::kSetCell);
    EXPECT_EQ(op.id.counter, 1 + i);  // contiguous from the import's own id
    EXPECT_EQ(op.base_version, 0);
    ids.insert(op.id.to_string());
    // The imported value goes out, even though an edit replaced it since.
    if (op.row == "2101505" && op.column == "total") original_sent = op.value == "15.00";
  }
  EXPECT_TRUE(original_sent);
  EXPECT_EQ(static_cast<int64_t>(ids.size()), cells);
  // Then the report's name, where it came from and the unit its cells are
  // written in (stated outright, the form's too), under the last id it reserved.
  const auto& info = (*out)[static_cast<size_t>(cells)];
  EXPECT_EQ(info.kind, sync::OpKind::kReportInfo);
  EXPECT_EQ(info.id.counter, cells + 1);
  EXPECT_EQ(info.value,
            sync::encode_report_info({seed02.unit_name, seed02.source, "万元",
                                      encode_not_in_source(seed02.not_in_source)}));
  EXPECT_EQ(out->back().value, "16.00");
  EXPECT_EQ(out->back().id.counter, cells + 2);
  // The same outbox, read again, is the same operations: a resend is a resend.
  auto again = r->outbox(100000);
  ASSERT_EQ(again->size(), out->size());
  for (size_t i = 0; i < out->size(); ++i) EXPECT_EQ((*again)[i].id, (*out)[i].id);
  EXPECT_EQ(r->outbox(5)->size(), 5u);
}

TEST_F(ReplicaTest, AnOutboxPushedTwiceToTheServerCoreIsAcceptedOnce) {
  auto r = create();
  ASSERT_TRUE(r->import_report(seed("final02.json")).ok());
  ASSERT_TRUE(r->set_cell(kFinal02, "2101505", "total", "16.00").ok());
  auto out = r->outbox(100000);
  ASSERT_TRUE(out.ok());
  sync::FakeClock server_clock(clock_.now_ms());
  sync::MemoryServerStore store;
  sync::ServerCore server(store, server_clock);
  auto first = server.push(*out, nullptr);
  ASSERT_TRUE(first.ok()) << first.status().message();
  for (const auto& e : *first) {
    EXPECT_EQ(e.outcome, sync::Outcome::kApplied) << e.op.id.to_string() << " " << e.reason;
  }
  EXPECT_EQ(first->back().cell.value, "16.00");  // the device's own later edit wins over its import
  auto second = server.push(*out, nullptr);
  ASSERT_TRUE(second.ok());
  for (size_t i = 0; i < out->size(); ++i) EXPECT_EQ((*second)[i].seq, (*first)[i].seq);
  EXPECT_EQ(server.pull(0, 100000, nullptr)->entries.size(), out->size());
}

TEST_F(ReplicaTest, StatusCountsPendingEdits) {
  auto r = create();
  ASSERT_TRUE(r->import_report(seed("final02.json")).ok());
  ASSERT_TRUE(r->set_cell(kFinal02, "2101505", "total", "16.00").ok());
  auto s = r->status();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->reports, 1);
  EXPECT_EQ(s->pending_ops, 2);
  EXPECT_TRUE(s->last_local_edit.has_value());
  EXPECT_TRUE(s->last_sync.empty());
}

}  // namespace
}  // namespace budgetsync::client
