// What every benchmark program needs: a stopwatch, and giving up loudly (a
// benchmark that cannot set itself up has no figure to print).
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace budgetsync::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Set once by main: the program name in failure messages.
inline const char*& program_name() {
  static const char* name = "bench";
  return name;
}

inline void check(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "%s: %s\n", program_name(), what.c_str());
    std::exit(1);
  }
}

inline void exec(sqlite3* db, const char* sql) {
  check(sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK, sqlite3_errmsg(db));
}

}  // namespace budgetsync::bench
