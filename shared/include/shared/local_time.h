// Times shown to people: "2024-03-05 14:07:09" in the machine's time zone.
// One helper for both programs (history, status, the server's listings).
#pragma once

#include <cstdint>
#include <string>

namespace budgetsync {

// `ms` since the Unix epoch as local wall time, to the second.
std::string local_time(int64_t ms);

}  // namespace budgetsync
