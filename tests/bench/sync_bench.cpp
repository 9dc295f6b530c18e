// Sync benchmarks (issue 4). Prints its figures; it asserts nothing.
//
//   budgetsync-sync-bench [--ingest-ops N] [--cells N] [--dir DIR]
//
// 1. Durable ingest: batches of 1,000 cell edits pushed through the server
//    core into the server's SQLite store (WAL, synchronous=FULL, one commit
//    per batch), ops/s.
// 2. Initial sync: a bureau of N cells (内乡县's 23 real reports copied to as
//    many units as it takes) served by the real budgetsync-server over
//    loopback TLS and pulled by the real budgetsync client into an empty
//    replica, against sqlite3changeset_apply of a changeset holding the same
//    cells into an empty table, same durability settings.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_support.h"
#include "files/data_files.h"
#include "client/replica.h"
#include "server/admin_store.h"
#include "server/certificates.h"
#include "server/credentials.h"
#include "server/sqlite_store.h"
#include "sync/server_core.h"

namespace fs = std::filesystem;
using namespace budgetsync;
using namespace budgetsync::bench;

namespace {

int run(const std::string& cmd) {
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// ---- 1. ingest ----------------------------------------------------------------

void bench_ingest(const fs::path& dir, size_t total_ops) {
  const fs::path db = dir / "ingest.db";
  auto store = server::SqliteServerStore::open(db.string());
  check(store.ok(), "open store");
  sync::SystemClock clock;
  sync::ServerCore core(**store, clock);
  const size_t batch = 1000;
  const ReportKey report{"411325-ybj", 2024, "budget-procurement", ""};
  std::vector<std::vector<sync::Operation>> batches;
  for (size_t b = 0; b * batch < total_ops; ++b) {
    std::vector<sync::Operation> ops;
    for (size_t i = 0; i < batch; ++i) {
      const size_t n = b * batch + i;
      sync::Operation op;
      op.id = {"device" + std::to_string(n % 16), static_cast<int64_t>(n / 16 + 1)};
      op.hlc = {clock.now_ms(), 0};
      op.author = "wang";
      op.report = report;
      op.row = "r" + std::to_string(n / 16);
      op.column = "c" + std::to_string(n % 16);
      op.value = std::to_string(n) + ".00";
      ops.push_back(std::move(op));
    }
    batches.push_back(std::move(ops));
  }
  const auto t = Clock::now();
  for (const auto& ops : batches) check(core.push(ops, nullptr).ok(), "push");
  const double s = seconds_since(t);
  std::printf("ingest: %zu ops in batches of %zu, %.2f s, %.0f ops/s (durable commit per batch)\n",
              total_ops, batch, s, static_cast<double>(total_ops) / s);
}

// ---- 2. initial sync ------------------------------------------------------------

struct Bureau {
  fs::path data;
  size_t cells = 0;
  size_t units = 0;
};

// A server store holding `cells` cells: the 003 seed's reports under as many
// units as needed, pushed through the server core like any client would.
Bureau build_bureau(const fs::path& dir, const fs::path& data_dir, size_t cells) {
  Bureau b;
  b.data = dir / "server";
  fs::create_directories(b.data);
  auto certs = server::create_certificates(b.data / "tls", {"localhost", "127.0.0.1"});
  check(certs.ok(), "certificates");
  const std::string db = (b.data / "server.db").string();
  auto store = server::SqliteServerStore::open(db);
  check(store.ok(), "open server store");
  auto admin = server::AdminStore::open(db);
  check(admin.ok(), "open admin store");
  check((*admin)->add_unit("bureau", "基准医疗保障局", "").ok(), "add bureau");
  auto hash = server::hash_password("bench-password");
  check(hash.ok(), "hash");
  check((*admin)->add_user({"reviewer", server::Role::kReviewer, "bureau", false}, *hash).ok(),
        "add reviewer");

  // The seed's outbox: every imported cell as the protocol sends it.
  auto catalog = load_catalog(data_dir);
  check(catalog.ok(), "catalog");
  sync::SystemClock clock;
  sync::SystemRandom random;
  auto replica = client::Replica::create((dir / "seed.db").string(), {"411325-ybj", "", "wang"},
                                         *catalog, clock, random);
  check(replica.ok(), "seed replica");
  fs::path seed;
  for (const auto& e : fs::directory_iterator(data_dir / "seeds")) {
    if (e.path().filename().string().rfind("003_", 0) == 0) seed = e.path();
  }
  for (const auto& e : fs::directory_iterator(seed)) {
    auto text = read_file(e.path());
    check(text.ok(), "read seed");
    auto report = parse_report(*text, e.path().string(), *catalog);
    check(report.ok(), "parse seed");
    check((*replica)->import_report(*report).ok(), "import seed");
  }
  auto ops = (*replica)->outbox(1'000'000);
  check(ops.ok() && !ops->empty(), "outbox");

  sync::ServerCore core(**store, clock);
  std::vector<sync::Operation> batch;
  for (size_t u = 0; b.cells < cells; ++u) {
    const std::string unit = "u" + std::to_string(100000 + u);
    check((*admin)->add_unit(unit, "基准单位", "bureau").ok(), "add unit");
    for (const auto& op : *ops) {
      if (b.cells >= cells) break;
      sync::Operation copy = op;
      copy.report.unit = unit;
      copy.id.device = "dev" + std::to_string(u);
      batch.push_back(std::move(copy));
      ++b.cells;
      if (batch.size() == 5000) {
        check(core.push(batch, nullptr).ok(), "push");
        batch.clear();
      }
    }
    ++b.units;
  }
  if (!batch.empty()) check(core.push(batch, nullptr).ok(), "push");
  return b;
}

double changeset_apply_seconds(const fs::path& dir, const Bureau& b) {
  // The same cells as rows of one table, recorded into a changeset.
  sqlite3* src = nullptr;
  check(sqlite3_open((dir / "changeset-src.db").string().c_str(), &src) == SQLITE_OK, "open");
  const char* schema =
      "CREATE TABLE cells(report TEXT, row_key TEXT, col TEXT, value TEXT, hlc TEXT, op TEXT, "
      "PRIMARY KEY(report, row_key, col))";
  exec(src, schema);
  sqlite3_session* session = nullptr;
  check(sqlite3session_create(src, "main", &session) == SQLITE_OK, "session");
  check(sqlite3session_attach(session, "cells") == SQLITE_OK, "attach");
  exec(src, "BEGIN");
  {
    sqlite3* server = nullptr;
    check(sqlite3_open_v2((b.data / "server.db").string().c_str(), &server, SQLITE_OPEN_READONLY,
                          nullptr) == SQLITE_OK,
          "open server db");
    sqlite3_stmt* read = nullptr;
    check(sqlite3_prepare_v2(server, "SELECT report, row_key, col, cell FROM cells", -1, &read,
                             nullptr) == SQLITE_OK,
          sqlite3_errmsg(server));
    sqlite3_stmt* ins = nullptr;
    check(sqlite3_prepare_v2(src, "INSERT INTO cells VALUES(?, ?, ?, ?, ?, ?)", -1, &ins,
                             nullptr) == SQLITE_OK,
          "prepare insert");
    while (sqlite3_step(read) == SQLITE_ROW) {
      for (int i = 0; i < 3; ++i) sqlite3_bind_value(ins, i + 1, sqlite3_column_value(read, i));
      // The value, clock and writer as a replica keeps them: the cell's JSON.
      sqlite3_bind_value(ins, 4, sqlite3_column_value(read, 3));
      sqlite3_bind_text(ins, 5, "001700000000000.000000", -1, SQLITE_STATIC);
      sqlite3_bind_text(ins, 6, "dev:1", -1, SQLITE_STATIC);
      check(sqlite3_step(ins) == SQLITE_DONE, "insert");
      sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(read);
    sqlite3_close(server);
  }
  exec(src, "COMMIT");
  int size = 0;
  void* changeset = nullptr;
  check(sqlite3session_changeset(session, &size, &changeset) == SQLITE_OK, "changeset");
  sqlite3session_delete(session);
  sqlite3_close(src);

  sqlite3* dst = nullptr;
  check(sqlite3_open((dir / "changeset-dst.db").string().c_str(), &dst) == SQLITE_OK, "open");
  exec(dst, "PRAGMA journal_mode=WAL");
  exec(dst, "PRAGMA synchronous=FULL");
  exec(dst, schema);
  const auto t = Clock::now();
  check(sqlite3changeset_apply(
            dst, size, changeset, nullptr,
            [](void*, int, sqlite3_changeset_iter*) { return SQLITE_CHANGESET_ABORT; },
            nullptr) == SQLITE_OK,
        sqlite3_errmsg(dst));
  const double s = seconds_since(t);
  sqlite3_free(changeset);
  sqlite3_close(dst);
  std::printf("changeset: %d bytes\n", size);
  return s;
}

double initial_sync_seconds(const fs::path& dir, const Bureau& b, const std::string& server_bin,
                            const std::string& client_bin) {
  int fds[2];
  check(pipe(fds) == 0, "pipe");
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    execl(server_bin.c_str(), "budgetsync-server", "--data", b.data.c_str(), "run", "--listen",
          "127.0.0.1:0", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  FILE* out = fdopen(fds[0], "r");
  char line[256] = {};
  check(fgets(line, sizeof line, out) != nullptr, "server did not start");
  const std::string url = std::string(line).substr(std::string("listening on ").size());
  const std::string replica = (dir / "reviewer").string();
  const std::string base = client_bin + " --dir " + replica;
  check(run(base + " init --unit bureau --user reviewer >/dev/null") == 0, "client init");
  check(run("BUDGETSYNC_PASSWORD=bench-password " + base + " login --server " +
            url.substr(0, url.size() - 1) + " --ca " + (b.data / "tls" / "ca.pem").string() +
            " --user reviewer >/dev/null") == 0,
        "client login");
  const auto t = Clock::now();
  check(run(base + " sync --batch 5000") == 0, "client sync");
  const double s = seconds_since(t);
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  fclose(out);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  program_name() = "sync-bench";
  size_t ingest_ops = 200'000;
  size_t cells = 1'000'000;
  fs::path dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--ingest-ops") ingest_ops = std::stoul(argv[i + 1]);
    if (flag == "--cells") cells = std::stoul(argv[i + 1]);
    if (flag == "--dir") dir = argv[i + 1];
  }
  const bool own_dir = dir.empty();
  if (own_dir) {
    std::string tmpl = (fs::temp_directory_path() / "budgetsync-sync-bench-XXXXXX").string();
    check(mkdtemp(tmpl.data()) != nullptr, "mkdtemp");
    dir = tmpl;
  }
  bench_ingest(dir, ingest_ops);

  auto t = Clock::now();
  const Bureau bureau = build_bureau(dir, BUDGETSYNC_BENCH_DATA_DIR, cells);
  std::printf("bureau: %zu cells in %zu units, loaded in %.1f s\n", bureau.cells, bureau.units,
              seconds_since(t));
  const double changeset = changeset_apply_seconds(dir, bureau);
  const double synced =
      initial_sync_seconds(dir, bureau, BUDGETSYNC_BENCH_SERVER, BUDGETSYNC_BENCH_CLIENT);
  std::printf(
      "initial sync: %zu cells over loopback TLS into an empty replica %.2f s; "
      "sqlite3changeset_apply of the same cells %.2f s; ratio %.2fx\n",
      bureau.cells, synced, changeset, synced / changeset);
  if (own_dir) fs::remove_all(dir);
  return 0;
}
