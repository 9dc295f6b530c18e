// The review workflow on the server, without sockets: report states as
// operations, the lock they put on cells, the submitted snapshot, validation
// on submission, and who may take each step.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "../client/test_support.h"
#include "files/data_files.h"
#include "sync_service_fixture.h"

namespace budgetsync::server {
namespace {

using sync::Outcome;
using sync::StateAction;

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.rfind(prefix, 0) == 0;
}

class ReviewServiceTest : public testing::SyncServiceFixture {
 protected:
  sync::Operation step(const std::string& device, int64_t counter, const std::string& author,
                       const std::string& unit, sync::StateChange change) {
    sync::Operation op = edit(device, counter, author, unit, "");
    op.kind = sync::OpKind::kState;
    op.row.clear();
    op.column.clear();
    op.value = sync::encode_state_change(change);
    return op;
  }
  // A submission of 411325-ybj/2024/final01 whose snapshot has cell r1:amount.
  sync::Operation submit(const std::string& device, int64_t counter, const std::string& amount) {
    sync::StateChange c{StateAction::kSubmit, "", {}, {"a warning the clerk saw"}};
    if (!amount.empty()) c.cells.push_back({"r1", "amount", amount});
    return step(device, counter, "wang", "411325-ybj", c);
  }
  sync::Operation review(int64_t counter, StateAction action, const std::string& reason,
                         const std::string& user = "zhao") {
    return step("dev-" + user, counter, user, "411325-ybj", {action, reason, {}, {}});
  }
  sync::ReportState state() {
    auto s = store_->report_state(*ReportKey::parse("411325-ybj/2024/final01"));
    EXPECT_TRUE(s.ok());
    return s.ok() ? *s : sync::ReportState::kDraft;
  }
};

TEST_F(ReviewServiceTest, ASubmittedReportRefusesEditsUntilReturned) {
  SyncPeer wang = peer("wang");
  hello(wang, "dev-wang");
  auto r = push(wang,
                {edit("dev-wang", 1, "wang", "411325-ybj", "12.50"), submit("dev-wang", 2, "12.50"),
                 edit("dev-wang", 3, "wang", "411325-ybj", "13.00")});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[1].outcome, Outcome::kApplied) << r[1].reason;
  EXPECT_GT(r[1].seq, 0);
  EXPECT_EQ(r[2].outcome, Outcome::kRejected);
  EXPECT_TRUE(starts_with(r[2].reason, "report_locked:")) << r[2].reason;
  EXPECT_EQ(state(), sync::ReportState::kSubmitted);
  auto cell = store_->cell(*ReportKey::parse("411325-ybj/2024/final01"), "r1", "amount");
  ASSERT_TRUE(cell.ok());
  EXPECT_EQ(cell->value, "12.50");  // the refused edit changed nothing

  SyncPeer zhao = peer("zhao");
  hello(zhao, "dev-zhao");
  auto back = push(zhao, {review(1, StateAction::kReturn, "r1 与明细不符")});
  ASSERT_EQ(back[0].outcome, Outcome::kApplied) << back[0].reason;
  EXPECT_EQ(state(), sync::ReportState::kReturned);
  // After the return, the same edit sent anew (a new id) is applied.
  auto again = push(wang, {edit("dev-wang", 4, "wang", "411325-ybj", "13.00")});
  EXPECT_EQ(again[0].outcome, Outcome::kApplied) << again[0].reason;
  // Reviewers see the whole story, state changes included, in log order.
  auto pulled = pull(zhao);
  ASSERT_EQ(pulled.entries.size(), 4u);
  EXPECT_EQ(pulled.entries[1].op.kind, sync::OpKind::kState);
  EXPECT_GT(pulled.entries[1].server_ms, 0);
}

TEST_F(ReviewServiceTest, ASubmissionWhoseSnapshotDiffersFromTheServerIsStale) {
  SyncPeer wang = peer("wang");
  hello(wang, "dev-wang");
  push(wang, {edit("dev-wang", 1, "wang", "411325-ybj", "12.50")});
  auto r = push(wang, {submit("dev-wang", 2, "99.00")});
  EXPECT_EQ(r[0].outcome, Outcome::kRejected);
  EXPECT_TRUE(starts_with(r[0].reason, "stale_submission:")) << r[0].reason;
  EXPECT_NE(r[0].reason.find("12.50"), std::string::npos) << r[0].reason;
  // A snapshot missing a cell the server has is stale too.
  auto missing = push(wang, {submit("dev-wang", 3, "")});
  EXPECT_TRUE(starts_with(missing[0].reason, "stale_submission:")) << missing[0].reason;
  EXPECT_EQ(state(), sync::ReportState::kDraft);
  EXPECT_EQ(push(wang, {edit("dev-wang", 4, "wang", "411325-ybj", "1.00")})[0].outcome,
            Outcome::kApplied);
}

TEST_F(ReviewServiceTest, EachStepIsTakenOnlyByItsRoleAndInItsOrder) {
  SyncPeer wang = peer("wang");
  hello(wang, "dev-wang");
  SyncPeer zhao = peer("zhao");
  hello(zhao, "dev-zhao");
  add_user("qian", Role::kReviewer, "430602-ybj");
  SyncPeer qian = peer("qian");
  hello(qian, "dev-qian");

  auto early = push(zhao, {review(1, StateAction::kApprove, "")});
  EXPECT_TRUE(starts_with(early[0].reason, "invalid_transition:")) << early[0].reason;
  push(wang, {edit("dev-wang", 1, "wang", "411325-ybj", "12.50"), submit("dev-wang", 2, "12.50")});
  auto self =
      push(wang, {step("dev-wang", 3, "wang", "411325-ybj", {StateAction::kApprove, "", {}, {}})});
  EXPECT_TRUE(starts_with(self[0].reason, "forbidden:")) << self[0].reason;
  auto other = push(qian, {review(1, StateAction::kApprove, "", "qian")});
  EXPECT_TRUE(starts_with(other[0].reason, "unit_forbidden:")) << other[0].reason;
  auto no_reason = push(zhao, {review(2, StateAction::kReturn, "  ")});
  EXPECT_TRUE(starts_with(no_reason[0].reason, "malformed:")) << no_reason[0].reason;
  auto reviewer_submit =
      push(zhao, {step("dev-zhao", 3, "zhao", "411325-ybj", {StateAction::kSubmit, "", {}, {}})});
  EXPECT_TRUE(starts_with(reviewer_submit[0].reason, "forbidden:")) << reviewer_submit[0].reason;
  EXPECT_EQ(state(), sync::ReportState::kSubmitted);

  ASSERT_EQ(push(zhao, {review(4, StateAction::kApprove, "")})[0].outcome, Outcome::kApplied);
  EXPECT_EQ(state(), sync::ReportState::kApproved);
  auto locked = push(wang, {edit("dev-wang", 4, "wang", "411325-ybj", "1.00")});
  EXPECT_TRUE(starts_with(locked[0].reason, "report_locked:")) << locked[0].reason;
  auto resubmit = push(wang, {submit("dev-wang", 5, "12.50")});
  EXPECT_TRUE(starts_with(resubmit[0].reason, "invalid_transition:")) << resubmit[0].reason;
  ASSERT_EQ(push(zhao, {review(5, StateAction::kReopen, "数字需要更正")})[0].outcome,
            Outcome::kApplied);
  EXPECT_EQ(state(), sync::ReportState::kReturned);
  EXPECT_EQ(push(wang, {edit("dev-wang", 6, "wang", "411325-ybj", "1.00")})[0].outcome,
            Outcome::kApplied);
}

TEST_F(ReviewServiceTest, ReviewersSettleConflictsBelowThemButEditNothingElseThere) {
  SyncPeer wang = peer("wang");
  hello(wang, "dev-wang");
  SyncPeer zhao = peer("zhao");
  hello(zhao, "dev-zhao");
  auto plain = push(zhao, {edit("dev-zhao", 1, "zhao", "411325-ybj", "5.00")});
  EXPECT_TRUE(starts_with(plain[0].reason, "read_only:")) << plain[0].reason;
  // Two staff devices edit the same cell from the same base: a conflict.
  push(wang, {edit("dev-wang", 1, "wang", "411325-ybj", "1.00")});
  add_user("wang2", Role::kStaff, "411325-ybj");
  SyncPeer wang2 = peer("wang2");
  hello(wang2, "dev-wang2");
  auto clash = push(wang2, {edit("dev-wang2", 1, "wang2", "411325-ybj", "2.00")});
  ASSERT_EQ(clash[0].outcome, Outcome::kConflict);
  sync::Operation settle = edit("dev-zhao", 2, "zhao", "411325-ybj", "1.50");
  settle.base_version = clash[0].cell.version;
  auto settled = push(zhao, {settle});
  EXPECT_EQ(settled[0].outcome, Outcome::kApplied) << settled[0].reason;
  EXPECT_TRUE(settled[0].cell.conflict.empty());
  // Consolidating is a reviewer's step, into their own unit only.
  sync::Operation consolidate = edit("dev-wang", 2, "wang", "411325-ybj", "{}");
  consolidate.kind = sync::OpKind::kConsolidate;
  EXPECT_TRUE(starts_with(push(wang, {consolidate})[0].reason, "forbidden:"));
  sync::Operation elsewhere = edit("dev-zhao", 3, "zhao", "411325-ybj", "{}");
  elsewhere.kind = sync::OpKind::kConsolidate;
  EXPECT_TRUE(starts_with(push(zhao, {elsewhere})[0].reason, "unit_forbidden:"));
  sync::Operation own = edit("dev-zhao", 4, "zhao", "bureau", "{}");
  own.kind = sync::OpKind::kConsolidate;
  EXPECT_EQ(push(zhao, {own})[0].outcome, Outcome::kApplied);
}

// With the shipped templates the server runs the validation rules itself.
class ValidatedReviewTest : public ReviewServiceTest {
 protected:
  const Catalog* catalog() override {
    auto c = load_catalog(budgetsync::testing::data_dir());
    EXPECT_TRUE(c.ok()) << c.status().message();
    catalog_ = std::move(*c);
    return &catalog_;
  }

  // The 003 seed's project self-evaluation p09 (its 总分 is 99.74 where the
  // parts add up to 100.00), as wang's cell edits, and a matching snapshot.
  std::vector<sync::Operation> seed_p09(int64_t& counter, sync::StateChange& snapshot) {
    auto text = read_file(budgetsync::testing::seeds_dir() / "003_b1779cbacafc7ee6" /
                          "perf-project_p09.json");
    EXPECT_TRUE(text.ok());
    auto report = parse_report(*text, "p09", catalog_);
    EXPECT_TRUE(report.ok()) << report.status().message();
    report->key.unit = "411325-ybj";
    std::vector<sync::Operation> ops;
    for (size_t i = 0; i < report->rows.size(); ++i) {
      const ReportRow& row = report->rows[i];
      for (const auto& [col, cell] : row.cells) {
        sync::Operation op = edit("dev-wang", ++counter, "wang", "411325-ybj", cell.raw);
        op.report = report->key;
        op.row = row.key;
        op.column = col;
        op.section = row.section;
        op.sort_key = fmt::format("{:06d}", i);
        ops.push_back(op);
        if (!cell.raw.empty()) snapshot.cells.push_back({row.key, col, cell.raw});
      }
    }
    key_ = report->key;
    return ops;
  }

  Catalog catalog_;
  ReportKey key_;
};

TEST_F(ValidatedReviewTest, ValidationErrorsRefuseTheSubmissionOnTheServer) {
  SyncPeer wang = peer("wang");
  hello(wang, "dev-wang");
  int64_t counter = 0;
  sync::StateChange snapshot{StateAction::kSubmit, "", {}, {}};
  auto ops = seed_p09(counter, snapshot);
  for (const auto& r : push(wang, ops)) ASSERT_EQ(r.outcome, Outcome::kApplied) << r.reason;
  sync::Operation submit_op = step("dev-wang", ++counter, "wang", "411325-ybj", snapshot);
  submit_op.report = key_;
  auto refused = push(wang, {submit_op});
  ASSERT_EQ(refused[0].outcome, Outcome::kRejected);
  EXPECT_TRUE(starts_with(refused[0].reason, "validation_failed: 1 error")) << refused[0].reason;
  EXPECT_NE(refused[0].reason.find("total:score"), std::string::npos) << refused[0].reason;
  EXPECT_NE(refused[0].reason.find("99.74"), std::string::npos) << refused[0].reason;

  // The clerk corrects 总分 and submits again: accepted.
  sync::Operation fix = edit("dev-wang", ++counter, "wang", "411325-ybj", "100.00");
  fix.report = key_;
  fix.row = "total";
  fix.column = "score";
  auto cell = store_->cell(key_, "total", "score");
  ASSERT_TRUE(cell.ok());
  fix.base_version = cell->version;
  ASSERT_EQ(push(wang, {fix})[0].outcome, Outcome::kApplied);
  for (auto& c : snapshot.cells) {
    if (c.row == "total" && c.column == "score") c.value = "100.00";
  }
  sync::Operation again = step("dev-wang", ++counter, "wang", "411325-ybj", snapshot);
  again.report = key_;
  auto accepted = push(wang, {again});
  EXPECT_EQ(accepted[0].outcome, Outcome::kApplied) << accepted[0].reason;
  auto s = store_->report_state(key_);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, sync::ReportState::kSubmitted);
}

}  // namespace
}  // namespace budgetsync::server
