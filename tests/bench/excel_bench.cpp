// Excel benchmark (issue 15). Prints its figures; it asserts nothing.
//
//   budgetsync-excel-bench [--runs N]
//
// The 57 seed reports written as one workbook (findings sheet included), then
// that workbook read and matched back into reports: the median of N runs of
// each, and the workbook's size.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_support.h"
#include "client/grid.h"
#include "client/grid_import.h"
#include "client/xlsx_export.h"
#include "files/data_files.h"
#include "shared/check.h"

namespace fs = std::filesystem;
using namespace budgetsync;
using namespace budgetsync::bench;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  program_name() = "budgetsync-excel-bench";
  int runs = 9;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::max(1, std::atoi(argv[i + 1]));
  }
  auto catalog = load_catalog(BUDGETSYNC_BENCH_DATA_DIR);
  check(catalog.ok(), "catalog");
  auto seeds = load_reports({fs::path(BUDGETSYNC_BENCH_DATA_DIR) / "seeds"}, *catalog);
  check(seeds.ok(), "seeds");
  std::vector<const Report*> reports;
  size_t cells = 0;
  for (const auto& r : *seeds) {
    reports.push_back(&r);
    for (const auto& row : r.rows) cells += row.cells.size();
  }
  const fs::path dir = fs::temp_directory_path() / "budgetsync-excel-bench";
  fs::create_directories(dir);
  const fs::path workbook = dir / "seeds.xlsx";

  std::vector<double> export_s, import_s;
  size_t imported = 0;
  for (int i = 0; i < runs; ++i) {
    auto t = Clock::now();
    const CheckResult checked = check_reports(*seeds, *catalog);
    auto written = client::write_reports_xlsx(reports, *catalog, checked, workbook);
    export_s.push_back(seconds_since(t));
    check(written.ok(), "export");

    t = Clock::now();
    auto grid = client::read_workbook(workbook);
    check(grid.ok(), "read");
    client::GridImportOptions options;
    options.unit = "bench";
    auto found = client::import_grid(*grid, *catalog, options);
    import_s.push_back(seconds_since(t));
    check(found.ok(), found.ok() ? "" : found.status().message());
    imported = found->reports.size();
  }
  std::printf(
      "Excel, the seeds' %zu reports (%zu cells) as one workbook of %.0f KiB, median of %d:\n",
      reports.size(), cells, static_cast<double>(fs::file_size(workbook)) / 1024, runs);
  std::printf("  export (check + write .xlsx)   %8.1f ms\n", median(export_s) * 1000);
  std::printf("  import (read .xlsx + match)    %8.1f ms  (%zu reports back)\n",
              median(import_s) * 1000, imported);
  fs::remove_all(dir);
  return 0;
}
