// budgetsync-test-writer: one more program writing a replica, for the tests
// that run several at once. Makes COUNT edits of one cell, each its own
// transaction as `budgetsync set` makes it, in one process (a process per
// edit would measure process start-up, not the replica).
//
//   budgetsync-test-writer DATA_DIR REPLICA_DB REPORT ROW COLUMN COUNT
//
// Values count up from 1.00 by 0.01. Exit 0 when every edit was saved.
#include <fmt/format.h>

#include <cstdio>
#include <string>

#include "client/replica.h"
#include "files/data_files.h"
#include "sync/clock.h"
#include "sync/random.h"

int main(int argc, char** argv) {
  using namespace budgetsync;
  if (argc != 7) {
    fmt::print(stderr, "usage: {} DATA_DIR REPLICA_DB REPORT ROW COLUMN COUNT\n", argv[0]);
    return 2;
  }
  auto catalog = load_catalog(argv[1]);
  auto key = ReportKey::parse(argv[3]);
  if (!catalog.ok() || !key.ok()) {
    fmt::print(stderr, "cannot read the forms or the report key\n");
    return 2;
  }
  sync::SystemClock clock;
  sync::SystemRandom random;
  auto replica = client::Replica::open(argv[2], *catalog, clock, random);
  if (!replica.ok()) {
    fmt::print(stderr, "{}\n", replica.status().message());
    return 1;
  }
  const int count = std::stoi(argv[6]);
  for (int i = 0; i < count; ++i) {
    auto e =
        (*replica)->set_cell(*key, argv[4], argv[5], fmt::format("{}.{:02}", 1 + i / 100, i % 100));
    if (!e.ok()) {
      fmt::print(stderr, "edit {}: {}\n", i, e.status().message());
      return 1;
    }
  }
  return 0;
}
