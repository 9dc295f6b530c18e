// The budgetsync-server command line. Returns the process exit code.
#pragma once

namespace budgetsync::server {

int run_server_cli(int argc, char** argv);

}  // namespace budgetsync::server
