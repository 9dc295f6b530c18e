#include "client/cli.h"

int main(int argc, char** argv) {
  return budgetsync::client::run_cli(argc, argv);
}
