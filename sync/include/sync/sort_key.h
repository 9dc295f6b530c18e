// Sort keys for rows that people insert anywhere: strings over 0-9a-z that
// compare like their order, so a row can always be placed between two others
// without renumbering, and concurrent inserts order deterministically.
#pragma once

#include <string>
#include <string_view>

namespace budgetsync::sync {

// A key strictly between `low` and `high` (empty `low` = before everything,
// empty `high` = after everything). Requires low < high when both are given and
// neither ends in '0'. The result never ends in '0'.
std::string sort_key_between(std::string_view low, std::string_view high);

// The i-th (0-based) of `count` evenly spaced keys, all of one width, for rows
// laid down in bulk (an import).
std::string sequential_sort_key(size_t i, size_t count);

}  // namespace budgetsync::sync
