// budgetsync_sqlite: a thin RAII layer over the SQLite C API that turns every
// failure into a Status naming what was being done. Used by the client's replica
// and the server's store; the domain core (budgetsync_shared) never uses it.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "shared/status.h"

namespace budgetsync::sqlite {

class Db;

class Stmt {
 public:
  Stmt() = default;
  Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  ~Stmt();

  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  // Binds text the caller keeps alive and unchanged until the statement is reset.
  Stmt& bind_static(int i, std::string_view v);
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind_null(int i);
  Stmt& bind(int i, const std::optional<std::string>& v) {
    return v ? bind(i, std::string_view(*v)) : bind_null(i);
  }
  // Steps once. Result is true when a row is available, false when done.
  Result<bool> step();
  // Steps to completion, expecting no rows.
  Status run();
  void reset();

  int64_t col_int(int i) const { return sqlite3_column_int64(stmt_, i); }
  bool col_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  std::string col_text(int i) const;
  std::optional<std::string> col_opt_text(int i) const;

 private:
  friend class Db;
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), stmt_(s) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// A cached statement lent for one use: reset when the loan ends, so a statement
// stepped part-way never holds a read snapshot open.
class StmtRef {
 public:
  explicit StmtRef(Stmt& s) : s_(&s) {}
  StmtRef(StmtRef&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  StmtRef& operator=(StmtRef&&) = delete;
  ~StmtRef() {
    if (s_) s_->reset();
  }
  template <typename T>
  StmtRef& bind(int i, const T& v) {
    s_->bind(i, v);
    return *this;
  }
  StmtRef& bind_static(int i, std::string_view v) {
    s_->bind_static(i, v);
    return *this;
  }
  StmtRef& bind_null(int i) {
    s_->bind_null(i);
    return *this;
  }
  Result<bool> step() { return s_->step(); }
  Status run() { return s_->run(); }
  int64_t col_int(int i) const { return s_->col_int(i); }
  bool col_null(int i) const { return s_->col_null(i); }
  std::string col_text(int i) const { return s_->col_text(i); }
  std::optional<std::string> col_opt_text(int i) const { return s_->col_opt_text(i); }

 private:
  Stmt* s_;
};

class Db {
 public:
  Db() = default;
  Db(Db&& o) noexcept : db_(o.db_), cache_(std::move(o.cache_)) { o.db_ = nullptr; }
  Db& operator=(Db&&) = delete;
  ~Db();

  // Opens (or with `create`, creates) the database file.
  static Result<Db> open(const std::string& path, bool create, const char* vfs = nullptr);
  Status exec(std::string_view sql);
  Result<Stmt> prepare(std::string_view sql);
  // The statement for `sql`, prepared once per connection and reused.
  Result<StmtRef> cached(std::string_view sql);
  int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }
  sqlite3* raw() const { return db_; }
  Status error(std::string_view what) const;

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Stmt, SqlHash, std::equal_to<>> cache_;
};

// A transaction that rolls back unless committed. BEGIN IMMEDIATE takes the
// write lock at once, so two writers never deadlock half-way.
class Transaction {
 public:
  explicit Transaction(Db& db) : db_(db) {}
  Transaction(const Transaction&) = delete;
  ~Transaction();
  Status begin();
  Status commit();

 private:
  Db& db_;
  bool open_ = false;
};

}  // namespace budgetsync::sqlite
