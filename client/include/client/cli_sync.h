// The sync commands of the budgetsync command line: login, sync, sync --watch,
// and the sync part of status.
#pragma once

#include <string>

#include "client/replica.h"

namespace budgetsync::client {

int cmd_login(Replica& replica, const std::string& server, const std::string& ca,
              const std::string& user, bool json);
int cmd_sync(Replica& replica, bool watch, bool cbor, size_t batch, bool json);

// The agent's state as status lines ("在线"/"离线", last sync, last error).
std::string sync_status_lines(const Replica& replica);

}  // namespace budgetsync::client
