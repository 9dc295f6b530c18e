#include "sqlite/db.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace budgetsync::sqlite {

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = o.stmt_;
    o.stmt_ = nullptr;
  }
  return *this;
}

Stmt::~Stmt() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Stmt& Stmt::bind(int i, int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view v) {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::bind_static(int i, std::string_view v) {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  return *this;
}

Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

Result<bool> Stmt::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Status::IoError(
      fmt::format("数据库出错：{}（{}）", sqlite3_errmsg(db_), sqlite3_sql(stmt_)));
}

Status Stmt::run() {
  for (;;) {
    auto r = step();
    if (!r.ok()) {
      reset();
      return r.status();
    }
    if (!*r) break;
  }
  reset();
  return Status::Ok();
}

void Stmt::reset() {
  // Bindings are left in place: every use binds all its parameters again.
  sqlite3_reset(stmt_);
}

std::string Stmt::col_text(int i) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, i))) : std::string();
}

std::optional<std::string> Stmt::col_opt_text(int i) const {
  if (col_null(i)) return std::nullopt;
  return col_text(i);
}

Db::~Db() {
  cache_.clear();  // statements before the connection
  if (db_) sqlite3_close_v2(db_);
}

Result<StmtRef> Db::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto st = prepare(sql);
    if (!st.ok()) return st.status();
    it = cache_.emplace(std::string(sql), std::move(*st)).first;
  }
  return StmtRef(it->second);
}

namespace {

// A database holds session tokens and every unit's figures: it is the
// owner's alone (0600), whatever the umask. SQLite gives a database's -wal
// and -shm files the database file's own mode, so a new file is made 0600
// before SQLite opens it; files an older release left readable to others are
// tightened when opened.
void keep_private(const std::string& path, bool create) {
  if (path.empty() || path.front() == ':' || path.rfind("file:", 0) == 0) return;  // in memory
  if (create) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::fchmod(fd, 0600);  // the umask may have taken bits the owner needs
      ::close(fd);
    }
  }
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string file = path + suffix;
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 0077) != 0) ::chmod(file.c_str(), 0600);
  }
}

}  // namespace

Result<Db> Db::open(const std::string& path, bool create, const char* vfs) {
  keep_private(path, create);
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, vfs);
  if (rc != SQLITE_OK) {
    const std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    if (raw) sqlite3_close_v2(raw);
    return Status::IoError(fmt::format("{}：无法打开数据库：{}", path, msg));
  }
  sqlite3_extended_result_codes(raw, 1);
  return Db(raw);
}

Status Db::exec(std::string_view sql) {
  char* err = nullptr;
  const std::string s(sql);
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return Status::IoError(fmt::format("数据库出错：{}", msg));
  }
  return Status::Ok();
}

Result<Stmt> Db::prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &s, nullptr) != SQLITE_OK) {
    return Status::IoError(fmt::format("数据库出错：{}（{}）", sqlite3_errmsg(db_), sql));
  }
  return Stmt(db_, s);
}

Status Db::error(std::string_view what) const {
  return Status::IoError(fmt::format("{}: {}", what, sqlite3_errmsg(db_)));
}

Transaction::~Transaction() {
  if (!open_) return;
  auto st = db_.cached("ROLLBACK");
  if (st.ok()) (void)st->run();
}

Status Transaction::begin() {
  auto st = db_.cached("BEGIN IMMEDIATE");
  if (!st.ok()) return st.status();
  Status s = st->run();
  open_ = s.ok();
  return s;
}

Status Transaction::commit() {
  auto st = db_.cached("COMMIT");
  if (!st.ok()) return st.status();
  Status s = st->run();
  if (s.ok()) open_ = false;
  // On failure the destructor rolls back: nothing half-applied survives.
  return s;
}

}  // namespace budgetsync::sqlite
