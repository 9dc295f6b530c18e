// budgetsync ui: the desktop app. Serves the UI on 127.0.0.1 and, when the
// replica has logged in to a server, runs the sync agent (as `sync --watch`)
// beside it on a thread of its own with its own connection to the replica.
#pragma once

#include <cstdint>
#include <string>

#include "client/replica.h"
#include "shared/catalog.h"

namespace budgetsync::client {

struct UiOptions {
  uint16_t port = 0;  // 0: a free one
  bool open = false;  // hand the address to xdg-open
  bool sync = true;   // run the sync agent (when logged in)
};

int cmd_ui(Replica& replica, const Catalog& catalog, const std::string& replica_path,
           const UiOptions& options);

}  // namespace budgetsync::client
