#include "server/login_request.h"

#include <nlohmann/json.hpp>

namespace budgetsync::server {

std::optional<LoginRequest> parse_login_request(std::string_view body) {
  using json = nlohmann::json;
  const json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (!j.is_object()) return std::nullopt;
  const auto user = j.find("user");
  const auto password = j.find("password");
  if (user == j.end() || password == j.end() || !user->is_string() || !password->is_string())
    return std::nullopt;
  return LoginRequest{user->get<std::string>(), password->get<std::string>()};
}

}  // namespace budgetsync::server
