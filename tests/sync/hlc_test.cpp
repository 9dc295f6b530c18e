#include "sync/hlc.h"

#include <gtest/gtest.h>

#include "sync/operation.h"
#include "sync/sort_key.h"

namespace budgetsync::sync {
namespace {

TEST(Hlc, FollowsTheWallClockAndNeverGoesBack) {
  FakeClock wall(1'000);
  HybridClock clock(wall);
  const Hlc a = clock.now();
  EXPECT_EQ(a, (Hlc{1'000, 0}));
  const Hlc b = clock.now();  // same millisecond: the logical part moves
  EXPECT_EQ(b, (Hlc{1'000, 1}));
  wall.set(500);  // the wall clock jumps back
  const Hlc c = clock.now();
  EXPECT_GT(c, b);
  wall.set(2'000);
  EXPECT_EQ(clock.now(), (Hlc{2'000, 0}));
}

TEST(Hlc, ReceivingMovesPastTheRemoteTimestamp) {
  FakeClock wall(1'000);
  HybridClock clock(wall);
  const Hlc mine = clock.now();
  const Hlc merged = clock.receive({1'500, 7});
  EXPECT_EQ(merged, (Hlc{1'500, 8}));
  EXPECT_GT(clock.now(), merged);
  EXPECT_GT(merged, mine);
}

TEST(Hlc, AClockFarInTheFutureIsClamped) {
  FakeClock wall(1'000'000);
  HybridClock clock(wall);
  const Hlc merged = clock.receive({1'000'000 + 24 * 3600 * 1000, 0}, 60'000);
  EXPECT_LE(merged.wall_ms, 1'000'000 + 60'000);
}

TEST(Hlc, TextSortsLikeTheValueAndRoundTrips) {
  const Hlc a{999, 12}, b{1'000, 0}, c{1'000, 3};
  EXPECT_LT(a.to_string(), b.to_string());
  EXPECT_LT(b.to_string(), c.to_string());
  EXPECT_EQ(Hlc::parse(c.to_string()).value(), c);
  EXPECT_FALSE(Hlc::parse("12:3").ok());
  EXPECT_FALSE(Hlc::parse("-5.1").ok());
}

TEST(OpId, RoundTripsAndRefusesGarbage) {
  const OpId id{"a1b2c3d4e5f60708", 42};
  EXPECT_EQ(id.to_string(), "a1b2c3d4e5f60708:42");
  EXPECT_EQ(OpId::parse(id.to_string()).value(), id);
  EXPECT_FALSE(OpId::parse("nocounter").ok());
  EXPECT_FALSE(OpId::parse("dev:0").ok());
  EXPECT_FALSE(OpId::parse(":5").ok());
}

TEST(SortKey, AlwaysFindsRoomBetweenTwoKeys) {
  // Insert repeatedly just after the first key: keys grow but stay ordered.
  std::vector<std::string> keys{sort_key_between("", "")};
  for (int i = 0; i < 200; ++i) {
    const std::string k = sort_key_between(keys.front(), keys.size() > 1 ? keys[1] : "");
    ASSERT_LT(keys.front(), k);
    if (keys.size() > 1) {
      ASSERT_LT(k, keys[1]);
    }
    ASSERT_NE(k.back(), '0');
    keys.insert(keys.begin() + 1, k);
  }
  for (size_t i = 1; i < keys.size(); ++i) EXPECT_LT(keys[i - 1], keys[i]);
  // Before the first and after the last.
  EXPECT_LT(sort_key_between("", keys.front()), keys.front());
  EXPECT_GT(sort_key_between(keys.back(), ""), keys.back());
}

TEST(SortKey, SequentialKeysAreOrderedAndLeaveRoom) {
  std::string prev;
  for (size_t i = 0; i < 2000; ++i) {
    const std::string k = sequential_sort_key(i, 2000);
    EXPECT_LT(prev, k);
    if (!prev.empty()) {
      const std::string mid = sort_key_between(prev, k);
      EXPECT_LT(prev, mid);
      EXPECT_LT(mid, k);
    }
    prev = k;
  }
}

}  // namespace
}  // namespace budgetsync::sync
