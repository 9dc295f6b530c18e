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

// A stored value in the same format and at the same cost (kPbkdf2Iterations)
// as hash_password's, for a user who does not exist: checking a password
// against it takes as long as against a real one, and nothing matches it (its
// hash is random bytes, not a hash of any known password).
std::string_view decoy_password_hash();

// 32 random bytes as 64 hex characters.
Result<std::string> new_token();

// SHA-256 of a token, hex: what the server keeps.
std::string token_digest(std::string_view token);

// SHA-256 of any text, hex (the audit chain's links).
std::string sha256_hex(std::string_view text);

}  // namespace budgetsync::server
