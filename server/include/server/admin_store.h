// Who may use the server: units and their tree, users with roles, session
// tokens, devices, and failed-login throttling. Kept in the server's SQLite file
// beside the sync log.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/status.h"

namespace budgetsync::server {

enum class Role { kStaff, kReviewer, kAdmin };
std::string_view role_name(Role r);
// 经办人, 审核人, 管理员: the role as a message names it
std::string_view role_label(Role r);
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

// Why a login was refused. The client is told only "wrong user name or
// password" or "wait", never which part was wrong.
enum class LoginRefusal {
  kNone,              // accepted
  kWrongCredentials,  // an unknown user, a wrong password or a disabled user
  kBackingOff,        // too many recent failures for this user at this address, or at it
};

// The part of a login done before the password is checked (on the store's
// thread): what to check it against, or that the attempt must wait.
struct LoginAttempt {
  std::string user;
  std::string address;
  bool known_user = false;     // an account has this name (for the event log only)
  bool usable = false;         // known and not disabled
  std::string stored_hash;     // the account's, or a decoy of the same cost
  int64_t retry_after_ms = 0;  // > 0: refused without checking the password
};

struct LoginResult {
  std::optional<Session> session;  // set when accepted
  LoginRefusal refusal = LoginRefusal::kNone;
  int64_t retry_after_ms = 0;  // kBackingOff: how long until the next attempt is taken
  bool known_user = false;     // for the event log only
};

// How long a subject of failed logins waits: `free_failures` failures cost
// nothing, each one after that doubles the wait, from `first_delay_ms` up to
// `max_delay_ms`, counted from the latest failure.
struct Backoff {
  int free_failures;
  int64_t first_delay_ms;
  int64_t max_delay_ms;
  // The wait after `failures` failures (0 while they are free).
  int64_t delay_ms(int64_t failures) const;
};

// Checks a password against a stored hash (the slow KDF). Called from worker
// threads: it must touch nothing but its arguments.
using PasswordVerifier = std::function<bool(std::string_view password, std::string_view stored)>;

class AdminStore {
 public:
  // Failed logins slow down the one (user, address) pair and the one address
  // they came from — never the account everywhere (docs/security.md; OWASP's
  // Authentication Cheat Sheet, "Login Throttling"): a user at another address
  // logs in at once whatever an attacker does. Failures are forgotten once the
  // latest is kFailureMemoryMs old; a success clears its pair.
  static constexpr Backoff kPairBackoff{3, 1'000, 15 * 60 * 1000};
  static constexpr Backoff kAddressBackoff{20, 1'000, 60 * 1000};
  static constexpr int64_t kFailureMemoryMs = 60 * 60 * 1000;
  static constexpr int64_t kTokenLifetimeMs = 12LL * 60 * 60 * 1000;

  // `verify` checks passwords (tests count or hold it); the default is
  // verify_password.
  static Result<std::unique_ptr<AdminStore>> open(const std::string& path,
                                                  PasswordVerifier verify = nullptr);
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

  // A whole login: begin_login, check_password, finish_login. Refused —
  // without saying which part was wrong — for an unknown user, a wrong password
  // or a disabled user, each after the same KDF work; refused without checking
  // the password while the pair or the address is backing off.
  Result<LoginResult> login(const std::string& user, const std::string& password,
                            const std::string& address, int64_t now_ms);
  // The store's part before the password is checked.
  Result<LoginAttempt> begin_login(const std::string& user, const std::string& address,
                                   int64_t now_ms);
  // The KDF: whether `password` opens `attempt`'s account. Touches no store
  // state, so it may run on any thread; false at once while backing off.
  bool check_password(const LoginAttempt& attempt, std::string_view password) const;
  // Records the outcome: a failure against the pair and the address, or a
  // token issued and the pair's failures cleared.
  Result<LoginResult> finish_login(const LoginAttempt& attempt, bool password_ok, int64_t now_ms);

  // The session a token opens — its user and expiry — if it is known,
  // unexpired and not revoked, and its user not disabled.
  Result<std::optional<Session>> authenticate(const std::string& token, int64_t now_ms);
  // Revokes every token of a user; returns how many.
  Result<int> revoke_tokens(const std::string& user);
  // A count raised by every revocation and every disabled user, by any process
  // sharing the store: a connection that authenticated when it was N needs no
  // new look-up while it is still N (expiry aside, which the connection knows).
  Result<int64_t> revocation_generation();

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
