// The server's default store: one SQLite file (WAL, synchronous=FULL), holding
// the gap-free operation log, every operation id's answer, and the current
// state of each cell and row. A batch is one transaction, durable before
// commit() returns.
#pragma once

#include <memory>
#include <string>

#include "shared/status.h"
#include "sync/server_core.h"

namespace budgetsync::server {

class SqliteServerStore final : public sync::ServerStore {
 public:
  // Opens or creates the store at `path` (":memory:" for tests).
  static Result<std::unique_ptr<SqliteServerStore>> open(const std::string& path);
  ~SqliteServerStore() override;

  Status begin() override;
  Status commit() override;
  void rollback() override;
  Result<std::optional<sync::LogEntry>> find(const sync::OpId& id) override;
  Result<sync::ServerCell> cell(const ReportKey& report, const std::string& row,
                                const std::string& column) override;
  Result<std::optional<sync::Contender>> tombstone(const ReportKey& report,
                                                   const std::string& row) override;
  Result<int64_t> last_seq() override;
  Status record(const sync::LogEntry& entry) override;
  Result<std::vector<sync::LogEntry>> read(int64_t after, size_t limit) override;

 private:
  struct Impl;
  explicit SqliteServerStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace budgetsync::server
