#include "server/admin_store.h"

#include <fmt/format.h>

#include <algorithm>

#include "server/credentials.h"
#include "sqlite/db.h"

namespace budgetsync::server {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS server_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS units(code TEXT PRIMARY KEY, name TEXT NOT NULL, parent TEXT REFERENCES units(code))
  WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS users(
  name TEXT PRIMARY KEY, role TEXT NOT NULL, unit TEXT NOT NULL REFERENCES units(code),
  password TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tokens(
  digest TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name),
  expires_ms INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS devices(
  id TEXT PRIMARY KEY, user TEXT NOT NULL, first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL)
  WITHOUT ROWID;
-- Failed logins per subject: a digest of (user, address) or of the address, so a
-- password typed into the user field is not kept. login_failures (user names in
-- clear, the old lockout) is dropped.
DROP TABLE IF EXISTS login_failures;
CREATE TABLE IF NOT EXISTS login_backoff(
  subject TEXT PRIMARY KEY, failures INTEGER NOT NULL, last_ms INTEGER NOT NULL) WITHOUT ROWID;
)sql";

std::string pair_subject(const std::string& user, const std::string& address) {
  return sha256_hex("pair\n" + user + "\n" + address);
}

std::string address_subject(const std::string& address) {
  return sha256_hex("addr\n" + address);
}

}  // namespace

std::string_view role_label(Role r) {
  switch (r) {
    case Role::kStaff:
      return "经办人";
    case Role::kReviewer:
      return "审核人";
    case Role::kAdmin:
      return "管理员";
  }
  return "?";
}

std::string_view role_name(Role r) {
  switch (r) {
    case Role::kStaff:
      return "staff";
    case Role::kReviewer:
      return "reviewer";
    case Role::kAdmin:
      return "admin";
  }
  return "?";
}

Result<Role> parse_role(std::string_view name) {
  for (Role r : {Role::kStaff, Role::kReviewer, Role::kAdmin}) {
    if (role_name(r) == name) return r;
  }
  return Status::InvalidArgument(
      fmt::format("“{}”不是角色（应为 staff、reviewer 或 admin）", name));
}

int64_t Backoff::delay_ms(int64_t failures) const {
  const int64_t over = failures - free_failures;
  if (over <= 0) return 0;
  int64_t delay = first_delay_ms;
  for (int64_t i = 1; i < over && delay < max_delay_ms; ++i) delay *= 2;
  return std::min(delay, max_delay_ms);
}

struct AdminStore::Impl {
  sqlite::Db db;
  PasswordVerifier verify;

  Result<bool> exists(std::string_view sql, const std::string& key) {
    auto st = db.cached(sql);
    if (!st.ok()) return st.status();
    st->bind(1, key);
    return st->step();
  }

  // Records a failure against a subject, starting over when the latest one is
  // older than the memory.
  Status fail(const std::string& subject, int64_t now) {
    auto st = db.cached(
        "INSERT INTO login_backoff(subject, failures, last_ms) VALUES(?1, 1, ?2) ON "
        "CONFLICT(subject) DO UPDATE SET "
        "failures = CASE WHEN ?2 - last_ms > ?3 THEN 1 ELSE failures + 1 END, last_ms = ?2");
    if (!st.ok()) return st.status();
    return st->bind(1, subject).bind(2, now).bind(3, kFailureMemoryMs).run();
  }

  // How long `subject` must still wait (0: not at all).
  Result<int64_t> wait_ms(const std::string& subject, const Backoff& backoff, int64_t now) {
    auto st = db.cached("SELECT failures, last_ms FROM login_backoff WHERE subject = ?");
    if (!st.ok()) return st.status();
    st->bind(1, subject);
    auto has = st->step();
    if (!has.ok()) return has.status();
    if (!*has || now - st->col_int(1) > kFailureMemoryMs) return int64_t{0};
    return std::max<int64_t>(0, st->col_int(1) + backoff.delay_ms(st->col_int(0)) - now);
  }
};

AdminStore::AdminStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AdminStore::~AdminStore() = default;

Result<std::unique_ptr<AdminStore>> AdminStore::open(const std::string& path,
                                                     PasswordVerifier verify) {
  auto db = sqlite::Db::open(path, true);
  if (!db.ok()) return db.status();
  // The busy timeout first: switching to WAL takes a lock another process may hold.
  for (std::string_view pragma : {"PRAGMA busy_timeout=5000", "PRAGMA journal_mode=WAL",
                                  "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
    BS_RETURN_IF_ERROR(db->exec(pragma));
  }
  BS_RETURN_IF_ERROR(db->exec(kSchema));
  if (!verify) verify = verify_password;
  auto store = std::unique_ptr<AdminStore>(
      new AdminStore(std::make_unique<Impl>(Impl{std::move(*db), std::move(verify)})));
  // The identity is made once, on first open.
  auto token = new_token();
  if (!token.ok()) return token.status();
  auto st = store->impl_->db.cached(
      "INSERT INTO server_meta(key, value) VALUES('store_id', ?), ('epoch', '1') "
      "ON CONFLICT(key) DO NOTHING");
  if (!st.ok()) return st.status();
  BS_RETURN_IF_ERROR(st->bind(1, token->substr(0, 32)).run());
  return store;
}

Result<std::pair<std::string, int64_t>> AdminStore::identity() {
  auto st = impl_->db.cached(
      "SELECT (SELECT value FROM server_meta WHERE key = 'store_id'), "
      "(SELECT value FROM server_meta WHERE key = 'epoch')");
  if (!st.ok()) return st.status();
  auto has = st->step();
  if (!has.ok()) return has.status();
  return std::pair<std::string, int64_t>{st->col_text(0),
                                         static_cast<int64_t>(std::stoll(st->col_text(1)))};
}

Status AdminStore::add_unit(const std::string& code, const std::string& name,
                            const std::string& parent) {
  if (code.empty() || code.find_first_of("/: ") != std::string::npos) {
    return Status::InvalidArgument(
        fmt::format("“{}” is not a unit code (no “/”, “:” or spaces)", code));
  }
  if (!parent.empty()) {
    auto found = impl_->exists("SELECT 1 FROM units WHERE code = ?", parent);
    if (!found.ok()) return found.status();
    if (!*found) return Status::NotFound(fmt::format("上级单位 {} 不存在；请先新增它", parent));
  }
  auto dup = impl_->exists("SELECT 1 FROM units WHERE code = ?", code);
  if (!dup.ok()) return dup.status();
  if (*dup) return Status::FailedPrecondition(fmt::format("单位 {} 已存在", code));
  auto st = impl_->db.cached("INSERT INTO units(code, name, parent) VALUES(?, ?, ?)");
  if (!st.ok()) return st.status();
  return st->bind(1, code)
      .bind(2, name)
      .bind(3, parent.empty() ? std::optional<std::string>() : parent)
      .run();
}

Result<bool> AdminStore::unit_within(const std::string& unit, const std::string& ancestor) {
  auto st = impl_->db.cached(
      "WITH RECURSIVE up(code, parent) AS (SELECT code, parent FROM units WHERE code = ?1 "
      "UNION ALL SELECT u.code, u.parent FROM units u JOIN up ON u.code = up.parent) "
      "SELECT 1 FROM up WHERE code = ?2");
  if (!st.ok()) return st.status();
  st->bind(1, unit).bind(2, ancestor);
  return st->step();
}

Result<std::vector<std::string>> AdminStore::units_within(const std::string& ancestor) {
  auto st = impl_->db.cached(
      "WITH RECURSIVE down(code) AS (SELECT code FROM units WHERE code = ?1 "
      "UNION SELECT u.code FROM units u JOIN down ON u.parent = down.code) "
      "SELECT code FROM down ORDER BY code");
  if (!st.ok()) return st.status();
  st->bind(1, ancestor);
  std::vector<std::string> units;
  while (true) {
    auto row = st->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    units.push_back(st->col_text(0));
  }
  return units;
}

Status AdminStore::add_user(const User& user, const std::string& password_hash) {
  if (user.name.empty() || user.name.find_first_of(" \t\n") != std::string::npos) {
    return Status::InvalidArgument(fmt::format("“{}”不能用作用户名（不能含空格）", user.name));
  }
  auto unit = impl_->exists("SELECT 1 FROM units WHERE code = ?", user.unit);
  if (!unit.ok()) return unit.status();
  if (!*unit)
    return Status::NotFound(fmt::format("单位 {} 不存在；请先用 `unit add` 新增", user.unit));
  auto dup = impl_->exists("SELECT 1 FROM users WHERE name = ?", user.name);
  if (!dup.ok()) return dup.status();
  if (*dup) return Status::FailedPrecondition(fmt::format("用户 {} 已存在", user.name));
  auto st = impl_->db.cached("INSERT INTO users(name, role, unit, password) VALUES(?, ?, ?, ?)");
  if (!st.ok()) return st.status();
  return st->bind(1, user.name)
      .bind(2, role_name(user.role))
      .bind(3, user.unit)
      .bind(4, password_hash)
      .run();
}

Status AdminStore::disable_user(const std::string& name) {
  auto st = impl_->db.cached("UPDATE users SET disabled = 1 WHERE name = ?");
  if (!st.ok()) return st.status();
  BS_RETURN_IF_ERROR(st->bind(1, name).run());
  if (impl_->db.changes() == 0) return Status::NotFound(fmt::format("没有用户 {}", name));
  auto revoked = revoke_tokens(name);
  return revoked.ok() ? Status::Ok() : revoked.status();
}

Result<std::optional<User>> AdminStore::user(const std::string& name) {
  auto st = impl_->db.cached("SELECT role, unit, disabled FROM users WHERE name = ?");
  if (!st.ok()) return st.status();
  st->bind(1, name);
  auto has = st->step();
  if (!has.ok()) return has.status();
  if (!*has) return std::optional<User>();
  auto role = parse_role(st->col_text(0));
  if (!role.ok()) return role.status();
  return std::optional<User>(User{name, *role, st->col_text(1), st->col_int(2) != 0});
}

Result<LoginResult> AdminStore::login(const std::string& name, const std::string& password,
                                      const std::string& address, int64_t now_ms) {
  auto attempt = begin_login(name, address, now_ms);
  if (!attempt.ok()) return attempt.status();
  return finish_login(*attempt, check_password(*attempt, password), now_ms);
}

Result<LoginAttempt> AdminStore::begin_login(const std::string& name, const std::string& address,
                                             int64_t now_ms) {
  LoginAttempt a;
  a.user = name;
  a.address = address;
  auto st = impl_->db.cached("SELECT password, disabled FROM users WHERE name = ?");
  if (!st.ok()) return st.status();
  st->bind(1, name);
  auto has = st->step();
  if (!has.ok()) return has.status();
  a.known_user = *has;
  a.usable = *has && st->col_int(1) == 0;
  // An unknown user costs the same KDF work as a known one, so the time taken
  // does not say which names exist; a disabled user's own hash is checked too.
  a.stored_hash = *has ? st->col_text(0) : std::string(decoy_password_hash());
  auto pair = impl_->wait_ms(pair_subject(name, address), kPairBackoff, now_ms);
  if (!pair.ok()) return pair.status();
  auto addr = impl_->wait_ms(address_subject(address), kAddressBackoff, now_ms);
  if (!addr.ok()) return addr.status();
  a.retry_after_ms = std::max(*pair, *addr);
  return a;
}

bool AdminStore::check_password(const LoginAttempt& attempt, std::string_view password) const {
  if (attempt.retry_after_ms > 0) return false;
  const bool matches = impl_->verify(password, attempt.stored_hash);
  return matches && attempt.usable;
}

Result<LoginResult> AdminStore::finish_login(const LoginAttempt& a, bool password_ok,
                                             int64_t now_ms) {
  LoginResult r;
  r.known_user = a.known_user;
  if (a.retry_after_ms > 0) {
    // Not counted: waiting out the back-off is all that is asked.
    r.refusal = LoginRefusal::kBackingOff;
    r.retry_after_ms = a.retry_after_ms;
    return r;
  }
  const std::string pair = pair_subject(a.user, a.address);
  if (!password_ok) {
    BS_RETURN_IF_ERROR(impl_->fail(pair, now_ms));
    BS_RETURN_IF_ERROR(impl_->fail(address_subject(a.address), now_ms));
    r.refusal = LoginRefusal::kWrongCredentials;
    return r;
  }
  auto token = new_token();
  if (!token.ok()) return token.status();
  auto u = user(a.user);
  if (!u.ok()) return u.status();
  if (!*u) {  // removed while the password was checked
    r.refusal = LoginRefusal::kWrongCredentials;
    return r;
  }
  Session s{*token, **u, now_ms + kTokenLifetimeMs};
  auto ins = impl_->db.cached("INSERT INTO tokens(digest, user, expires_ms) VALUES(?, ?, ?)");
  if (!ins.ok()) return ins.status();
  BS_RETURN_IF_ERROR(
      ins->bind(1, token_digest(*token)).bind(2, a.user).bind(3, s.expires_ms).run());
  auto clear = impl_->db.cached("DELETE FROM login_backoff WHERE subject = ?");
  if (!clear.ok()) return clear.status();
  BS_RETURN_IF_ERROR(clear->bind(1, pair).run());
  r.session = std::move(s);
  return r;
}

Result<std::optional<Session>> AdminStore::authenticate(const std::string& token, int64_t now_ms) {
  auto st = impl_->db.cached(
      "SELECT t.user, t.expires_ms FROM tokens t JOIN users u ON u.name = t.user "
      "WHERE t.digest = ? AND t.revoked = 0 AND t.expires_ms > ? AND u.disabled = 0");
  if (!st.ok()) return st.status();
  st->bind(1, token_digest(token)).bind(2, now_ms);
  auto has = st->step();
  if (!has.ok()) return has.status();
  if (!*has) return std::optional<Session>();
  const std::string name = st->col_text(0);
  const int64_t expires_ms = st->col_int(1);
  auto u = user(name);
  if (!u.ok()) return u.status();
  if (!*u) return std::optional<Session>();
  return std::optional<Session>(Session{token, **u, expires_ms});
}

Result<int> AdminStore::revoke_tokens(const std::string& name) {
  auto st = impl_->db.cached("UPDATE tokens SET revoked = 1 WHERE user = ? AND revoked = 0");
  if (!st.ok()) return st.status();
  BS_RETURN_IF_ERROR(st->bind(1, name).run());
  const int revoked = impl_->db.changes();
  // Raised after the tokens are marked, so whoever reads the new number finds them revoked.
  auto bump = impl_->db.cached(
      "INSERT INTO server_meta(key, value) VALUES('revocations', '1') ON CONFLICT(key) "
      "DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)");
  if (!bump.ok()) return bump.status();
  BS_RETURN_IF_ERROR(bump->run());
  return revoked;
}

Result<int64_t> AdminStore::revocation_generation() {
  auto st = impl_->db.cached("SELECT value FROM server_meta WHERE key = 'revocations'");
  if (!st.ok()) return st.status();
  auto has = st->step();
  if (!has.ok()) return has.status();
  return *has ? static_cast<int64_t>(std::stoll(st->col_text(0))) : int64_t{0};
}

Result<bool> AdminStore::touch_device(const std::string& device, const std::string& user,
                                      int64_t now_ms) {
  auto st = impl_->db.cached(
      "INSERT INTO devices(id, user, first_seen_ms, last_seen_ms) VALUES(?1, ?2, ?3, ?3) "
      "ON CONFLICT(id) DO UPDATE SET last_seen_ms = excluded.last_seen_ms "
      "WHERE devices.user = excluded.user");
  if (!st.ok()) return st.status();
  if (Status s = st->bind(1, device).bind(2, user).bind(3, now_ms).run(); !s.ok()) return s;
  return impl_->db.changes() > 0;
}

Result<std::vector<Device>> AdminStore::devices() {
  auto st = impl_->db.cached(
      "SELECT id, user, first_seen_ms, last_seen_ms FROM devices ORDER BY last_seen_ms DESC");
  if (!st.ok()) return st.status();
  std::vector<Device> out;
  for (;;) {
    auto has = st->step();
    if (!has.ok()) return has.status();
    if (!*has) break;
    out.push_back({st->col_text(0), st->col_text(1), st->col_int(2), st->col_int(3)});
  }
  return out;
}

}  // namespace budgetsync::server
