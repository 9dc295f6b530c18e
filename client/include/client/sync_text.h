// The words for a sync session's end, built from its code at the edge where
// users see them (the command line, the app, the agent's log).
#pragma once

#include <string>

#include "shared/status.h"
#include "sync/client_session.h"

namespace budgetsync::client {

// The failure as a Status whose message is for the user (Chinese). A store
// failure is the store's own status.
Status session_failure_status(const sync::SessionFailure& failure);

// Progress lines while a sync runs: "推送 120 项修改", "下载 5000/120000".
std::string push_progress_text(const sync::SyncTally& tally);
std::string pull_progress_text(const sync::SyncTally& tally);

}  // namespace budgetsync::client
