#include "sync/protocol.h"

#include <gtest/gtest.h>

#include <random>

namespace budgetsync::sync {
namespace {

Operation sample_op(int n) {
  Operation op;
  op.id = {"a1b2c3d4e5f60708", n};
  op.hlc = {1'700'000'000'000 + n, static_cast<uint32_t>(n % 3)};
  op.author = "王会计";
  op.kind = OpKind::kSetCell;
  op.report = {"411325-ybj", 2024, "perf-project", "p03"};
  op.row = "funds_total";
  op.column = "score";
  op.value = n % 2 ? std::optional<std::string>("10.00") : std::nullopt;
  op.base_version = n;
  return op;
}

LogEntry sample_entry(int n) {
  LogEntry e;
  e.seq = n;
  e.op = sample_op(n);
  e.outcome = n % 2 ? Outcome::kConflict : Outcome::kApplied;
  e.cell.value = "10.00";
  e.cell.version = n;
  e.cell.hlc = e.op.hlc;
  e.cell.writer = e.op.id;
  e.cell.author = e.op.author;
  if (n % 2) {
    // Member by member: GCC 12 at -O3 takes a braced OpId's string for uninitialized.
    Contender theirs;
    theirs.op.device = "b";
    theirs.op.counter = 1;
    theirs.author = "李四";
    theirs.hlc = {5, 1};
    e.cell.conflict = {{e.op.id, e.op.author, e.op.hlc, std::string("6.10"), 3}, theirs};
  }
  return e;
}

std::vector<Message> samples() {
  return {Hello{"a1b2c3d4e5f60708", 42, "store-1", 3, "scope-a"},
          Welcome{"store-1", 3, 99, false, "scope-b"},
          Push{"batch-7", {sample_op(1), sample_op(2)}},
          PushResult{"batch-7", {sample_entry(1), sample_entry(2)}},
          Pull{17, 500},
          PullResult{{sample_entry(3), sample_entry(4)}, 4, true},
          Notify{123, std::nullopt, {}},
          Notify{5, 3, {sample_entry(4), sample_entry(5)}},
          ErrorMessage{"report_locked", "报表已上报，不能修改", false}};
}

TEST(Protocol, EveryMessageRoundTripsInJsonAndCbor) {
  for (const Encoding enc : {Encoding::kJson, Encoding::kCbor}) {
    for (const Message& m : samples()) {
      const std::string frame = encode(m, enc);
      auto back = decode(frame, enc);
      ASSERT_TRUE(back.ok()) << message_type(m) << ": " << back.status().message();
      EXPECT_EQ(message_type(*back), message_type(m));
      EXPECT_EQ(encode(*back, enc), frame) << message_type(m);  // nothing lost on the way
    }
  }
}

// A pull is mostly entries whose cell its own operation wrote: the cell is
// then sent as its version alone and read back whole.
TEST(Protocol, ACellItsOwnOperationWroteTravelsAsItsVersionAlone) {
  LogEntry plain = sample_entry(2);
  plain.op.value = "10.00";
  plain.cell.writer_base = plain.op.base_version;
  const std::string text = encode_entry(plain);
  EXPECT_NE(text.find(R"("cell":{"version":2})"), std::string::npos) << text;
  auto back = decode_entry(text);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->cell, plain.cell);

  // Any difference from the operation (another writer's value, an open
  // conflict) sends the whole cell.
  LogEntry other = plain;
  other.cell.value = "11.00";
  auto other_back = decode_entry(encode_entry(other));
  ASSERT_TRUE(other_back.ok());
  EXPECT_EQ(other_back->cell, other.cell);
  const LogEntry conflicted = sample_entry(3);
  auto conflicted_back = decode_entry(encode_entry(conflicted));
  ASSERT_TRUE(conflicted_back.ok());
  EXPECT_EQ(conflicted_back->cell, conflicted.cell);
}

TEST(Protocol, CborIsSmallerThanJson) {
  const Message m = PullResult{{sample_entry(1), sample_entry(2), sample_entry(3)}, 3, false};
  EXPECT_LT(encode(m, Encoding::kCbor).size(), encode(m, Encoding::kJson).size());
}

struct BadFrame {
  const char* name;
  std::string frame;
  const char* expected;
};

class ProtocolBadFrame : public ::testing::TestWithParam<BadFrame> {};

TEST_P(ProtocolBadFrame, IsRefusedNamingTheField) {
  auto r = decode(GetParam().frame);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(GetParam().expected), std::string::npos)
      << r.status().message();
}

std::string op_json(const std::string& replace_from = "", const std::string& replace_to = "") {
  std::string s = encode(Push{"b", {sample_op(1)}});
  if (!replace_from.empty()) s.replace(s.find(replace_from), replace_from.size(), replace_to);
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ProtocolBadFrame,
    ::testing::Values(
        BadFrame{"not_json", "{\"v\":1,", "这一帧不是有效的 JSON"},
        BadFrame{"not_object", "[1,2]", "message：必须是 JSON 对象"},
        BadFrame{"no_version", R"({"type":"notify","last_seq":1})", "message.v：缺少这个必填字段"},
        BadFrame{"future_version", R"({"v":99,"type":"notify","last_seq":1})", "不支持协议版本 99"},
        BadFrame{"unknown_type", R"({"v":1,"type":"teleport"})", "不认识的消息类型“teleport”"},
        BadFrame{"missing_field", R"({"v":1,"type":"pull","cursor":0})",
                 "pull.limit：缺少这个必填字段"},
        BadFrame{"wrong_type", R"({"v":1,"type":"notify","last_seq":"7"})",
                 "notify.last_seq：必须是整数"},
        BadFrame{"pull_limit", R"({"v":1,"type":"pull","cursor":0,"limit":999999})",
                 "pull.limit：999999 不在"},
        BadFrame{"bad_op_id", op_json("a1b2c3d4e5f60708:1", "nocounter"), "push.ops[0].id"},
        BadFrame{"bad_report", op_json("411325-ybj/2024/perf-project:p03", "final02"),
                 "push.ops[0].report"},
        BadFrame{"bad_kind", op_json("\"set\"", "\"drop_table\""), "push.ops[0].kind"},
        BadFrame{"bad_hlc", op_json("001700000000001.000001", "yesterday"), "push.ops[0].hlc"},
        BadFrame{"value_number", op_json("\"10.00\"", "10"),
                 "push.ops[0].value：必须是字符串或 null"},
        BadFrame{"negative_base", op_json("\"base\":1", "\"base\":-1"),
                 "push.ops[0].base：不能是负数"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Protocol, LimitsAreCheckedBeforeWork) {
  Limits tight;
  tight.max_batch_ops = 1;
  auto r = decode(encode(Push{"b", {sample_op(1), sample_op(2)}}), Encoding::kJson, tight);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(frame_error_code(r.status()), "too_large");
  EXPECT_NE(r.status().message().find("push.ops：2 个操作，超过了上限 1"), std::string::npos);
  tight.max_frame_bytes = 10;
  r = decode(encode(Notify{1, std::nullopt, {}}), Encoding::kJson, tight);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(frame_error_code(r.status()), "too_large");
  EXPECT_NE(r.status().message().find("一帧有"), std::string::npos);
}

// Random and mutated frames: every one is either decoded or refused with a
// message; none crashes (run under ASan/UBSan in the suite).
TEST(Protocol, GarbageNeverCrashes) {
  std::mt19937_64 rng(20261122);
  std::vector<std::string> valid;
  for (const Message& m : samples()) {
    valid.push_back(encode(m, Encoding::kJson));
    valid.push_back(encode(m, Encoding::kCbor));
  }
  int refused = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string frame = valid[rng() % valid.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits && !frame.empty(); ++k) {
      const size_t pos = rng() % frame.size();
      switch (rng() % 3) {
        case 0:
          frame[pos] = static_cast<char>(rng());
          break;
        case 1:
          frame.erase(pos, 1 + rng() % 8);
          break;
        default:
          frame.insert(pos, 1, static_cast<char>(rng()));
          break;
      }
    }
    for (const Encoding enc : {Encoding::kJson, Encoding::kCbor}) {
      auto r = decode(frame, enc);
      if (!r.ok()) {
        ++refused;
        EXPECT_FALSE(r.status().message().empty());
      }
    }
  }
  EXPECT_GT(refused, 3000);
}

}  // namespace
}  // namespace budgetsync::sync
