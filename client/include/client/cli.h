// The budgetsync command line. Returns the process exit code:
// 0 ok, 1 validation errors or a refused request, 2 usage error or unusable input.
#pragma once

#include <cstdint>
#include <string>

#include "shared/local_time.h"  // for the commands
#include "shared/status.h"

namespace budgetsync::client {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitBadInput = 2;

int run_cli(int argc, char** argv);

// Prints "budgetsync: MESSAGE" on standard error and returns the exit code for
// it: 1 for a refused request (FailedPrecondition), else 2.
int fail(const Status& s);

}  // namespace budgetsync::client
