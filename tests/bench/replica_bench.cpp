// Replica benchmarks (issue 3). Prints its figures; it asserts nothing.
//
//   budgetsync-bench [--cells N] [--edits N] [--units N] [--dir DIR]
//
// 1. Bulk import of N cells through Replica::import_report against plain
//    INSERTs of the same cells into a bare table, same durability settings.
// 2. Single durable edits through set_cell against plain one-row durable
//    commits.
// 3. Validate + score every form of N units (the seeds' reports, copied).
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_support.h"
#include "files/data_files.h"
#include "client/replica.h"
#include "shared/check.h"

namespace fs = std::filesystem;
using namespace budgetsync;
using namespace budgetsync::bench;

namespace {

// Reports of the dynamic 16-column procurement form, filling `cells` cells.
std::vector<Report> synthetic_reports(const Catalog& catalog, size_t cells, size_t reports) {
  const FormTemplate* form = catalog.form("budget-procurement");
  check(form != nullptr, "no budget-procurement form");
  const Section& s = form->sections.front();
  std::vector<Report> out;
  const size_t per_report = cells / reports;
  for (size_t r = 0; r < reports; ++r) {
    Report rep;
    rep.key = {"bench-" + std::to_string(r), 2024, "budget-procurement", ""};
    rep.unit_name = "基准单位";
    size_t n = 0;
    for (size_t row = 0; n < per_report; ++row) {
      ReportRow rr;
      rr.key = "r" + std::to_string(row);
      rr.section = s.key;
      for (const auto& c : s.columns) {
        if (n == per_report) break;
        const std::string raw = c.type == ColumnType::kAmount   ? std::to_string(row % 9973) + ".25"
                                : c.type == ColumnType::kNumber ? std::to_string(row % 100)
                                                                : "采购项目" + std::to_string(row);
        auto v = parse_cell(raw, c.type, form->unit);
        check(v.ok(), "synthetic value");
        rr.cells.insert_or_assign(c.key, ReportCell{raw, *v});
        ++n;
      }
      rep.rows.push_back(std::move(rr));
    }
    rep.reindex();
    out.push_back(std::move(rep));
  }
  return out;
}

double plain_bulk_insert(const std::string& path, const std::vector<Report>& reports) {
  sqlite3* db = nullptr;
  check(sqlite3_open(path.c_str(), &db) == SQLITE_OK, "open plain db");
  exec(db, "PRAGMA journal_mode=WAL");
  exec(db, "PRAGMA synchronous=FULL");
  exec(db, "CREATE TABLE cells(report TEXT, row_key TEXT, col TEXT, value TEXT)");
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO cells VALUES(?, ?, ?, ?)", -1, &st, nullptr);
  const auto t = Clock::now();
  for (const auto& r : reports) {
    exec(db, "BEGIN");
    const std::string key = r.key.to_string();
    for (const auto& row : r.rows) {
      for (const auto& [col, cell] : row.cells) {
        sqlite3_bind_text(st, 1, key.c_str(), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, row.key.c_str(), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, col.c_str(), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, cell.raw.c_str(), -1, SQLITE_STATIC);
        check(sqlite3_step(st) == SQLITE_DONE, sqlite3_errmsg(db));
        sqlite3_reset(st);
      }
    }
    exec(db, "COMMIT");
  }
  const double s = seconds_since(t);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return s;
}

double plain_single_commits(const std::string& path, int n) {
  sqlite3* db = nullptr;
  check(sqlite3_open(path.c_str(), &db) == SQLITE_OK, "open plain db");
  exec(db, "PRAGMA journal_mode=WAL");
  exec(db, "PRAGMA synchronous=FULL");
  exec(db,
       "CREATE TABLE cells(report TEXT, row_key TEXT, col TEXT, value TEXT, PRIMARY KEY(report, "
       "row_key, col))");
  exec(db, "INSERT INTO cells VALUES('r', '2101505', 'total', '15.00')");
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(
      db, "UPDATE cells SET value = ? WHERE report = 'r' AND row_key = '2101505' AND col = 'total'",
      -1, &st, nullptr);
  const auto t = Clock::now();
  for (int i = 0; i < n; ++i) {
    const std::string v = std::to_string(16 + i) + ".00";
    exec(db, "BEGIN IMMEDIATE");
    sqlite3_bind_text(st, 1, v.c_str(), -1, SQLITE_TRANSIENT);
    check(sqlite3_step(st) == SQLITE_DONE, sqlite3_errmsg(db));
    sqlite3_reset(st);
    exec(db, "COMMIT");
  }
  const double s = seconds_since(t);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  program_name() = "bench";
  size_t cells = 1'000'000;
  int edits = 2000;
  int units = 100;
  fs::path dir = fs::temp_directory_path() / ("budgetsync-bench-" + std::to_string(::getpid()));
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--cells")
      cells = std::stoul(argv[i + 1]);
    else if (a == "--edits")
      edits = std::stoi(argv[i + 1]);
    else if (a == "--units")
      units = std::stoi(argv[i + 1]);
    else if (a == "--dir")
      dir = argv[i + 1];
  }
  fs::create_directories(dir);
  auto catalog = load_catalog(BUDGETSYNC_BENCH_DATA_DIR);
  check(catalog.ok(), catalog.ok() ? "" : catalog.status().message());
  sync::SystemClock clock;
  sync::SeededRandom random(1);

  // Each comparison runs three rounds, alternating which side goes first, and
  // reports the median ratio: one run on a shared machine is too noisy to trust.
  const int rounds = 3;
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };

  // 1. Bulk import.
  const size_t report_count = 100;
  const auto reports = synthetic_reports(*catalog, cells, report_count);
  std::printf(
      "bulk import, %zu cells in %zu reports (one transaction each, WAL, synchronous=FULL):\n",
      cells, report_count);
  std::vector<double> import_ratios;
  for (int round = 0; round < rounds; ++round) {
    const fs::path plain_db = dir / ("plain-bulk-" + std::to_string(round) + ".db");
    const fs::path replica_db = dir / ("replica-bulk-" + std::to_string(round) + ".db");
    auto run_replica = [&] {
      auto replica = client::Replica::create(replica_db.string(), {"bench-0", "基准单位", "bench"},
                                             *catalog, clock, random);
      check(replica.ok(), "create replica");
      const auto t = Clock::now();
      for (const auto& r : reports) check((*replica)->import_report(r, true).ok(), "import");
      return seconds_since(t);
    };
    double plain = 0, through = 0;
    if (round % 2 == 0) {
      plain = plain_bulk_insert(plain_db.string(), reports);
      through = run_replica();
    } else {
      through = run_replica();
      plain = plain_bulk_insert(plain_db.string(), reports);
    }
    import_ratios.push_back(through / plain);
    std::printf("  round %d: plain %10.0f cells/s, replica %10.0f cells/s, ratio %.2fx\n",
                round + 1, cells / plain, cells / through, through / plain);
  }
  std::printf("  median ratio replica / plain  %.2fx   (target <= 1.50x)\n\n",
              median(import_ratios));

  // 2. Single durable edits.
  auto text = read_file(fs::path(BUDGETSYNC_BENCH_DATA_DIR) /
                                "seeds/003_b1779cbacafc7ee6/final02.json");
  check(text.ok(), "seed");
  auto seed = parse_report(*text, "final02.json", *catalog);
  check(seed.ok(), "seed parse");
  std::printf("single durable edits, %d each (WAL, synchronous=FULL):\n", edits);
  std::vector<double> edit_ratios;
  for (int round = 0; round < rounds; ++round) {
    auto run_replica = [&] {
      auto r = client::Replica::create(
          (dir / ("replica-edit-" + std::to_string(round) + ".db")).string(),
          {"411325-ybj", "内乡县医疗保障局", "bench"}, *catalog, clock, random);
      check(r.ok(), "create");
      check((*r)->import_report(*seed).ok(), "import seed");
      const ReportKey key{"411325-ybj", 2024, "final02", ""};
      const auto t = Clock::now();
      for (int i = 0; i < edits; ++i) {
        check((*r)->set_cell(key, "2101505", "total", std::to_string(16 + i) + ".00").ok(), "set");
      }
      return seconds_since(t);
    };
    const std::string plain_db = (dir / ("plain-edit-" + std::to_string(round) + ".db")).string();
    double plain = 0, through = 0;
    if (round % 2 == 0) {
      plain = plain_single_commits(plain_db, edits);
      through = run_replica();
    } else {
      through = run_replica();
      plain = plain_single_commits(plain_db, edits);
    }
    edit_ratios.push_back(plain / through);
    std::printf("  round %d: plain %8.0f edits/s, replica %8.0f edits/s, ratio %.2fx\n", round + 1,
                edits / plain, edits / through, plain / through);
  }
  std::printf("  median ratio replica / plain  %.2fx   (target >= 0.80x)\n\n", median(edit_ratios));

  // 3. Validate + score.
  auto seeds = load_reports({fs::path(BUDGETSYNC_BENCH_DATA_DIR) / "seeds"}, *catalog);
  check(seeds.ok(), "seeds");
  std::vector<Report> all;
  for (int u = 0; u < units; ++u) {
    for (const auto& r : *seeds) {
      Report copy = r;
      copy.key.unit = r.key.unit + "-" + std::to_string(u);
      all.push_back(std::move(copy));
    }
  }
  size_t total_cells = 0;
  for (const auto& r : all) {
    for (const auto& row : r.rows) total_cells += row.cells.size();
  }
  std::vector<double> times;
  CheckResult result;
  for (int round = 0; round < rounds; ++round) {
    const auto t = Clock::now();
    result = check_reports(all, *catalog);
    times.push_back(seconds_since(t));
  }
  const double check_s = median(times);
  std::printf("validate + score, %d units x the seeds' %zu reports = %zu reports, %zu cells:\n",
              units, seeds->size(), all.size(), total_cells);
  std::printf("  median %.1f ms of %d runs, %zu findings   (target < 200 ms)\n", check_s * 1000,
              rounds, result.findings.size());
  fs::remove_all(dir);
  return 0;
}
