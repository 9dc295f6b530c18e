#include "sync/merge.h"

#include <gtest/gtest.h>

#include "sync/report_info.h"
#include "sync/server_core.h"

namespace budgetsync::sync {
namespace {

const ReportKey kReport{"411325-ybj", 2024, "final02", ""};

Operation set_op(const std::string& device, int64_t counter, int64_t wall, const std::string& value,
                 int64_t base, const std::string& row = "2101505") {
  Operation op;
  op.id = {device, counter};
  op.hlc = {wall, 0};
  op.author = "user-" + device;
  op.kind = OpKind::kSetCell;
  op.report = kReport;
  op.row = row;
  op.column = "total";
  op.value = value;
  op.base_version = base;
  return op;
}

TEST(Merge, AnEditOnTheVersionItSawIsApplied) {
  const auto r = merge_set(ServerCell{}, set_op("a", 1, 100, "15.00", 0), 1);
  EXPECT_EQ(r.outcome, Outcome::kApplied);
  EXPECT_EQ(r.cell.value, "15.00");
  EXPECT_EQ(r.cell.version, 1);
  EXPECT_TRUE(r.cell.conflict.empty());
}

TEST(Merge, ConcurrentDifferentValuesConflictAndKeepBoth) {
  const ServerCell after_a = merge_set(ServerCell{}, set_op("a", 1, 100, "15.00", 0), 1).cell;
  const auto r = merge_set(after_a, set_op("b", 1, 90, "16.00", 0), 2);
  EXPECT_EQ(r.outcome, Outcome::kConflict);
  ASSERT_EQ(r.cell.conflict.size(), 2u);
  EXPECT_EQ(r.cell.value, "15.00");  // a's clock is later: a wins, b is kept
  EXPECT_EQ(r.cell.conflict[0].value, "15.00");
  EXPECT_EQ(r.cell.conflict[1].value, "16.00");
  EXPECT_EQ(r.cell.conflict[1].author, "user-b");
  EXPECT_EQ(r.cell.version, 2);
}

TEST(Merge, TheWinnerIsTheSameWhicheverArrivesFirst) {
  const Operation a = set_op("a", 1, 100, "15.00", 0);
  const Operation b = set_op("b", 1, 100, "16.00", 0);  // same clock: device id decides
  const ServerCell ab = merge_set(merge_set(ServerCell{}, a, 1).cell, b, 2).cell;
  const ServerCell ba = merge_set(merge_set(ServerCell{}, b, 1).cell, a, 2).cell;
  EXPECT_EQ(ab.value, "16.00");
  EXPECT_EQ(ba.value, "16.00");
  EXPECT_EQ(ab.conflict, ba.conflict);
}

TEST(Merge, EqualValuesAreNoConflict) {
  const ServerCell after_a = merge_set(ServerCell{}, set_op("a", 1, 100, "15.00", 0), 1).cell;
  const auto r = merge_set(after_a, set_op("b", 1, 90, "15.00", 0), 2);
  EXPECT_EQ(r.outcome, Outcome::kApplied);
  EXPECT_TRUE(r.cell.conflict.empty());
  EXPECT_EQ(r.cell, after_a);  // nothing changed, not even the version
}

TEST(Merge, AnEditThatSawTheConflictResolvesIt) {
  ServerCell c = merge_set(ServerCell{}, set_op("a", 1, 100, "15.00", 0), 1).cell;
  c = merge_set(c, set_op("b", 1, 90, "16.00", 0), 2).cell;
  ASSERT_FALSE(c.conflict.empty());
  const auto r = merge_set(c, set_op("b", 2, 120, "15.50", 2), 3);
  EXPECT_EQ(r.outcome, Outcome::kApplied);
  EXPECT_EQ(r.cell.value, "15.50");
  EXPECT_TRUE(r.cell.conflict.empty());
}

TEST(Merge, AThirdConcurrentValueJoinsTheOpenConflict) {
  ServerCell c = merge_set(ServerCell{}, set_op("a", 1, 100, "15.00", 0), 1).cell;
  c = merge_set(c, set_op("b", 1, 90, "16.00", 0), 2).cell;
  const auto r = merge_set(c, set_op("c", 1, 200, "17.00", 1), 3);
  EXPECT_EQ(r.outcome, Outcome::kConflict);
  EXPECT_EQ(r.cell.conflict.size(), 3u);
  EXPECT_EQ(r.cell.value, "17.00");
}

TEST(Merge, AnEditToADeletedRowIsKeptInAConflictNotResurrected) {
  const ServerCell c = merge_set(ServerCell{}, set_op("a", 1, 100, "5", 0, "r-1"), 1).cell;
  Contender tomb;  // member by member: GCC 12 at -O3 takes the aggregate's string for uninitialized
  tomb.op = {"b", 3};
  tomb.author = "user-b";
  tomb.hlc = {150, 0};
  const auto r = merge_set(c, set_op("a", 2, 200, "6", 1, "r-1"), 3, tomb);
  EXPECT_EQ(r.outcome, Outcome::kConflict);
  EXPECT_EQ(r.cell.value, "5");  // the row stays deleted; its last value is unchanged
  bool kept = false, tombstone = false;
  for (const auto& k : r.cell.conflict) {
    kept = kept || k.value == "6";
    tombstone = tombstone || !k.value.has_value();
  }
  EXPECT_TRUE(kept);
  EXPECT_TRUE(tombstone);
}

class ServerCoreTest : public ::testing::Test {
 protected:
  FakeClock clock_{1'000'000};
  MemoryServerStore store_;
  ServerCore core_{store_, clock_};
};

TEST_F(ServerCoreTest, AResentOperationGetsItsFirstAnswer) {
  const Operation op = set_op("a", 1, 1'000'000, "15.00", 0);
  auto first = core_.push({op}, nullptr);
  ASSERT_TRUE(first.ok());
  auto again = core_.push({op, op}, nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].seq, (*first)[0].seq);
  EXPECT_EQ((*again)[1].seq, (*first)[0].seq);
  EXPECT_EQ(core_.pull(0, 100, nullptr)->entries.size(), 1u);  // once in the log
}

TEST_F(ServerCoreTest, AnIdReusedForDifferentContentIsRejected) {
  ASSERT_TRUE(core_.push({set_op("a", 1, 1'000'000, "15.00", 0)}, nullptr).ok());
  auto r = core_.push({set_op("a", 1, 1'000'000, "99.00", 0)}, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].outcome, Outcome::kRejected);
  EXPECT_EQ((*r)[0].code, RejectCode::kOpIdReused);
  EXPECT_NE((*r)[0].reason.find("op_id_reused"), std::string::npos);
  EXPECT_EQ(core_.pull(0, 100, nullptr)->entries.size(), 1u);
}

TEST_F(ServerCoreTest, ARefusedOperationChangesNothing) {
  auto r = core_.push({set_op("a", 1, 1'000'000, "15.00", 0)}, [](const Operation&) {
    return std::optional<Refusal>(refuse(RejectCode::kUnitForbidden, "not your unit"));
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].outcome, Outcome::kRejected);
  EXPECT_EQ((*r)[0].code, RejectCode::kUnitForbidden);
  EXPECT_EQ((*r)[0].reason, "unit_forbidden: not your unit");
  EXPECT_TRUE(core_.pull(0, 100, nullptr)->entries.empty());
  EXPECT_EQ(store_.cell(kReport, "2101505", "total")->version, 0);
}

// Someone pushing under another device's id is refused, and the refusal is
// not kept as that id's answer: the rightful device's own edit with that id
// is applied when it arrives.
TEST_F(ServerCoreTest, AnIdRefusedForWhoSentItStaysFreeForItsDevice) {
  auto forged = core_.push({set_op("a", 1, 1'000'000, "66.00", 0)}, [](const Operation&) {
    return std::optional<Refusal>(refuse(RejectCode::kDeviceMismatch, "not this connection's"));
  });
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ((*forged)[0].outcome, Outcome::kRejected);
  auto own = core_.push({set_op("a", 1, 1'000'000, "15.00", 0)}, nullptr);
  ASSERT_TRUE(own.ok());
  EXPECT_EQ((*own)[0].outcome, Outcome::kApplied) << (*own)[0].reason;
  EXPECT_EQ(store_.cell(kReport, "2101505", "total")->value, "15.00");
}

TEST_F(ServerCoreTest, ReportInfoThatIsNotTheDocumentedObjectIsRefusedAsMalformed) {
  Operation good = set_op("a", 1, 1'000'000, "", 0);
  good.kind = OpKind::kReportInfo;
  good.row = good.column = "";
  good.value = encode_report_info(
      {"内乡县医疗保障局", "final02.json", "元", R"([{"from_row":"2101103","section":"main"}])"});
  Operation bad = good;
  bad.id.counter = 2;
  bad.value = R"({"unit_name": 7})";
  Operation huge = good;
  huge.id.counter = 3;
  huge.value = encode_report_info({std::string(kMaxReportInfoField + 1, 'x'), "", "", ""});
  Operation no_unit = good;
  no_unit.id.counter = 4;
  no_unit.value = R"({"unit_name": "内乡县医疗保障局", "source": "", "money_unit": "千元"})";
  Operation not_array = good;
  not_array.id.counter = 5;
  not_array.value = R"({"unit_name": "内乡县医疗保障局", "source": "", "not_in_source": "main:1"})";
  Operation not_marks = good;  // an array, but not of marks
  not_marks.id.counter = 6;
  not_marks.value =
      R"({"unit_name": "内乡县医疗保障局", "source": "", "not_in_source": ["main:1"]})";
  Operation deep = good;  // nesting no mark has, deep enough to exhaust a recursive walk
  deep.id.counter = 7;
  deep.value = R"({"unit_name": "x", "source": "", "not_in_source": [)" + std::string(20'000, '[') +
               std::string(20'000, ']') + "]}";
  auto r = core_.push({good, bad, huge, no_unit, not_array, not_marks, deep}, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].outcome, Outcome::kApplied);
  EXPECT_EQ((*r)[1].code, RejectCode::kMalformed);
  EXPECT_EQ((*r)[2].code, RejectCode::kMalformed);
  EXPECT_EQ((*r)[3].code, RejectCode::kMalformed);
  EXPECT_EQ((*r)[4].code, RejectCode::kMalformed);
  EXPECT_EQ((*r)[5].code, RejectCode::kMalformed);
  EXPECT_EQ((*r)[6].code, RejectCode::kMalformed);
  auto back = parse_report_info(*(*r)[0].op.value);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->unit_name, "内乡县医疗保障局");
  EXPECT_EQ(back->money_unit, "元");
  EXPECT_EQ(back->not_in_source, R"([{"from_row":"2101103","section":"main"}])");
}

TEST_F(ServerCoreTest, AClockFarAheadCannotWinEveryConflict) {
  ASSERT_TRUE(core_.push({set_op("a", 1, 1'000'000, "15.00", 0)}, nullptr).ok());
  // Device z's clock is a year ahead; its edit is concurrent (base 0).
  auto r = core_.push({set_op("z", 1, 1'000'000 + 365LL * 86'400'000, "99.00", 0)}, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_LE((*r)[0].op.hlc.wall_ms, 1'000'000 + HybridClock::kDefaultMaxSkewMs);
  // A later honest edit that did not see z's value still ranks by real time.
  clock_.advance(HybridClock::kDefaultMaxSkewMs + 1000);
  auto later = core_.push({set_op("b", 1, clock_.now_ms(), "16.00", 1)}, nullptr);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ((*later)[0].cell.value, "16.00");
}

// The server keeps a clamped timestamp for an edit from a clock far ahead, so
// its resend (with the device's own timestamp) is still a resend. Any other
// operation under a known id that differs only in its timestamp is another
// change — two copies of one device adding a row at the same place.
TEST_F(ServerCoreTest, OnlyAClampedTimestampMakesADifferentTimestampAResend) {
  const Operation ahead = set_op("z", 1, 1'000'000 + 365LL * 86'400'000, "99.00", 0);
  auto first = core_.push({ahead}, nullptr);
  ASSERT_TRUE(first.ok());
  ASSERT_NE((*first)[0].op.hlc, ahead.hlc);  // clamped
  auto again = core_.push({ahead}, nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)[0].resent);
  EXPECT_EQ((*again)[0].seq, (*first)[0].seq);

  const Operation mine = set_op("a", 1, 1'000'000, "15.00", 0);
  ASSERT_TRUE(core_.push({mine}, nullptr).ok());
  Operation copy = mine;
  copy.hlc.wall_ms += 3;
  auto other = core_.push({copy}, nullptr);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)[0].code, RejectCode::kOpIdReused);
}

// After an id reused in a batch, the device's later operations there are not
// applied under its old id: it sends them again under its new one.
TEST_F(ServerCoreTest, ABatchStopsAtAReusedIdForThatDevice) {
  ASSERT_TRUE(core_.push({set_op("a", 1, 1'000'000, "15.00", 0)}, nullptr).ok());
  auto r = core_.push({set_op("a", 1, 1'000'000, "16.00", 0), set_op("a", 2, 1'000'001, "17.00", 0),
                       set_op("b", 1, 1'000'001, "18.00", 0)},
                      nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].code, RejectCode::kOpIdReused);
  EXPECT_EQ((*r)[1].code, RejectCode::kOpIdReused);
  EXPECT_EQ((*r)[1].outcome, Outcome::kRejected);
  EXPECT_NE((*r)[2].outcome, Outcome::kRejected);    // another device goes on
  EXPECT_FALSE(store_.find({"a", 2})->has_value());  // the id stays free
}

TEST_F(ServerCoreTest, PullIsScopedAndResumable) {
  Operation other = set_op("a", 2, 1'000'000, "1.00", 0);
  other.report.unit = "430602-ybj";
  ASSERT_TRUE(core_
                  .push({set_op("a", 1, 1'000'000, "15.00", 0), other,
                         set_op("a", 3, 1'000'001, "16.00", 1)},
                        nullptr)
                  .ok());
  auto mine = [](const ReportKey& k) { return k.unit == "411325-ybj"; };
  auto page = core_.pull(0, 2, mine);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->cursor, 2);
  EXPECT_TRUE(page->more);
  auto rest = core_.pull(page->cursor, 2, mine);
  ASSERT_EQ(rest->entries.size(), 1u);
  EXPECT_EQ(rest->entries[0].op.value, "16.00");
  EXPECT_FALSE(rest->more);
}

}  // namespace
}  // namespace budgetsync::sync
