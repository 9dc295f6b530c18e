// The local replica: one SQLite database holding a unit's reports, every value
// each cell has had, and the outbox of operations not yet acknowledged by a
// server. Every change is one transaction that changes the data and appends its
// operation; a change whose call returned ok is on disk (WAL, synchronous=FULL).
//
// Not thread-safe: one Replica object per thread (SQLite handles several
// processes on one file).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "shared/catalog.h"
#include "shared/report.h"
#include "shared/status.h"
#include "sync/clock.h"
#include "sync/hlc.h"
#include "sync/operation.h"
#include "sync/random.h"
#include "sync/report_state.h"
#include "sync/server_core.h"

namespace budgetsync::client {

struct ReplicaIdentity {
  std::string unit;
  std::string unit_name;
  std::string user;
};

struct ReportSummary {
  ReportKey key;
  std::string unit_name;
  std::string form_title;
  std::string name;  // project name, for forms filed once per project
  sync::ReportState state = sync::ReportState::kDraft;
  std::string state_by;      // who made the latest state change
  std::string state_reason;  // why it was returned or reopened
  int64_t state_at_ms = 0;   // when the server logged it (0: not yet)
  std::optional<sync::Hlc> last_edit;
  std::string last_edit_by;
  int64_t cells = 0;
};

struct HistoryEntry {
  int n = 0;                         // 1 = the oldest value
  std::optional<std::string> value;  // none: removed (row deleted)
  std::string author;
  std::string device;
  sync::OpId op;
  sync::OpKind kind = sync::OpKind::kSetCell;
  sync::Hlc hlc;
  int64_t server_seq = 0;  // the server's log position (0: not logged yet)
  int64_t server_ms = 0;   // when the server logged it
};

// Where one of the replica's operations stands with the server.
enum class OpStatus {
  kPending,    // waiting to be sent
  kAcked,      // the server logged it
  kRemote,     // another device's, pulled
  kRejected,   // the server refused it; kept until the user retries or discards it
  kRetried,    // a refused edit applied again as a new one
  kDiscarded,  // a refused edit given up
};
// As stored: "pending", "acked", "remote", "rejected", "retried", "discarded".
std::string_view op_status_name(OpStatus s);
Result<OpStatus> parse_op_status(std::string_view name);
// Whether the operation stands in the report's story: neither refused nor
// given up.
inline bool stands(OpStatus s) {
  return s != OpStatus::kRejected && s != OpStatus::kDiscarded;
}

struct OpRecord {
  int64_t seq = 0;
  sync::Operation op;
  OpStatus status = OpStatus::kPending;
  std::string reason;
  int64_t server_seq = 0;  // the server's log position (0: not logged yet)
  int64_t server_ms = 0;   // when the server logged it
};

// One review state change of a report (or a consolidation of it).
struct StateEvent {
  int64_t seq = 0;         // position in this replica's log
  int64_t server_seq = 0;  // position in the server's log (0: not there yet)
  int64_t server_ms = 0;
  sync::OpId op;
  std::string author;
  sync::Hlc hlc;
  OpStatus status = OpStatus::kPending;
  std::string reason;  // why the server refused it
  sync::StateChange change;
};

struct ReplicaStatus {
  ReplicaIdentity identity;
  std::string device;
  int64_t reports = 0;
  int64_t pending_ops = 0;
  int64_t rejected_ops = 0;  // refused by the server, kept until the user acts
  int64_t open_conflicts = 0;
  std::optional<sync::Hlc> last_local_edit;
  std::string last_sync;  // empty until a server is attached
  // The id this device had before the server found it used by another copy
  // of the replica (empty: never changed), and how many waiting edits were
  // numbered afresh then.
  std::string rekeyed_from;
  int64_t rekeyed_ops = 0;
};

// What a cell address resolved to, with its value before and after an edit.
struct CellEdit {
  std::string row;
  std::string column;
  std::optional<std::string> before;
  std::string after;
  sync::OpId op;
};

// Reads a report's name as people type it, UNIT/YEAR/FORM or
// UNIT/YEAR/FORM:INSTANCE (ReportKey::parse, spaces around it ignored); a name
// that is not one is refused (kInvalidArgument) saying in Chinese what is wrong.
Result<ReportKey> parse_report_key(std::string_view text);

class Replica {
 public:
  static constexpr int kSchemaVersion = 4;

  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // Creates a replica in a new database file; refuses an existing file.
  // `vfs` selects an SQLite VFS (tests inject faults through one).
  static Result<std::unique_ptr<Replica>> create(const std::string& path,
                                                 const ReplicaIdentity& identity,
                                                 const Catalog& catalog, sync::ClockSource& clock,
                                                 sync::RandomSource& random,
                                                 const char* vfs = nullptr);
  // Opens an existing replica, upgrading its schema from any earlier version.
  // A replica written by a newer program is refused, not guessed at.
  static Result<std::unique_ptr<Replica>> open(const std::string& path, const Catalog& catalog,
                                               sync::ClockSource& clock, sync::RandomSource& random,
                                               const char* vfs = nullptr);

  const ReplicaIdentity& identity() const { return identity_; }
  // This device's id as the replica has it now (a re-key after the server
  // found an id used twice gives it a new one).
  std::string device() const;

  // Imports one report as one transaction: all its cells or none. A report that
  // is already in the replica is refused (edit it with set_cell). Reports of
  // another unit are refused unless `allow_other_units`.
  Status import_report(const Report& report, bool allow_other_units = false);
  // Imports several reports as one transaction: all of them or none (a workbook
  // is imported whole or not at all).
  Status import_reports(const std::vector<const Report*>& reports, bool allow_other_units = false);
  // What import_report would refuse the report for, without writing anything:
  // an unknown form, too many not-in-source marks, another unit's report, a
  // report already there.
  Status check_importable(const Report& report, bool allow_other_units = false) const;

  // Creates an empty report of `key`'s form (its newest version) as one
  // transaction with its operation (a report_info naming the unit and the
  // source "新建"), sent at the next sync like an import: the report then exists
  // on every device of the unit, its fixed rows those of the form. Refused, in
  // Chinese and changing nothing: a report that is already there
  // (kFailedPrecondition), an unknown form (kNotFound), a unit code that is not
  // one, a form filed once per project without an instance or one filed once a
  // year with one (kInvalidArgument), another unit's report unless the replica
  // knows that unit (kFailedPrecondition).
  Status create_report(const ReportKey& key);

  // Sets one cell. `row` is a row key or classification code; `column` a column
  // key or label. The text is read by the column's type; malformed text, an
  // unknown row or column, a deleted row or an unknown report change nothing.
  Result<CellEdit> set_cell(const ReportKey& key, std::string_view row, std::string_view column,
                            std::string_view text);

  // Adds a dynamic row to `section` (empty: the form's only dynamic section),
  // after `after_row` (empty: at the end), with the given cells. Returns the new
  // row's key.
  Result<std::string> add_row(const ReportKey& key, std::string_view section,
                              std::string_view after_row,
                              const std::vector<std::pair<std::string, std::string>>& cells);
  // Gives a dynamic row a tombstone; its values stay in the history.
  Status delete_row(const ReportKey& key, std::string_view row);

  Result<std::vector<ReportSummary>> reports() const;
  // The current values of a report, read by the template's column types.
  Result<Report> load(const ReportKey& key) const;
  Result<std::vector<Report>> load_all() const;

  // Every value the cell has had, oldest first.
  Result<std::vector<HistoryEntry>> history(const ReportKey& key, std::string_view row,
                                            std::string_view column) const;
  // Sets the cell back to the value of history entry `n`: a new edit, never a
  // rewrite of history.
  Result<CellEdit> revert(const ReportKey& key, std::string_view row, std::string_view column,
                          int n);

  Result<ReplicaStatus> status() const;

  // Moves a report along the review workflow (sync/report_state.h) as a new
  // operation, sent at the next sync where the server checks it again. Refused
  // here when the state does not allow the action; a submission also while the
  // report has rejected edits waiting (re-apply or discard them first). A
  // submission records every non-blank cell as this replica has it; the caller
  // runs the validation rules and passes the warnings in `change`.
  Result<sync::OpId> change_state(const ReportKey& key, sync::StateChange change);
  // Writes a consolidated (汇总) report of this replica's unit as one
  // transaction: the report is created if new; each cell that differs is set
  // (cells no longer in `report` are blanked), and a consolidation operation
  // records `sources` (JSON naming the reports and versions it was built from).
  // Refused while the report is submitted or approved. Returns the cells changed.
  Result<int64_t> write_consolidated(const Report& report, const std::string& sources);
  // The sources JSON of the report's latest consolidation ("" when it never was).
  Result<std::string> consolidation_sources(const ReportKey& key) const;
  // The report's state changes, oldest first (the server's order once logged),
  // rejected ones included.
  Result<std::vector<StateEvent>> state_history(const ReportKey& key) const;

  // The operations not yet acknowledged by a server, oldest first, as the sync
  // protocol sends them, at most `limit`. An import goes out as one cell edit
  // per cell it wrote, with the operation ids it reserved (its counter onwards,
  // in row and column order) and the values it imported, so a resend repeats
  // exactly the same operations.
  Result<std::vector<sync::Operation>> outbox(size_t limit) const;

  // Records the server's answers to pushed operations: acknowledged, or
  // rejected with the reason (kept, visible in `log`, until the user acts).
  // When the server already holds another change under one of this device's
  // ids (op_id_reused: the replica was copied or restored), the device takes
  // a new id and every waiting operation is numbered afresh under it, to be
  // sent again; returns true then (status() says so, for the user).
  Result<bool> acknowledge(const std::vector<sync::LogEntry>& results);

  // Applies a page of pulled log entries and stores `cursor` with them, in one
  // transaction: a crash between pages resumes from the last stored cursor.
  // Other devices' edits become this replica's values (and history); a cell
  // with a local edit still waiting for its answer keeps showing the local
  // value; conflicts the server reports are kept for `conflicts`.
  Status apply_pulled(const std::vector<sync::LogEntry>& entries, int64_t cursor);
  int64_t sync_cursor() const;

  // Records the identity a server gave in its welcome. The first time, it is
  // just stored. When the store id differs or its epoch has risen (another
  // server, or one restored from a backup), the cursor no longer means
  // anything: it goes back to 0 so everything visible is downloaded again, and
  // every operation this device made is queued again — the server answers the
  // ones it has idempotently and applies the ones its backup lost. Returns
  // whether that reset happened.
  Result<bool> note_server(const std::string& store_id, int64_t epoch);

  // The client's own settings (server address, token, sync state), kept in the
  // replica so one file holds everything about this device. A missing key
  // reads as "".
  Result<std::string> setting(std::string_view key) const;
  // Sets several settings in one transaction.
  Status set_settings(const std::vector<std::pair<std::string, std::string>>& values);
  // Starts the download over from cursor 0 (the server's scope for this user
  // changed); the outbox is untouched. Pulling what the replica already has is
  // harmless: entries apply idempotently.
  Status restart_download();
  // Changes whenever another connection (another process) commits to the
  // replica: the sync agent polls it to push a new local edit at once.
  Result<int64_t> data_version() const;

  struct OpenConflict {
    ReportKey report;
    std::string row;
    std::string column;
    sync::ServerCell cell;  // the visible value and every competing one
  };
  Result<std::vector<OpenConflict>> conflicts() const;

  // Settles an open conflict with a new edit: the value of competing operation
  // `take` ("DEVICE:COUNTER"), or `value` when `take` is empty. Refused when the
  // cell has no open conflict or `take` is not one of its values.
  Result<CellEdit> resolve(const ReportKey& key, std::string_view row, std::string_view column,
                           std::string_view value, std::string_view take);
  Result<std::vector<OpRecord>> log(bool pending_only) const;
  // Every operation on one report, in the server's order (those it has not
  // logged yet last): the report's audit trail as this replica knows it.
  Result<std::vector<OpRecord>> report_log(const ReportKey& key) const;
  // The values an import operation wrote, by (row, column).
  Result<std::vector<std::tuple<std::string, std::string, std::string>>> imported_cells(
      int64_t seq) const;
  // This device's edits the server refused, kept until the user re-applies or
  // discards each.
  Result<std::vector<OpRecord>> rejected() const;
  // Settles rejected edit `id`. Retrying re-applies a cell edit as a new edit
  // based on the cell's current version, sent at the next sync (refused while
  // the report is locked). Discarding keeps it in the log, marked, and shows
  // the cell's value from before it again (unless a later edit replaced it).
  Result<CellEdit> settle_rejected(const sync::OpId& id, bool retry);

 private:
  struct Impl;
  explicit Replica(std::unique_ptr<Impl> impl);
  // set_cell; with `settle`, an operation is written even when the value is
  // the one shown (settling a conflict by taking the visible value).
  Result<CellEdit> edit_cell(const ReportKey& key, std::string_view row, std::string_view column,
                             std::string_view text, bool settle);
  std::unique_ptr<Impl> impl_;
  ReplicaIdentity identity_;
};

}  // namespace budgetsync::client
