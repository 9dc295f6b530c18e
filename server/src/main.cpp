#include "server/server_cli.h"

int main(int argc, char** argv) {
  return budgetsync::server::run_server_cli(argc, argv);
}
