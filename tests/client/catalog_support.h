// The shipped forms and code lists, loaded once per test program.
#pragma once

#include <cstdlib>

#include "files/data_files.h"
#include "test_support.h"

namespace budgetsync::testing {

inline const Catalog& shipped_catalog() {
  static const Catalog c = [] {
    auto loaded = load_catalog(data_dir());
    if (!loaded.ok()) std::abort();
    return std::move(*loaded);
  }();
  return c;
}

}  // namespace budgetsync::testing
