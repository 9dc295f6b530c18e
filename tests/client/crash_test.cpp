// Crash safety of the real program: it is killed with SIGKILL at varied points
// of a stream of single edits and of a long import. Afterwards the replica
// opens cleanly, every edit whose command returned is there with its
// operation, and no report is half imported.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "client/replica.h"
#include "files/data_files.h"
#include "shared/text.h"
#include "test_support.h"

namespace budgetsync::client {
namespace {

using budgetsync::testing::run_budgetsync;
using budgetsync::testing::shell_quote;
using budgetsync::testing::TempDir;

// A shell pipeline in its own process group, whose chosen output stream we
// read line by line; kill() ends the whole group at once.
class Child {
 public:
  Child(const std::string& script, bool read_stderr) {
    int fds[2];
    if (pipe(fds) != 0) std::abort();
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      dup2(fds[1], read_stderr ? 2 : 1);
      const int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, read_stderr ? 1 : 2);
      close(fds[0]);
      close(fds[1]);
      execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    setpgid(pid_, pid_);
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
  }
  ~Child() {
    kill_now();
    if (out_) fclose(out_);
  }
  // The next line, or empty at end of output.
  std::string read_line() {
    char buf[4096];
    if (!fgets(buf, sizeof buf, out_)) return {};
    return buf;
  }
  void kill_now() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = load_catalog(budgetsync::testing::data_dir());
    ASSERT_TRUE(c.ok());
    catalog_ = std::make_unique<Catalog>(std::move(*c));
    ASSERT_EQ(cli({"init", "--unit", "411325-ybj", "--user", "张三"}).exit_code, 0);
  }

  budgetsync::testing::CliResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--dir", dir_.path().string()});
    return run_budgetsync(args);
  }

  std::string command(const std::string& args) const {
    return shell_quote(BUDGETSYNC_TEST_CLI) + " --dir " + shell_quote(dir_.path().string()) + " " +
           args;
  }

  std::unique_ptr<Replica> open() {
    auto r = Replica::open((dir_.path() / "replica.db").string(), *catalog_, clock_, random_);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(*r) : nullptr;
  }

  TempDir dir_;
  std::unique_ptr<Catalog> catalog_;
  sync::SystemClock clock_;
  sync::SeededRandom random_{1};
};

TEST_F(CrashTest, EveryAcknowledgedEditSurvivesAKill) {
  const auto seed = budgetsync::testing::seeds_dir() / "003_b1779cbacafc7ee6" / "final02.json";
  ASSERT_EQ(cli({"import", seed.string()}).exit_code, 0);
  const ReportKey key{"411325-ybj", 2024, "final02", ""};
  int next = 1;
  std::set<std::string> acknowledged;
  // Kill after a different number of acknowledged edits each round, so the kill
  // lands at different points of the edit in flight.
  for (int round = 0; round < 8; ++round) {
    const int wait_for = 1 + (round * 3) % 7;
    const std::string script = "i=" + std::to_string(next) + "; while :; do " +
                               command("set 411325-ybj/2024/final02 2101505 total \"$i.00\"") +
                               " >/dev/null || exit 1; echo $i; i=$((i+1)); done";
    Child child(script, false);
    for (int k = 0; k < wait_for; ++k) {
      const std::string line = child.read_line();
      ASSERT_FALSE(line.empty()) << "the edit stream stopped early";
      acknowledged.insert(std::to_string(std::stoi(line)) + ".00");
      next = std::stoi(line) + 1;
    }
    child.kill_now();
    next += 1;  // the edit in flight may or may not have landed; never reuse its value

    auto r = open();
    ASSERT_TRUE(r);
    auto history = r->history(key, "2101505", "total");
    ASSERT_TRUE(history.ok()) << history.status().message();
    std::set<std::string> present;
    for (const auto& e : *history) present.insert(e.value.value_or(""));
    for (const auto& v : acknowledged)
      EXPECT_TRUE(present.count(v)) << "acknowledged edit " << v << " was lost";
    // Every value in the history came with its operation in the log.
    auto log = r->log(false);
    ASSERT_TRUE(log.ok());
    size_t set_ops = 0;
    for (const auto& op : *log) set_ops += op.op.kind == sync::OpKind::kSetCell;
    EXPECT_EQ(set_ops + 1, history->size());  // + the import
    auto validated = cli({"validate"});
    EXPECT_NE(validated.exit_code, 2) << validated.err;
  }
  EXPECT_GE(acknowledged.size(), 8u);
}

TEST_F(CrashTest, AnInterruptedImportIsNeverHalfApplied) {
  // Many reports: the seed's 公开 tables and projects under distinct years.
  TempDir files;
  const auto seed_dir = budgetsync::testing::seeds_dir() / "003_b1779cbacafc7ee6";
  std::map<std::string, size_t> expected_cells;  // report key -> non-blank cells
  int n = 0;
  for (int year = 2001; year <= 2012; ++year) {
    for (const char* name :
         {"final02.json", "final03.json", "final06.json", "perf-project_p03.json"}) {
      auto text = read_file(seed_dir / name);
      ASSERT_TRUE(text.ok());
      std::string t = *text;
      const auto pos = t.find("\"year\": 2024");
      ASSERT_NE(pos, std::string::npos);
      t.replace(pos, 12, "\"year\": " + std::to_string(year));
      auto parsed = parse_report(t, name, *catalog_);
      ASSERT_TRUE(parsed.ok()) << parsed.status().message();
      size_t cells = 0;
      for (const auto& row : parsed->rows) {
        for (const auto& [col, cell] : row.cells) cells += !std::string(trim(cell.raw)).empty();
      }
      expected_cells[parsed->key.to_string()] = cells;
      files.write(std::to_string(++n) + ".json", t);
    }
  }
  std::set<std::string> committed;
  for (int round = 0; round < 6 && committed.size() < expected_cells.size(); ++round) {
    Child child(command("import --progress " + shell_quote(files.path().string())), true);
    const int wait_for = 1 + round * 2;
    for (int k = 0; k < wait_for; ++k) {
      const std::string line = child.read_line();
      if (line.empty()) break;  // finished or refused (reports from an earlier round)
      const auto space = line.rfind(' ');
      if (line.rfind("已导入 ", 0) == 0)
        committed.insert(line.substr(space + 1, line.size() - space - 2));
    }
    child.kill_now();
    auto r = open();
    ASSERT_TRUE(r);
    auto reports = r->reports();
    ASSERT_TRUE(reports.ok());
    for (const auto& s : *reports) {
      const auto it = expected_cells.find(s.key.to_string());
      ASSERT_NE(it, expected_cells.end());
      EXPECT_EQ(static_cast<size_t>(s.cells), it->second)
          << s.key.to_string() << " is half imported";
    }
    for (const auto& k : committed) {
      bool found = false;
      for (const auto& s : *reports) found = found || s.key.to_string() == k;
      EXPECT_TRUE(found) << "acknowledged import of " << k << " was lost";
    }
    // The next round starts from a fresh folder of the reports not yet in.
    for (const auto& s : *reports) {
      for (int i = 1; i <= n; ++i) {
        const auto p = files.path() / (std::to_string(i) + ".json");
        if (!std::filesystem::exists(p)) continue;
        auto text = read_file(p);
        auto parsed = parse_report(*text, "x", *catalog_);
        if (parsed.ok() && parsed->key == s.key) std::filesystem::remove(p);
      }
    }
  }
}

}  // namespace
}  // namespace budgetsync::client
