// client/report_view.h: parse_report_csv(), the long-format CSV import
// (`budgetsync import --report KEY FILE.csv`), against the shipped templates.
// The input's first line names the report the CSV fills (UNIT/YEAR/FORM[:INSTANCE],
// what --report takes); when it is not a report key, the whole input is the CSV
// of a 公开02表.
#include <cstdlib>

#include "client/report_view.h"
#include "files/data_files.h"
#include "fuzz_check.h"

using namespace budgetsync;

namespace {

const Catalog& catalog() {
  static const Catalog c = [] {
    auto loaded = load_catalog(BUDGETSYNC_FUZZ_DATA_DIR);
    if (!loaded.ok()) {
      std::fprintf(stderr, "report_csv_fuzz: %s\n", loaded.status().message().c_str());
      std::abort();
    }
    return std::move(*loaded);
  }();
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz_input(data, size);
  ReportKey key{"411325-ybj", 2024, "final02", ""};
  const size_t nl = text.find('\n');
  if (nl != std::string_view::npos) {
    if (auto k = ReportKey::parse(text.substr(0, nl)); k.ok()) {
      key = *k;
      text.remove_prefix(nl + 1);
    }
  }
  auto report = client::parse_report_csv(text, "fuzz.csv", key, catalog());
  if (report.ok()) {
    // What was imported exports to CSV that imports to the same cells.
    const FormTemplate* form = catalog().form(report->key.form, report->template_version);
    FUZZ_CHECK(form != nullptr, "an imported report's form is in the catalog");
    const std::string csv = client::render_report_csv(*report, *form, catalog());
    auto again = client::parse_report_csv(csv, "export.csv", report->key, catalog());
    FUZZ_CHECK(again.ok(), "an imported report's CSV export imports");
  }
  return 0;
}
