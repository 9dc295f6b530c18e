// What the replica records about its sync agent (sync --watch, the app's
// agent) for `status` and the app to show: online or not, the last successful
// sync, the last error. Any program on the replica reads it; only the agent
// writes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/replica.h"

namespace budgetsync::client {

// How often a running agent beats its heartbeat, and how old a heartbeat may
// be before the agent counts as gone (killed, the machine asleep).
inline constexpr int64_t kHeartbeatMs = 5'000;
inline constexpr int64_t kHeartbeatStaleMs = 15'000;

enum class AgentConnection { kOnline, kOffline, kStopped };

// Stored as "online", "offline", "stopped".
std::string_view connection_name(AgentConnection c);
std::optional<AgentConnection> parse_connection(std::string_view name);

// The settings an agent writes when its connection changes, with the
// heartbeat at `now_ms` ("" for `last_error` clears it; none leaves it).
std::vector<std::pair<std::string, std::string>> agent_settings(
    std::optional<AgentConnection> connection, int64_t now_ms,
    std::optional<std::string> last_error = std::nullopt);

// After a whole exchange (by the agent or a one-off sync): the last successful
// sync is `now_ms`, and no error stands.
std::vector<std::pair<std::string, std::string>> synced_settings(int64_t now_ms);
// After a one-off sync that failed.
std::vector<std::pair<std::string, std::string>> failed_settings(const std::string& error);

// The agent's state as `status` shows it: online only while an agent has
// beaten its heartbeat recently.
struct AgentState {
  bool online = false;
  bool agent_running = false;
  int64_t last_sync_ms = 0;  // 0: never
  std::string last_error;
  std::string server;
};
Result<AgentState> agent_state(const Replica& replica, int64_t now_ms);

}  // namespace budgetsync::client
