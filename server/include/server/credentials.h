// Passwords and session tokens, through OpenSSL.
//
// Passwords are stored as "pbkdf2-sha256$ITERATIONS$SALT$HASH" (salt and hash in
// hex): PBKDF2-HMAC-SHA256 with a 16-byte random salt at OWASP's current count
// for that function (600,000). Tokens are 256 random bits, handed to the client
// once and stored only as their SHA-256.
#pragma once

#include <string>
#include <string_view>

#include "shared/status.h"

namespace budgetsync::server {

inline constexpr int kPbkdf2Iterations = 600'000;

// A new salted hash of `password`. `iterations` is lowered only by tests.
Result<std::string> hash_password(std::string_view password, int iterations = kPbkdf2Iterations);

// Whether `password` matches `stored`, compared in constant time. A malformed
// stored value never matches.
bool verify_password(std::string_view password, std::string_view stored);

// 32 random bytes as 64 hex characters.
Result<std::string> new_token();

// SHA-256 of a token, hex: what the server keeps.
std::string token_digest(std::string_view token);

// SHA-256 of any text, hex (the audit chain's links).
std::string sha256_hex(std::string_view text);

}  // namespace budgetsync::server
