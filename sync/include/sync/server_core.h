// The server's half of sync, over an injected store: takes pushed batches of
// operations, merges each (sync/merge.h), appends it to one gap-free log, and
// serves that log to pulls. No sockets here; the network server and the
// in-process tests both drive this.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "shared/status.h"
#include "sync/clock.h"
#include "sync/hlc.h"
#include "sync/merge.h"
#include "sync/operation.h"
#include "sync/report_state.h"

namespace budgetsync::sync {

// Why the server refused an operation: what a client acts on. The reason
// beside it is for people and logs, never parsed.
enum class RejectCode {
  kOther,              // a code this program does not know (a newer server)
  kOpIdReused,         // the id was used for a different operation: re-key the device
  kDeviceMismatch,     // the operation names another device than the connection's
  kAuthorMismatch,     // the operation is signed by another user than the logged-in one
  kForbidden,          // the user's role may not take this step
  kUnitForbidden,      // the report belongs to a unit the user may not change
  kReadOnly,           // a reviewer writing a subordinate unit's cell
  kReportLocked,       // the report is submitted or approved
  kInvalidTransition,  // the report's state does not allow the step
  kStaleSubmission,    // the submitted snapshot differs from the server's cells
  kValidationFailed,   // the submitted report has validation errors
  kMalformed,          // the operation cannot be read
  kServerError,        // the server could not decide
};
std::string_view reject_code_name(RejectCode c);
// Unknown names read as kOther, so a newer server's codes are shown, not fatal.
RejectCode parse_reject_code(std::string_view name);

struct Refusal {
  RejectCode code = RejectCode::kOther;
  std::string reason;  // "code_name: what was refused and why"
};
// A refusal whose reason starts with the code's name.
Refusal refuse(RejectCode code, std::string_view detail);

// One accepted or rejected operation, as the log keeps it.
struct LogEntry {
  int64_t seq = 0;  // 0 for a rejected operation (it is not in the log)
  Operation op;     // with the timestamp the server accepted
  Outcome outcome = Outcome::kApplied;
  RejectCode code = RejectCode::kOther;  // kRejected: what the refusal means
  std::string reason;                    // kRejected: why, for people
  ServerCell cell;                       // kSetCell: the cell after this operation
  bool row_deleted = false;              // kDeleteRow: the row's tombstone is set
  int64_t server_ms = 0;                 // when the server accepted it (0: rejected)
  // In a push's answer: the first answer, given again to a resend (not on the
  // wire, not stored).
  bool resent = false;
};

// A cell of a report as the server has it, with its row's place in the form.
struct StoredCell {
  std::string row;
  std::string column;
  std::string section;  // empty when the operations never named it (fixed and coded rows)
  std::string sort_key;
  ServerCell cell;
};

// Where the server keeps its log and state. One batch is one transaction:
// begin(), reads and appends, commit() — durable before commit returns.
class ServerStore {
 public:
  virtual ~ServerStore() = default;
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual void rollback() = 0;
  // The entry an operation id got, if it was ever handled (rejections too).
  virtual Result<std::optional<LogEntry>> find(const OpId& id) = 0;
  virtual Result<ServerCell> cell(const ReportKey& report, const std::string& row,
                                  const std::string& column) = 0;
  virtual Result<std::optional<Contender>> tombstone(const ReportKey& report,
                                                     const std::string& row) = 0;
  virtual Result<int64_t> last_seq() = 0;
  // Records an entry: the log (when seq > 0), the cell or row it changed, and
  // the op id's answer.
  virtual Status record(const LogEntry& entry) = 0;
  // Log entries after `after`, in order, at most `limit`.
  virtual Result<std::vector<LogEntry>> read(int64_t after, size_t limit) = 0;
  // The report's review state: draft until a state operation changes it.
  virtual Result<ReportState> report_state(const ReportKey& report) = 0;
  // Every cell of the report that has a value, rows with a tombstone left out,
  // in row and column order.
  virtual Result<std::vector<StoredCell>> report_cells(const ReportKey& report) = 0;
  // The reports of `unit` in `year` that have cells (for cross-table rules).
  virtual Result<std::vector<ReportKey>> unit_reports(const std::string& unit, int year) = 0;
  // The value of the report's newest report_info operation in log order (its
  // unit's name, source, 金额单位 and cells cut off in the source), if any.
  virtual Result<std::optional<std::string>> report_info(const ReportKey& report) = 0;
};

// A store in memory: the reference implementation, and the tests' store.
class MemoryServerStore final : public ServerStore {
 public:
  Status begin() override;
  Status commit() override;
  void rollback() override;
  Result<std::optional<LogEntry>> find(const OpId& id) override;
  Result<ServerCell> cell(const ReportKey& report, const std::string& row,
                          const std::string& column) override;
  Result<std::optional<Contender>> tombstone(const ReportKey& report,
                                             const std::string& row) override;
  Result<int64_t> last_seq() override;
  Status record(const LogEntry& entry) override;
  Result<std::vector<LogEntry>> read(int64_t after, size_t limit) override;
  Result<ReportState> report_state(const ReportKey& report) override;
  Result<std::vector<StoredCell>> report_cells(const ReportKey& report) override;
  Result<std::vector<ReportKey>> unit_reports(const std::string& unit, int year) override;
  Result<std::optional<std::string>> report_info(const ReportKey& report) override;

 private:
  struct State {
    std::vector<LogEntry> log;
    std::map<std::string, LogEntry> by_op;
    std::map<std::tuple<ReportKey, std::string, std::string>, ServerCell> cells;
    std::map<std::pair<ReportKey, std::string>, Contender> tombstones;
    std::map<std::pair<ReportKey, std::string>, std::pair<std::string, std::string>> rows;
    std::map<ReportKey, ReportState> states;
    std::map<ReportKey, std::string> infos;
  };
  State state_;
  std::optional<State> saved_;  // the state at begin(), restored by rollback()
};

// Decides whether the pushing user may apply an operation: empty when allowed,
// else the reason it is refused.
using Authorizer = std::function<std::optional<Refusal>(const Operation&)>;

// Runs the validation rules over a report being submitted, as the server has
// it: empty when it may be submitted, else the refusal ("validation_failed: ...").
using SubmissionCheck = std::function<std::optional<Refusal>(const ReportKey&)>;

class ServerCore {
 public:
  ServerCore(ServerStore& store, ClockSource& clock) : store_(store), clock_(clock), hlc_(clock) {}

  // Every submission passes this check after the state and snapshot checks.
  void set_submission_check(SubmissionCheck check) { submission_check_ = std::move(check); }

  // Handles a batch in order, all in one store transaction, and returns one
  // entry per operation. Idempotent: an operation id seen before gets its first
  // answer again. An id reused with different content (a cloned device) is
  // rejected, and so is every operation of that device after it in the batch
  // that the server has not seen (same code, not recorded): the device takes a
  // new id for all of them, so nothing it made after the reused id — a cell of
  // a row it added, the rest of an import — is applied under the old one, where
  // it could mix with the other copy's operations. Timestamps more than `max_skew_ms` ahead of the
  // server's clock are clamped, so a wrong clock cannot win every conflict.
  Result<std::vector<LogEntry>> push(const std::vector<Operation>& batch,
                                     const Authorizer& authorize,
                                     int64_t max_skew_ms = HybridClock::kDefaultMaxSkewMs);

  // Log entries after `cursor` that `visible` lets the puller read, at most
  // `limit` entries scanned. Returns the entries and the cursor to resume from.
  struct Pulled {
    std::vector<LogEntry> entries;
    int64_t cursor = 0;
    bool more = false;
  };
  Result<Pulled> pull(int64_t cursor, size_t limit,
                      const std::function<bool(const ReportKey&)>& visible);

 private:
  // `stopped`: an earlier operation of the device in this batch reused an id;
  // an operation not seen before is refused rather than applied.
  Result<LogEntry> handle(const Operation& op, const Authorizer& authorize, int64_t max_skew_ms,
                          bool stopped);
  // Why a cell, row or state operation may not go ahead given the report's
  // review state (empty: it may).
  Result<std::optional<Refusal>> refuse_by_state(const Operation& op);
  Result<std::optional<Refusal>> refuse_submission(const Operation& op, const StateChange& change);

  SubmissionCheck submission_check_;
  ServerStore& store_;
  ClockSource& clock_;
  HybridClock hlc_;
};

// Two operations are the same operation (a resend) when everything the author
// wrote matches.
bool same_content(const Operation& a, const Operation& b);

}  // namespace budgetsync::sync
