// Secrets at rest: the replica (which keeps the session token) and the server
// store, with their WAL and shared-memory files, are the owner's alone, and
// so are their folders, even under a umask that would make them readable to
// everyone.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "../support/processes.h"

namespace budgetsync::testing {
namespace {

// The permission bits of `path` (-1 when it is missing).
int mode_of(const std::filesystem::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
}

TEST(FileModes, DatabasesAndTheirFoldersAreTheOwnersAloneWhateverTheUmask) {
  ::umask(0);  // this test's process alone: CTest runs each test in its own
  TempDir dir;
  ServerProcess server(dir.path());
  ASSERT_EQ(server.admin({"init"}).exit_code, 0);
  ASSERT_EQ(server.admin({"unit", "add", "411325-ybj", "内乡县医疗保障局"}).exit_code, 0);
  ASSERT_EQ(server.add_user("wang", "staff", "411325-ybj"), 0);
  ASSERT_TRUE(server.start()) << server.error();
  ClientProcess wang(dir.path(), "wang");
  ASSERT_EQ(wang.init_and_login(server, "411325-ybj").exit_code, 0);
  ASSERT_EQ(wang.run({"import", (seed_folder("003_") / "final02.json").string()}).exit_code, 0);
  ASSERT_EQ(wang.run({"sync"}).exit_code, 0);  // the server store is written too

  const std::filesystem::path replica = wang.dir();
  const std::filesystem::path data = server.data();
  EXPECT_EQ(mode_of(replica), 0700);
  EXPECT_EQ(mode_of(data), 0700);
  EXPECT_EQ(mode_of(data / "tls"), 0700);
  for (const auto& db : {replica / "replica.db", data / "server.db"}) {
    EXPECT_EQ(mode_of(db), 0600) << db;
    for (const char* suffix : {"-wal", "-shm"}) {
      const std::filesystem::path side = db.string() + suffix;
      if (std::filesystem::exists(side)) {
        EXPECT_EQ(mode_of(side), 0600) << side;
      }
    }
  }
  // The server, while it runs, has its WAL open: it exists and is private.
  EXPECT_EQ(mode_of(data / "server.db-wal"), 0600);
}

// A replica an older release left readable to everyone is tightened when a
// program opens it.
TEST(FileModes, AReadableReplicaFromAnOlderReleaseIsTightenedOnOpen) {
  TempDir dir;
  ClientProcess wang(dir.path(), "wang");
  ASSERT_EQ(wang.run({"init", "--unit", "411325-ybj", "--user", "wang"}).exit_code, 0);
  const std::filesystem::path db = wang.dir() + "/replica.db";
  ASSERT_EQ(::chmod(db.c_str(), 0644), 0);
  ASSERT_EQ(wang.run({"status"}).exit_code, 0);
  EXPECT_EQ(mode_of(db), 0600);
}

// A folder the user already had (their home, a shared folder) keeps its mode:
// only what budgetsync makes is made private.
TEST(FileModes, AnExistingFolderKeepsItsModeAndTheReplicaInItIsPrivate) {
  TempDir dir;
  const std::filesystem::path mine = dir.path() / "shared-folder";
  std::filesystem::create_directory(mine);
  ASSERT_EQ(::chmod(mine.c_str(), 0755), 0);
  const CliResult r = run_program(BUDGETSYNC_TEST_CLI, {"--dir", mine.string(), "init", "--unit",
                                                        "411325-ybj", "--user", "wang"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(mode_of(mine), 0755);
  EXPECT_EQ(mode_of(mine / "replica.db"), 0600);
}

}  // namespace
}  // namespace budgetsync::testing
