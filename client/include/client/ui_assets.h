// The desktop UI's page (client/ui/index.html), built into the program.
#pragma once

#include <string_view>

namespace budgetsync::client {

std::string_view ui_index_html();

}  // namespace budgetsync::client
