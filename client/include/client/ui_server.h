// The desktop UI's listener: plain HTTP on 127.0.0.1 only, answering every
// request through UiApi (ui_api.h). The only Beast translation unit of the UI.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "client/replica.h"
#include "client/stop_request.h"
#include "shared/catalog.h"
#include "shared/status.h"
#include "sync/clock.h"

namespace budgetsync::client {

// Serves until `stop` is requested (the program asks on Ctrl-C and SIGTERM).
// `port` 0 picks a free one. Once listening, `on_ready` gets the address to
// open (it carries this start's token).
Status serve_ui(Replica& replica, const Catalog& catalog, uint16_t port, sync::ClockSource& clock,
                StopRequest& stop, const std::function<void(const std::string& url)>& on_ready);

}  // namespace budgetsync::client
