// The server's default store: one SQLite file (WAL, synchronous=FULL), holding
// the gap-free operation log, every operation id's answer, and the current
// state of each cell and row. A batch is one transaction, durable before
// commit() returns.
#pragma once

#include <memory>
#include <string>

#include "shared/status.h"
#include "sync/clock.h"
#include "sync/server_core.h"

namespace budgetsync::server {

class SqliteServerStore final : public sync::ServerStore {
 public:
  // Opens or creates the store at `path` (":memory:" for tests). `clock`
  // stamps each log entry's server time in the audit chain (the system clock
  // when null). `vfs` names an SQLite VFS (tests inject storage faults).
  static Result<std::unique_ptr<SqliteServerStore>> open(const std::string& path,
                                                         sync::ClockSource* clock = nullptr,
                                                         const char* vfs = nullptr);
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
  Result<sync::ReportState> report_state(const ReportKey& report) override;
  Result<std::vector<sync::StoredCell>> report_cells(const ReportKey& report) override;
  Result<std::vector<ReportKey>> unit_reports(const std::string& unit, int year) override;
  Result<std::optional<std::string>> report_info(const ReportKey& report) override;

  // The audit chain: every logged entry is stored with its server time, the
  // cell's value before it, and a SHA-256 over those, the entry and the
  // previous link, so changing, removing or reordering any entry breaks every
  // link after it.
  struct AuditCheck {
    int64_t entries = 0;     // links checked
    int64_t first_seq = 0;   // the first audited entry (0: none)
    int64_t unaudited = 0;   // entries logged before the chain began
    int64_t broken_seq = 0;  // the first entry that does not match (0: none)
    std::string problem;     // what is wrong with it
  };
  Result<AuditCheck> verify_audit();

 private:
  Status record_state(const sync::LogEntry& e);
  Status record_info(const sync::LogEntry& e);
  struct Impl;
  explicit SqliteServerStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace budgetsync::server
