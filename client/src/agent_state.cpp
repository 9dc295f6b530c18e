#include "client/agent_state.h"

#include <charconv>

namespace budgetsync::client {

std::string_view connection_name(AgentConnection c) {
  switch (c) {
    case AgentConnection::kOnline:
      return "online";
    case AgentConnection::kOffline:
      return "offline";
    case AgentConnection::kStopped:
      return "stopped";
  }
  return "stopped";
}

std::optional<AgentConnection> parse_connection(std::string_view name) {
  for (auto c : {AgentConnection::kOnline, AgentConnection::kOffline, AgentConnection::kStopped})
    if (connection_name(c) == name) return c;
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> agent_settings(
    std::optional<AgentConnection> connection, int64_t now_ms,
    std::optional<std::string> last_error) {
  std::vector<std::pair<std::string, std::string>> out;
  if (connection) out.emplace_back("agent.state", std::string(connection_name(*connection)));
  if (last_error) out.emplace_back("sync.last_error", *last_error);
  out.emplace_back("agent.heartbeat_ms", std::to_string(now_ms));
  return out;
}

std::vector<std::pair<std::string, std::string>> synced_settings(int64_t now_ms) {
  return {{"sync.last_ok_ms", std::to_string(now_ms)}, {"sync.last_error", ""}};
}

std::vector<std::pair<std::string, std::string>> failed_settings(const std::string& error) {
  return {{"sync.last_error", error}};
}

namespace {

int64_t number_or_zero(const std::string& text) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && end == text.data() + text.size() ? v : 0;
}

}  // namespace

Result<AgentState> agent_state(const Replica& replica, int64_t now_ms) {
  AgentState a;
  BS_ASSIGN_OR_RETURN(state, replica.setting("agent.state"));
  BS_ASSIGN_OR_RETURN(beat, replica.setting("agent.heartbeat_ms"));
  BS_ASSIGN_OR_RETURN(last_ok, replica.setting("sync.last_ok_ms"));
  BS_ASSIGN_OR_RETURN(error, replica.setting("sync.last_error"));
  BS_ASSIGN_OR_RETURN(server, replica.setting("server.url"));
  const auto connection = parse_connection(state);
  const int64_t beat_ms = number_or_zero(beat);
  a.agent_running = connection && *connection != AgentConnection::kStopped && beat_ms > 0 &&
                    now_ms - beat_ms <= kHeartbeatStaleMs;
  a.online = a.agent_running && *connection == AgentConnection::kOnline;
  a.last_sync_ms = number_or_zero(last_ok);
  a.last_error = error;
  a.server = server;
  return a;
}

}  // namespace budgetsync::client
