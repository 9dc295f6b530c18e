// shared/code_list.h: parse_code_list() of a classification code list file.
#include "fuzz_check.h"
#include "shared/code_list.h"

using namespace budgetsync;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto list = parse_code_list(fuzz_input(data, size), "fuzz.json");
  if (list.ok()) {
    for (const CodeEntry& e : list->entries()) {
      FUZZ_CHECK(list->find(e.code) != nullptr, "every entry is found by its code");
      FUZZ_CHECK(e.parent.empty() || list->find(e.parent) != nullptr,
                 "every parent is an entry of the list");
      (void)list->parent_of(e.code + "01");
    }
  }
  return 0;
}
