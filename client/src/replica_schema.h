// Internal: the replica's schema and the steps that upgrade older ones.
#pragma once

#include <string_view>
#include <vector>

namespace budgetsync::client::schema {

// steps[i] upgrades a database at version i to version i + 1; version 0 is an
// empty file. The version lives in PRAGMA user_version.
inline const std::vector<std::string_view>& upgrade_steps() {
  static const std::vector<std::string_view> steps{
      // 0 -> 1: the first schema.
      R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE units(code TEXT PRIMARY KEY, name TEXT NOT NULL, parent TEXT) WITHOUT ROWID;
CREATE TABLE reports(
  id INTEGER PRIMARY KEY,
  unit TEXT NOT NULL, year INTEGER NOT NULL, form TEXT NOT NULL, instance TEXT NOT NULL,
  template_version INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'draft',
  unit_name TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '', notes TEXT NOT NULL DEFAULT '',
  UNIQUE(unit, year, form, instance));
-- Every change to the replica, local or (later) pulled; the local ones not yet
-- acknowledged by a server are the outbox (status 'pending').
CREATE TABLE ops(
  seq INTEGER PRIMARY KEY,
  device TEXT NOT NULL, counter INTEGER NOT NULL, hlc TEXT NOT NULL, author TEXT NOT NULL,
  kind TEXT NOT NULL, report_id INTEGER NOT NULL REFERENCES reports(id),
  row_key TEXT NOT NULL DEFAULT '', col TEXT NOT NULL DEFAULT '', value TEXT,
  base_version INTEGER NOT NULL DEFAULT 0,
  section TEXT NOT NULL DEFAULT '', sort_key TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'pending', reason TEXT NOT NULL DEFAULT '',
  -- How many operation ids the row stands for: an import reserves one per cell it
  -- wrote (counter .. counter + span - 1), sent as separate cell edits.
  span INTEGER NOT NULL DEFAULT 1);
CREATE TABLE rows(
  id INTEGER PRIMARY KEY,
  report_id INTEGER NOT NULL REFERENCES reports(id),
  row_key TEXT NOT NULL, section TEXT NOT NULL, sort_key TEXT NOT NULL,
  deleted_op INTEGER REFERENCES ops(seq),
  UNIQUE(report_id, row_key));
-- Column keys, numbered once, so a cell's key is two integers.
CREATE TABLE cols(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
-- The current value of each cell and the operation that wrote it.
CREATE TABLE cells(
  row_id INTEGER NOT NULL, col_id INTEGER NOT NULL,
  value TEXT NOT NULL,
  op INTEGER NOT NULL,
  version INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(row_id, col_id)) WITHOUT ROWID;
-- Open conflicts the server reported: the cell's competing values (the sync
-- protocol's cell object, as JSON), until an edit resolves them.
CREATE TABLE conflicts(
  row_id INTEGER NOT NULL, col_id INTEGER NOT NULL, cell TEXT NOT NULL,
  PRIMARY KEY(row_id, col_id)) WITHOUT ROWID;
-- Imported values a later edit replaced (values set by an operation stay in the
-- log with it). A cell's story is this, its current value and its operations.
CREATE TABLE history(
  row_id INTEGER NOT NULL, col_id INTEGER NOT NULL, op INTEGER NOT NULL,
  value TEXT,
  PRIMARY KEY(row_id, col_id, op)) WITHOUT ROWID;
)sql",
      // 1 -> 2: indexes for the lookups every pulled or acknowledged operation
      // makes; without them applying a pull scans the whole log per operation.
      R"sql(
CREATE INDEX ops_by_id ON ops(device, counter);
CREATE INDEX ops_by_cell ON ops(report_id, row_key, col);
-- Partial: the pulled operations (nearly all of a big log) cost them nothing.
CREATE INDEX ops_pending ON ops(report_id, row_key, col) WHERE status = 'pending';
CREATE INDEX ops_rejected ON ops(seq) WHERE status = 'rejected';
)sql",
      // 2 -> 3: the review workflow. Where the server put each operation in
      // its log and when (an operation's place there, not here, orders report
      // states), and a fast way to a report's state changes.
      R"sql(
ALTER TABLE ops ADD COLUMN server_seq INTEGER;
ALTER TABLE ops ADD COLUMN server_ms INTEGER;
CREATE INDEX ops_review ON ops(report_id, seq) WHERE kind IN ('state', 'consolidate');
)sql",
      // 3 -> 4: several programs write one replica (the UI, its agent, the
      // command line), so the hybrid clock is read and written in `meta`
      // inside each writing transaction, like the counter read from the log.
      R"sql(
INSERT INTO meta(key, value) SELECT 'clock', COALESCE(MAX(hlc), '') FROM ops;
)sql",
      // 4 -> 5: a report's own 金额单位 ('' = the form's) and the parts its
      // source document does not have (the import file's not_in_source marks
      // as JSON, '' = none), so cells are read and judged as the file meant.
      R"sql(
ALTER TABLE reports ADD COLUMN money_unit TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN not_in_source TEXT NOT NULL DEFAULT '';
-- An older release pulled report infos and ignored these two fields: take
-- them from the newest one it kept, so a 元 report pulled before the upgrade
-- is not read in 万元 from now on.
WITH latest AS (
  SELECT o.report_id AS id, o.value AS v FROM ops o
  WHERE o.kind = 'report_info' AND o.server_seq IS NOT NULL AND json_valid(o.value)
    AND o.server_seq = (SELECT MAX(p.server_seq) FROM ops p
                        WHERE p.report_id = o.report_id AND p.kind = 'report_info'
                          AND json_valid(p.value)))
UPDATE reports SET
  money_unit = COALESCE((SELECT CASE WHEN json_extract(v, '$.money_unit') IN ('元', '万元')
                                     THEN json_extract(v, '$.money_unit') ELSE '' END
                         FROM latest WHERE latest.id = reports.id), ''),
  not_in_source = COALESCE((SELECT CASE WHEN json_type(v, '$.not_in_source') = 'array'
                                         AND json_array_length(v, '$.not_in_source') > 0
                                        THEN json_extract(v, '$.not_in_source') ELSE '' END
                            FROM latest WHERE latest.id = reports.id), '');
)sql",
  };
  return steps;
}

}  // namespace budgetsync::client::schema
