// The budgetsync command line. Returns the process exit code:
// 0 ok, 1 validation errors or a refused request, 2 usage error or unusable input.
#pragma once

namespace budgetsync::client {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitBadInput = 2;

int run_cli(int argc, char** argv);

}  // namespace budgetsync::client
