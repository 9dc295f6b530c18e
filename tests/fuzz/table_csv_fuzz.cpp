// client/grid_import.h: the import of a table laid out as the paper form
// (`budgetsync import FILE.csv`, and every .xlsx/.xls sheet once read into a
// grid), against the shipped templates: which form a sheet is, its headings,
// rows, columns and cells. The input is a CSV file.
#include <cstdlib>

#include "client/grid.h"
#include "client/grid_import.h"
#include "client/report_view.h"
#include "files/data_files.h"
#include "fuzz_check.h"

using namespace budgetsync;

namespace {

const Catalog& catalog() {
  static const Catalog c = [] {
    auto loaded = load_catalog(BUDGETSYNC_FUZZ_DATA_DIR);
    if (!loaded.ok()) {
      std::fprintf(stderr, "table_csv_fuzz: %s\n", loaded.status().message().c_str());
      std::abort();
    }
    return std::move(*loaded);
  }();
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz_input(data, size);
  auto grid = client::read_csv_grid(text, "fuzz.csv");
  if (!grid.ok()) return 0;
  client::GridImportOptions options;
  options.unit = "411325-ybj";
  options.unit_name = "内乡县医疗保障局";
  options.year = 2024;
  auto found = client::import_grid(*grid, catalog(), options);
  if (!found.ok()) return 0;
  FUZZ_CHECK(found->reports.size() == found->matched.size(), "a match for every report");
  for (const Report& r : found->reports) {
    // What was imported is a report of a known form, and lays out as a table again.
    const FormTemplate* form = catalog().form(r.key.form, r.template_version);
    FUZZ_CHECK(form != nullptr, "an imported report's form is in the catalog");
    const std::string csv = client::render_report_table_csv(r, *form, catalog());
    FUZZ_CHECK(!csv.empty(), "an imported report lays out as a table");
  }
  return 0;
}
