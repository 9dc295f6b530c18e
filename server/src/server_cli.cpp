#include "server/server_cli.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "sync/protocol_version.h"

namespace budgetsync::server {

int run_server_cli(int argc, char** argv) {
  // The listener, store and review workflow land with the sync issue; until
  // then the program answers --help and --version truthfully and refuses to run.
  CLI::App app{"budgetsync-server: the budgetsync sync server (serving is not implemented yet)"};
  app.set_version_flag(
      "--version", fmt::format("budgetsync-server 0.1.0 ({})", budgetsync::sync::protocol_name()));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  fmt::print(stderr,
             "budgetsync-server: nothing to run yet: the sync server is not implemented.\n");
  return 2;
}

}  // namespace budgetsync::server
