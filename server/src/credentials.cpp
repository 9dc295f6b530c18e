#include "server/credentials.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <charconv>
#include <vector>

namespace budgetsync::server {
namespace {

std::string to_hex(const unsigned char* p, size_t n) {
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", p[i]);
  return out;
}

bool from_hex(std::string_view hex, std::vector<unsigned char>& out) {
  if (hex.size() % 2) return false;
  out.clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
    if (ec != std::errc() || p != hex.data() + i + 2) return false;
    out.push_back(static_cast<unsigned char>(v));
  }
  return true;
}

bool pbkdf2(std::string_view password, const std::vector<unsigned char>& salt, int iterations,
            std::vector<unsigned char>& out) {
  out.assign(32, 0);
  return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                           static_cast<int>(salt.size()), iterations, EVP_sha256(),
                           static_cast<int>(out.size()), out.data()) == 1;
}

}  // namespace

Result<std::string> hash_password(std::string_view password, int iterations) {
  if (password.empty()) return Status::InvalidArgument("密码是空的");
  if (iterations < 1) return Status::InvalidArgument("迭代次数必须是正数");
  std::vector<unsigned char> salt(16);
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    return Status::IoError("系统无法为盐值提供随机数");
  }
  std::vector<unsigned char> hash;
  if (!pbkdf2(password, salt, iterations, hash)) return Status::IoError("PBKDF2 计算失败");
  return fmt::format("pbkdf2-sha256${}${}${}", iterations, to_hex(salt.data(), salt.size()),
                     to_hex(hash.data(), hash.size()));
}

bool verify_password(std::string_view password, std::string_view stored) {
  // pbkdf2-sha256$ITER$SALT$HASH
  constexpr std::string_view kPrefix = "pbkdf2-sha256$";
  if (stored.substr(0, kPrefix.size()) != kPrefix) return false;
  stored.remove_prefix(kPrefix.size());
  const auto d1 = stored.find('$');
  const auto d2 = stored.find('$', d1 == std::string_view::npos ? 0 : d1 + 1);
  if (d1 == std::string_view::npos || d2 == std::string_view::npos) return false;
  int iterations = 0;
  auto [p, ec] = std::from_chars(stored.data(), stored.data() + d1, iterations);
  if (ec != std::errc() || p != stored.data() + d1 || iterations < 1) return false;
  std::vector<unsigned char> salt, expected, actual;
  if (!from_hex(stored.substr(d1 + 1, d2 - d1 - 1), salt) ||
      !from_hex(stored.substr(d2 + 1), expected))
    return false;
  if (expected.size() != 32 || !pbkdf2(password, salt, iterations, actual)) return false;
  return CRYPTO_memcmp(actual.data(), expected.data(), expected.size()) == 0;
}

std::string_view decoy_password_hash() {
  static_assert(kPbkdf2Iterations == 600'000, "the decoy's cost must be the real one");
  return "pbkdf2-sha256$600000$5612806b6c5115b3491f2877cb687cc3$"
         "e21489eb9914cbbec714746f5edd8a987c770eeb05ea4e0b6908ad0722985d66";
}

Result<std::string> new_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return Status::IoError("系统无法提供随机数");
  return to_hex(bytes, sizeof bytes);
}

std::string sha256_hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return to_hex(digest, sizeof digest);
}

std::string token_digest(std::string_view token) {
  return sha256_hex(token);
}

}  // namespace budgetsync::server
