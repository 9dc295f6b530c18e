// The body of `POST /api/login`, read apart from the listener so it can be
// tested and fuzzed without Beast.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace budgetsync::server {

struct LoginRequest {
  std::string user;
  std::string password;
};

// Reads {"user": "...", "password": "..."}: a JSON object whose "user" and
// "password" are strings (other members are ignored). Nothing for anything
// else, malformed JSON included; never throws.
std::optional<LoginRequest> parse_login_request(std::string_view body);

}  // namespace budgetsync::server
