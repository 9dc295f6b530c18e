// shared/report.h: parse_report() of a report import file, against the shipped
// templates and code lists.
#include <cstdlib>

#include "files/data_files.h"
#include "fuzz_check.h"
#include "shared/check.h"

using namespace budgetsync;

namespace {

const Catalog& catalog() {
  static const Catalog c = [] {
    auto loaded = load_catalog(BUDGETSYNC_FUZZ_DATA_DIR);
    if (!loaded.ok()) {
      std::fprintf(stderr, "report_json_fuzz: %s\n", loaded.status().message().c_str());
      std::abort();
    }
    return std::move(*loaded);
  }();
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto report = parse_report(fuzz_input(data, size), "fuzz.json", catalog());
  if (report.ok()) {
    // A report the import accepts is one the checking engine can run on.
    (void)check_reports({*report}, catalog());
  }
  return 0;
}
