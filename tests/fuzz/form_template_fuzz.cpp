// shared/form_template.h: parse_form_template() of a template file, then the
// catalog's cross-checks over it.
#include "fuzz_check.h"
#include "shared/catalog.h"
#include "shared/form_template.h"

using namespace budgetsync;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto form = parse_form_template(fuzz_input(data, size), "fuzz.json");
  if (form.ok()) {
    (void)form->display_name();
    Catalog catalog;
    if (catalog.add_form(std::move(*form)).ok()) (void)catalog.check();
  }
  return 0;
}
