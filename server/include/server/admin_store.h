// Who may use the server: units and their tree, users with roles, session
// tokens, devices, and failed-login throttling. Kept in the server's SQLite file
// beside the sync log.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shared/status.h"

namespace budgetsync::server {

enum class Role { kStaff, kReviewer, kAdmin };
std::string_view role_name(Role r);
Result<Role> parse_role(std::string_view name);

struct User {
  std::string name;
  Role role = Role::kStaff;
  std::string unit;
  bool disabled = false;
};

struct Device {
  std::string id;
  std::string user;
  int64_t first_seen_ms = 0;
  int64_t last_seen_ms = 0;
};

// A successful login: the token to give the client (kept only as a digest).
struct Session {
  std::string token;
  User user;
  int64_t expires_ms = 0;
};

class AdminStore {
 public:
  // Failed logins allowed per user and per address within the window before
  // further attempts are refused until the window passes.
  static constexpr int kMaxFailures = 5;
  static constexpr int64_t kFailureWindowMs = 15 * 60 * 1000;
  static constexpr int64_t kTokenLifetimeMs = 12LL * 60 * 60 * 1000;

  static Result<std::unique_ptr<AdminStore>> open(const std::string& path);
  ~AdminStore();

  // The store's identity: a random id made once, and an epoch that a restore
  // from backup must raise, so clients can tell their cursor no longer holds.
  Result<std::pair<std::string, int64_t>> identity();

  Status add_unit(const std::string& code, const std::string& name, const std::string& parent);
  // True when `unit` is `ancestor` or below it.
  Result<bool> unit_within(const std::string& unit, const std::string& ancestor);
  // `ancestor` and every unit below it, sorted.
  Result<std::vector<std::string>> units_within(const std::string& ancestor);

  Status add_user(const User& user, const std::string& password_hash);
  Status disable_user(const std::string& name);
  Result<std::optional<User>> user(const std::string& name);

  // Checks a password and issues a token. Refused — without saying which part
  // was wrong — for an unknown user, a wrong password or a disabled user; and
  // refused outright while the user or the address has too many recent failures.
  Result<Session> login(const std::string& user, const std::string& password,
                        const std::string& address, int64_t now_ms);
  // The user a token belongs to, if it is known, unexpired and not revoked.
  Result<std::optional<User>> authenticate(const std::string& token, int64_t now_ms);
  // Revokes every token of a user; returns how many.
  Result<int> revoke_tokens(const std::string& user);

  // Registers `device` to `user` on first sight, or notes that it was seen.
  // A device id belongs to the user who first synced with it: false (nothing
  // changed) when it is another user's.
  Result<bool> touch_device(const std::string& device, const std::string& user, int64_t now_ms);
  Result<std::vector<Device>> devices();

 private:
  struct Impl;
  explicit AdminStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace budgetsync::server
