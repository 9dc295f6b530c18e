#include "server/sqlite_store.h"

#include <fmt/format.h>

#include <map>
#include <optional>

#include "server/credentials.h"
#include "sqlite/db.h"
#include "sync/protocol.h"
#include "sync/report_info.h"

namespace budgetsync::server {

namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS log(
  seq INTEGER PRIMARY KEY,
  op_id TEXT NOT NULL,
  report TEXT NOT NULL,
  entry TEXT NOT NULL);
-- The answer every operation id got, rejections included, for idempotency.
CREATE TABLE IF NOT EXISTS answers(op_id TEXT PRIMARY KEY, entry TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cells(
  report TEXT NOT NULL, row_key TEXT NOT NULL, col TEXT NOT NULL, cell TEXT NOT NULL,
  PRIMARY KEY(report, row_key, col)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tombstones(
  report TEXT NOT NULL, row_key TEXT NOT NULL, contender TEXT NOT NULL,
  PRIMARY KEY(report, row_key)) WITHOUT ROWID;
-- One link per logged entry: server time, the cell's value before (NULL: none,
-- or not a cell edit), and SHA-256 over the previous link and all of these.
CREATE TABLE IF NOT EXISTS audit(
  seq INTEGER PRIMARY KEY, server_ms INTEGER NOT NULL, old_value TEXT, hash TEXT NOT NULL);
-- Where each row sits in its form, as the operations that wrote it said.
CREATE TABLE IF NOT EXISTS rows(
  report TEXT NOT NULL, row_key TEXT NOT NULL, section TEXT NOT NULL, sort_key TEXT NOT NULL,
  PRIMARY KEY(report, row_key)) WITHOUT ROWID;
-- Each report's review state and the log entry that set it.
CREATE TABLE IF NOT EXISTS report_states(
  report TEXT PRIMARY KEY, state TEXT NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;
-- Each report's info as the log's report_info operations make it
-- (merge_report_info) and the newest log entry that carried one.
CREATE TABLE IF NOT EXISTS report_infos(
  report TEXT PRIMARY KEY, info TEXT NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;
)sql";

// user_version 1: report_infos is filled (a store made before it had the table
// fills it once from its log). 2: report_infos applies the log's infos through
// merge_report_info (a store of version 1 kept the newest info as it came, so
// it is filled again from its log).
constexpr int64_t kStoreVersion = 2;

// What a link's hash covers, in an order and framing that cannot be confused.
std::string audit_hash(const std::string& previous, int64_t seq, int64_t server_ms,
                       const std::optional<std::string>& old_value, std::string_view entry) {
  return sha256_hex(fmt::format("budgetsync-audit-1\n{}\n{}\n{}\n{}\n{}", previous, seq, server_ms,
                                old_value ? "=" + *old_value : std::string("-"), entry));
}

// Brings a store made by an older server up to kStoreVersion, in one
// transaction: the report_infos of a store that did not have the table yet
// come from its log.
Status upgrade(sqlite::Db& db) {
  int64_t at = 0;
  {
    auto version = db.cached("PRAGMA user_version");
    if (!version.ok()) return version.status();
    auto has = version->step();
    if (!has.ok()) return has.status();
    if (*has) at = version->col_int(0);
  }
  if (at >= kStoreVersion) return Status::Ok();
  sqlite::Transaction tx(db);
  BS_RETURN_IF_ERROR(tx.begin());
  auto entries = db.cached("SELECT entry FROM log WHERE entry LIKE '%report_info%' ORDER BY seq");
  if (!entries.ok()) return entries.status();
  auto put = db.cached(
      "INSERT INTO report_infos(report, info, seq) VALUES(?, ?, ?) "
      "ON CONFLICT(report) DO UPDATE SET info = excluded.info, seq = excluded.seq");
  if (!put.ok()) return put.status();
  std::map<std::string, std::pair<std::optional<std::string>, int64_t>> infos;  // as record_info
  for (;;) {
    auto row = entries->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    auto e = sync::decode_entry(entries->col_text(0));
    if (!e.ok()) return e.status();
    if (e->op.kind != sync::OpKind::kReportInfo || !e->op.value) continue;
    auto& [info, seq] = infos[e->op.report.to_string()];
    info = sync::merge_report_info_text(info, *e->op.value);
    seq = e->seq;
  }
  for (const auto& [report, info] : infos) {
    BS_RETURN_IF_ERROR(put->bind(1, report).bind(2, *info.first).bind(3, info.second).run());
  }
  BS_RETURN_IF_ERROR(db.exec(fmt::format("PRAGMA user_version = {}", kStoreVersion)));
  return tx.commit();
}

}  // namespace

struct SqliteServerStore::Impl {
  sqlite::Db db;
  std::unique_ptr<sqlite::Transaction> tx;
  sync::ClockSource* clock;
  std::string last_hash;  // the newest link, as committed (reloaded on rollback)

  Status load_last_hash() {
    auto st = db.cached("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1");
    if (!st.ok()) return st.status();
    auto has = st->step();
    if (!has.ok()) return has.status();
    last_hash = *has ? st->col_text(0) : "";
    return Status::Ok();
  }
};

SqliteServerStore::SqliteServerStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteServerStore::~SqliteServerStore() = default;

Result<std::unique_ptr<SqliteServerStore>> SqliteServerStore::open(const std::string& path,
                                                                   sync::ClockSource* clock,
                                                                   const char* vfs) {
  static sync::SystemClock system_clock;
  auto db = sqlite::Db::open(path, true, vfs);
  if (!db.ok()) return db.status();
  for (std::string_view pragma :
       {"PRAGMA busy_timeout=5000", "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"}) {
    BS_RETURN_IF_ERROR(db->exec(pragma));
  }
  BS_RETURN_IF_ERROR(db->exec(kSchema));
  BS_RETURN_IF_ERROR(upgrade(*db));
  auto impl = std::make_unique<Impl>(
      Impl{std::move(*db), nullptr, clock ? clock : &system_clock, std::string()});
  BS_RETURN_IF_ERROR(impl->load_last_hash());
  return std::unique_ptr<SqliteServerStore>(new SqliteServerStore(std::move(impl)));
}

Status SqliteServerStore::begin() {
  impl_->tx = std::make_unique<sqlite::Transaction>(impl_->db);
  return impl_->tx->begin();
}

Status SqliteServerStore::commit() {
  if (!impl_->tx) return Status::FailedPrecondition("commit without begin");
  Status s = impl_->tx->commit();
  impl_->tx.reset();  // a failed commit rolls back here
  if (!s.ok()) (void)impl_->load_last_hash();
  return s;
}

void SqliteServerStore::rollback() {
  impl_->tx.reset();
  (void)impl_->load_last_hash();  // the links of the batch are gone with it
}

Result<std::optional<sync::LogEntry>> SqliteServerStore::find(const sync::OpId& id) {
  auto st = impl_->db.cached("SELECT entry FROM answers WHERE op_id = ?");
  if (!st.ok()) return st.status();
  st->bind(1, id.to_string());
  auto has = st->step();
  if (!has.ok()) return has.status();
  if (!*has) return std::optional<sync::LogEntry>();
  auto e = sync::decode_entry(st->col_text(0));
  if (!e.ok()) return e.status();
  return std::optional<sync::LogEntry>(std::move(*e));
}

Result<sync::ServerCell> SqliteServerStore::cell(const ReportKey& report, const std::string& row,
                                                 const std::string& column) {
  auto st = impl_->db.cached("SELECT cell FROM cells WHERE report = ? AND row_key = ? AND col = ?");
  if (!st.ok()) return st.status();
  st->bind(1, report.to_string()).bind(2, row).bind(3, column);
  auto has = st->step();
  if (!has.ok()) return has.status();
  if (!*has) return sync::ServerCell{};
  return sync::decode_cell(st->col_text(0));
}

Result<std::optional<sync::Contender>> SqliteServerStore::tombstone(const ReportKey& report,
                                                                    const std::string& row) {
  auto st = impl_->db.cached("SELECT contender FROM tombstones WHERE report = ? AND row_key = ?");
  if (!st.ok()) return st.status();
  st->bind(1, report.to_string()).bind(2, row);
  auto has = st->step();
  if (!has.ok()) return has.status();
  if (!*has) return std::optional<sync::Contender>();
  auto c = sync::decode_contender(st->col_text(0));
  if (!c.ok()) return c.status();
  return std::optional<sync::Contender>(*c);
}

Result<int64_t> SqliteServerStore::last_seq() {
  auto st = impl_->db.cached("SELECT COALESCE(MAX(seq), 0) FROM log");
  if (!st.ok()) return st.status();
  auto has = st->step();
  if (!has.ok()) return has.status();
  return st->col_int(0);
}

Status SqliteServerStore::record(const sync::LogEntry& e) {
  const std::string text = sync::encode_entry(e);
  const std::string id = e.op.id.to_string();
  const std::string report = e.op.report.to_string();
  if (e.seq > 0) {
    auto last = last_seq();
    if (!last.ok()) return last.status();
    if (e.seq != *last + 1)
      return Status::Corruption(fmt::format("log sequence {} would leave a gap", e.seq));
    auto st = impl_->db.cached("INSERT INTO log(seq, op_id, report, entry) VALUES(?, ?, ?, ?)");
    if (!st.ok()) return st.status();
    BS_RETURN_IF_ERROR(st->bind(1, e.seq).bind(2, id).bind(3, report).bind(4, text).run());
    std::optional<std::string> old_value;
    if (e.op.kind == sync::OpKind::kSetCell) {
      auto before = impl_->db.cached(
          "SELECT json_extract(cell, '$.value') FROM cells WHERE report = ? AND row_key = ? AND "
          "col = ?");
      if (!before.ok()) return before.status();
      before->bind(1, report).bind(2, e.op.row).bind(3, e.op.column);
      auto has = before->step();
      if (!has.ok()) return has.status();
      if (*has) old_value = before->col_opt_text(0);
    }
    const int64_t server_ms = impl_->clock->now_ms();
    std::string hash = audit_hash(impl_->last_hash, e.seq, server_ms, old_value, text);
    auto link =
        impl_->db.cached("INSERT INTO audit(seq, server_ms, old_value, hash) VALUES(?, ?, ?, ?)");
    if (!link.ok()) return link.status();
    link->bind(1, e.seq).bind(2, server_ms).bind(3, old_value).bind(4, hash);
    BS_RETURN_IF_ERROR(link->run());
    impl_->last_hash = std::move(hash);
    if (e.op.kind == sync::OpKind::kSetCell) {
      auto c = impl_->db.cached(
          "INSERT INTO cells(report, row_key, col, cell) VALUES(?, ?, ?, ?) "
          "ON CONFLICT(report, row_key, col) DO UPDATE SET cell = excluded.cell");
      if (!c.ok()) return c.status();
      BS_RETURN_IF_ERROR(c->bind(1, report)
                             .bind(2, e.op.row)
                             .bind(3, e.op.column)
                             .bind(4, sync::encode_cell(e.cell))
                             .run());
    }
    if ((e.op.kind == sync::OpKind::kSetCell || e.op.kind == sync::OpKind::kAddRow) &&
        !e.op.section.empty()) {
      auto r = impl_->db.cached(
          "INSERT INTO rows(report, row_key, section, sort_key) VALUES(?, ?, ?, ?) "
          "ON CONFLICT(report, row_key) DO NOTHING");
      if (!r.ok()) return r.status();
      BS_RETURN_IF_ERROR(
          r->bind(1, report).bind(2, e.op.row).bind(3, e.op.section).bind(4, e.op.sort_key).run());
    }
    if (e.op.kind == sync::OpKind::kState) BS_RETURN_IF_ERROR(record_state(e));
    if (e.op.kind == sync::OpKind::kReportInfo) BS_RETURN_IF_ERROR(record_info(e));
    if (e.op.kind == sync::OpKind::kDeleteRow && e.row_deleted) {
      auto t = impl_->db.cached(
          "INSERT INTO tombstones(report, row_key, contender) VALUES(?, ?, ?) "
          "ON CONFLICT(report, row_key) DO NOTHING");
      if (!t.ok()) return t.status();
      const sync::Contender tomb{e.op.id, e.op.author, e.op.hlc, std::nullopt, 0};
      BS_RETURN_IF_ERROR(
          t->bind(1, report).bind(2, e.op.row).bind(3, sync::encode_contender(tomb)).run());
    }
  }
  auto a = impl_->db.cached(
      "INSERT INTO answers(op_id, entry) VALUES(?, ?) "
      "ON CONFLICT(op_id) DO UPDATE SET entry = excluded.entry");
  if (!a.ok()) return a.status();
  return a->bind(1, id).bind(2, text).run();
}

Result<std::vector<sync::LogEntry>> SqliteServerStore::read(int64_t after, size_t limit) {
  auto st = impl_->db.cached("SELECT entry FROM log WHERE seq > ? ORDER BY seq LIMIT ?");
  if (!st.ok()) return st.status();
  st->bind(1, after).bind(2, static_cast<int64_t>(limit));
  std::vector<sync::LogEntry> out;
  for (;;) {
    auto has = st->step();
    if (!has.ok()) return has.status();
    if (!*has) break;
    auto e = sync::decode_entry(st->col_text(0));
    if (!e.ok()) return e.status();
    out.push_back(std::move(*e));
  }
  return out;
}

Status SqliteServerStore::record_state(const sync::LogEntry& e) {
  auto change = sync::parse_state_change(e.op.value.value_or(""));
  if (!change.ok()) return change.status();
  auto now = report_state(e.op.report);
  if (!now.ok()) return now.status();
  auto next = sync::next_state(*now, change->action);
  if (!next.ok()) return next.status();
  auto st = impl_->db.cached(
      "INSERT INTO report_states(report, state, seq) VALUES(?, ?, ?) "
      "ON CONFLICT(report) DO UPDATE SET state = excluded.state, seq = excluded.seq");
  if (!st.ok()) return st.status();
  return st->bind(1, e.op.report.to_string()).bind(2, sync::state_name(*next)).bind(3, e.seq).run();
}

Status SqliteServerStore::record_info(const sync::LogEntry& e) {
  if (!e.op.value) return Status::Ok();
  auto now = report_info(e.op.report);
  if (!now.ok()) return now.status();
  const std::string info = sync::merge_report_info_text(*now, *e.op.value);
  auto st = impl_->db.cached(
      "INSERT INTO report_infos(report, info, seq) VALUES(?, ?, ?) "
      "ON CONFLICT(report) DO UPDATE SET info = excluded.info, seq = excluded.seq");
  if (!st.ok()) return st.status();
  return st->bind(1, e.op.report.to_string()).bind(2, info).bind(3, e.seq).run();
}

Result<std::optional<std::string>> SqliteServerStore::report_info(const ReportKey& report) {
  auto st = impl_->db.cached("SELECT info FROM report_infos WHERE report = ?");
  if (!st.ok()) return st.status();
  st->bind(1, report.to_string());
  auto has = st->step();
  if (!has.ok()) return has.status();
  if (!*has) return std::optional<std::string>();
  return std::optional<std::string>(st->col_text(0));
}

Result<sync::ReportState> SqliteServerStore::report_state(const ReportKey& report) {
  auto st = impl_->db.cached("SELECT state FROM report_states WHERE report = ?");
  if (!st.ok()) return st.status();
  st->bind(1, report.to_string());
  auto has = st->step();
  if (!has.ok()) return has.status();
  if (!*has) return sync::ReportState::kDraft;
  return sync::parse_state(st->col_text(0));
}

Result<std::vector<sync::StoredCell>> SqliteServerStore::report_cells(const ReportKey& report) {
  auto st = impl_->db.cached(
      "SELECT c.row_key, c.col, c.cell, COALESCE(r.section, ''), COALESCE(r.sort_key, '') "
      "FROM cells c LEFT JOIN rows r ON r.report = c.report AND r.row_key = c.row_key "
      "WHERE c.report = ?1 AND NOT EXISTS (SELECT 1 FROM tombstones t WHERE t.report = ?1 AND "
      "t.row_key = c.row_key) ORDER BY c.row_key, c.col");
  if (!st.ok()) return st.status();
  st->bind(1, report.to_string());
  std::vector<sync::StoredCell> out;
  for (;;) {
    auto has = st->step();
    if (!has.ok()) return has.status();
    if (!*has) break;
    auto cell = sync::decode_cell(st->col_text(2));
    if (!cell.ok()) return cell.status();
    if (!cell->value) continue;
    out.push_back(
        {st->col_text(0), st->col_text(1), st->col_text(3), st->col_text(4), std::move(*cell)});
  }
  return out;
}

Result<std::vector<ReportKey>> SqliteServerStore::unit_reports(const std::string& unit, int year) {
  // Report keys are "UNIT/YEAR/FORM[:INSTANCE]", so one unit's year is a prefix.
  auto st = impl_->db.cached(
      "SELECT DISTINCT report FROM cells WHERE report >= ?1 AND report < ?1 || x'ff' "
      "ORDER BY report");
  if (!st.ok()) return st.status();
  st->bind(1, fmt::format("{}/{}/", unit, year));
  std::vector<ReportKey> out;
  for (;;) {
    auto has = st->step();
    if (!has.ok()) return has.status();
    if (!*has) break;
    auto key = ReportKey::parse(st->col_text(0));
    if (!key.ok()) return key.status();
    out.push_back(std::move(*key));
  }
  return out;
}

Result<SqliteServerStore::AuditCheck> SqliteServerStore::verify_audit() {
  AuditCheck check;
  auto st = impl_->db.cached(
      "SELECT l.seq, l.entry, a.seq, a.server_ms, a.old_value, a.hash FROM log l "
      "LEFT JOIN audit a ON a.seq = l.seq ORDER BY l.seq");
  if (!st.ok()) return st.status();
  std::string previous;
  int64_t expected_seq = 0;
  for (;;) {
    auto has = st->step();
    if (!has.ok()) return has.status();
    if (!*has) break;
    const int64_t seq = st->col_int(0);
    if (st->col_null(2)) {
      if (check.first_seq == 0) {
        ++check.unaudited;  // logged before this server kept an audit chain
        expected_seq = seq + 1;
        continue;
      }
      check.broken_seq = seq;
      check.problem = "缺少它的哈希链接";
      return check;
    }
    if (check.first_seq == 0) check.first_seq = seq;
    if (expected_seq != 0 && seq != expected_seq) {
      check.broken_seq = expected_seq;
      check.problem = fmt::format("日志中缺少这一条（下一条是 {}）", seq);
      return check;
    }
    const std::string hash =
        audit_hash(previous, seq, st->col_int(3), st->col_opt_text(4), st->col_text(1));
    if (hash != st->col_text(5)) {
      check.broken_seq = seq;
      check.problem = "它的内容、时间、原值或位置与写入时不同";
      return check;
    }
    previous = hash;
    expected_seq = seq + 1;
    ++check.entries;
  }
  // Links past the end of the log: entries removed from its end.
  auto tail = impl_->db.cached("SELECT MIN(seq) FROM audit WHERE seq >= ?");
  if (!tail.ok()) return tail.status();
  tail->bind(1, std::max<int64_t>(expected_seq, 1));
  auto has = tail->step();
  if (!has.ok()) return has.status();
  if (*has && !tail->col_null(0)) {
    check.broken_seq = tail->col_int(0);
    check.problem = "它有哈希链接，日志中却没有这一条";
  }
  return check;
}

}  // namespace budgetsync::server
