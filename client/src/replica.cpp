#include "client/replica.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "replica_schema.h"
#include "shared/text.h"
#include "sqlite/db.h"
#include "sync/protocol.h"
#include "sync/report_info.h"
#include "sync/sort_key.h"

namespace budgetsync::client {

namespace {
constexpr std::pair<OpStatus, std::string_view> kOpStatusNames[] = {
    {OpStatus::kPending, "pending"}, {OpStatus::kAcked, "acked"},
    {OpStatus::kRemote, "remote"},   {OpStatus::kRejected, "rejected"},
    {OpStatus::kRetried, "retried"}, {OpStatus::kDiscarded, "discarded"},
};
}  // namespace

std::string_view op_status_name(OpStatus s) {
  for (const auto& [status, name] : kOpStatusNames)
    if (status == s) return name;
  return "pending";
}

Result<OpStatus> parse_op_status(std::string_view name) {
  for (const auto& [status, n] : kOpStatusNames)
    if (n == name) return status;
  return Status::Corruption(fmt::format("本地副本已损坏：操作状态“{}”无法识别", name));
}
namespace {

using budgetsync::sqlite::Db;
using budgetsync::sqlite::Stmt;
using budgetsync::sqlite::Transaction;

std::string report_label(const ReportKey& k) {
  return k.to_string();
}

// A report key read from four consecutive columns: unit, year, form, instance.
ReportKey report_key_at(const budgetsync::sqlite::StmtRef& st, int first) {
  return {st.col_text(first), static_cast<int>(st.col_int(first + 1)), st.col_text(first + 2),
          st.col_text(first + 3)};
}

}  // namespace

struct Replica::Impl {
  Db db;
  const Catalog& catalog;
  sync::ClockSource& clock_source;
  sync::RandomSource& random;
  sync::HybridClock clock;
  ReplicaIdentity identity;
  std::string device;
  std::map<std::string, int64_t, std::less<>> col_ids;  // cols table, in memory

  Status insert_imported(const Report& report);

  // Numbers every column key the catalog's forms use (once per new key), and
  // reads the numbering into memory. Keys are only ever added.
  Status load_columns() {
    std::set<std::string> wanted;
    for (const FormTemplate* f : catalog.forms()) {
      for (const auto& s : f->sections) {
        for (const auto& c : s.columns) wanted.insert(c.key);
      }
    }
    auto read_all = [&]() -> Status {
      col_ids.clear();
      BS_ASSIGN_OR_RETURN(st, db.cached("SELECT id, key FROM cols"));
      for (;;) {
        BS_ASSIGN_OR_RETURN(has, st.step());
        if (!has) break;
        col_ids.emplace(st.col_text(1), st.col_int(0));
      }
      return Status::Ok();
    };
    BS_RETURN_IF_ERROR(read_all());
    bool missing = false;
    for (const auto& k : wanted) missing = missing || !col_ids.count(k);
    if (!missing) return Status::Ok();
    Transaction tx(db);
    BS_RETURN_IF_ERROR(tx.begin());
    BS_ASSIGN_OR_RETURN(ins,
                        db.cached("INSERT INTO cols(key) VALUES(?) ON CONFLICT(key) DO NOTHING"));
    for (const auto& k : wanted) {
      if (!col_ids.count(k)) BS_RETURN_IF_ERROR(ins.bind(1, k).run());
    }
    BS_RETURN_IF_ERROR(tx.commit());
    return read_all();
  }

  Result<int64_t> col_id(std::string_view key) const {
    auto it = col_ids.find(key);
    if (it == col_ids.end()) return Status::NotFound(fmt::format("本地副本中没有栏“{}”", key));
    return it->second;
  }

  std::string_view col_key(int64_t id) const {
    for (const auto& [k, v] : col_ids) {
      if (v == id) return k;
    }
    return {};
  }

  Impl(Db d, const Catalog& c, sync::ClockSource& cs, sync::RandomSource& r)
      : db(std::move(d)), catalog(c), clock_source(cs), random(r), clock(cs) {}

  // ---- meta --------------------------------------------------------------

  Result<std::string> meta(std::string_view key) const {
    BS_ASSIGN_OR_RETURN(st, const_cast<Db&>(db).cached("SELECT value FROM meta WHERE key = ?"));
    st.bind(1, key);
    BS_ASSIGN_OR_RETURN(has, st.step());
    if (!has) return Status::Corruption(fmt::format("本地副本已损坏：缺少元数据“{}”", key));
    return st.col_text(0);
  }

  Status set_meta(std::string_view key, std::string_view value) {
    BS_ASSIGN_OR_RETURN(st, db.cached("INSERT INTO meta(key, value) VALUES(?, ?) "
                                      "ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
    return st.bind(1, key).bind(2, value).run();
  }

  // The last operation id of import `seq` the server has answered (0: none).
  Result<int64_t> import_progress(int64_t seq) const {
    BS_ASSIGN_OR_RETURN(st, const_cast<Db&>(db).cached("SELECT value FROM meta WHERE key = ?"));
    st.bind(1, fmt::format("import_progress.{}", seq));
    BS_ASSIGN_OR_RETURN(has, st.step());
    return has ? std::stoll(st.col_text(0)) : int64_t{0};
  }

  Status load_identity() {
    for (auto [key, field] :
         {std::pair{"unit", &identity.unit}, std::pair{"unit_name", &identity.unit_name},
          std::pair{"user", &identity.user}, std::pair{"device", &device}}) {
      BS_ASSIGN_OR_RETURN(v, meta(key));
      *field = v;
    }
    return load_columns();
  }

  // The id the next operation of this device gets: this device's (as the
  // replica names it now: a re-key in another process changes it) largest
  // counter in the log, plus one. Read inside the writing transaction, whose
  // write lock (BEGIN IMMEDIATE) every process takes first, so two programs
  // on one replica never hand out one id twice.
  Result<sync::OpId> next_id() {
    BS_ASSIGN_OR_RETURN(dev, meta("device"));
    device = dev;
    BS_ASSIGN_OR_RETURN(st, db.cached("SELECT counter + span - 1 FROM ops WHERE device = ? "
                                      "ORDER BY counter DESC LIMIT 1"));
    st.bind(1, device);
    BS_ASSIGN_OR_RETURN(has, st.step());
    return sync::OpId{device, (has ? st.col_int(0) : 0) + 1};
  }

  // The newest timestamp this replica has issued or received, kept in `meta`
  // and read and written inside the writing transaction (like the counter).
  Status load_clock() {
    BS_ASSIGN_OR_RETURN(st, db.cached("SELECT value FROM meta WHERE key = 'clock'"));
    BS_ASSIGN_OR_RETURN(has, st.step());
    if (!has || st.col_text(0).empty()) return Status::Ok();
    auto h = sync::Hlc::parse(st.col_text(0));
    if (!h.ok()) return Status::Corruption("本地副本已损坏：保存的时钟无法读取");
    clock.restore(std::max(*h, clock.last()));
    return Status::Ok();
  }
  Status save_clock() { return set_meta("clock", clock.last().to_string()); }

  // The next operation's id and timestamp, both from the database (see
  // next_id); the timestamp is stored with the operation that uses it.
  Result<std::pair<sync::OpId, sync::Hlc>> tick() {
    BS_ASSIGN_OR_RETURN(id, next_id());
    BS_RETURN_IF_ERROR(load_clock());
    const sync::Hlc hlc = clock.now();
    BS_RETURN_IF_ERROR(save_clock());
    return std::pair{id, hlc};
  }

  // The server holds another change under one of this device's ids (the
  // replica was copied, or restored from a backup, and both copies went on
  // editing): the device takes a new id and its waiting operations (and
  // `reused`, which may be older ones sent again) are numbered afresh under
  // it, in their order, so they reach the server as the new operations they
  // are. What the server already acknowledged keeps its id. Called inside the
  // writing transaction.
  Status rekey(const std::vector<int64_t>& reused) {
    BS_ASSIGN_OR_RETURN(old, meta("device"));
    std::string fresh = random.hex(8);
    while (fresh == old) fresh = random.hex(8);
    BS_ASSIGN_OR_RETURN(pending,
                        db.cached("SELECT seq, span, kind = 'add_row', counter, report_id, row_key "
                                  "FROM ops WHERE status = 'pending' AND (device = ? OR seq IN "
                                  "(SELECT value FROM json_each(?))) ORDER BY seq"));
    std::string list = "[";
    for (size_t i = 0; i < reused.size(); ++i) list += fmt::format("{}{}", i ? "," : "", reused[i]);
    list += "]";
    pending.bind(1, old).bind(2, list);
    struct Moving {
      int64_t seq, span;
      bool adds_row;
      int64_t counter, report_id;
      std::string row_key;
    };
    std::vector<Moving> moving;
    for (;;) {
      BS_ASSIGN_OR_RETURN(has, pending.step());
      if (!has) break;
      moving.push_back({pending.col_int(0), pending.col_int(1), pending.col_int(2) != 0,
                        pending.col_int(3), pending.col_int(4), pending.col_text(5)});
    }
    BS_ASSIGN_OR_RETURN(renumber,
                        db.cached("UPDATE ops SET device = ?, counter = ? WHERE seq = ?"));
    BS_ASSIGN_OR_RETURN(progress, db.cached("DELETE FROM meta WHERE key = ?"));
    int64_t counter = 1;
    for (const Moving& op : moving) {
      BS_RETURN_IF_ERROR(renumber.bind(1, fresh).bind(2, counter).bind(3, op.seq).run());
      BS_RETURN_IF_ERROR(progress.bind(1, fmt::format("import_progress.{}", op.seq)).run());
      // A row is named by the id of the operation that adds it (add_row), and
      // the other copy may have named one of its own rows so: the row, and
      // every waiting edit of it, takes the name of the new id.
      if (op.adds_row && op.row_key == fmt::format("{}-{}", old.substr(0, 8), op.counter)) {
        const std::string renamed = fmt::format("{}-{}", fresh.substr(0, 8), counter);
        BS_ASSIGN_OR_RETURN(
            row, db.cached("UPDATE rows SET row_key = ? WHERE report_id = ? AND row_key = ?"));
        BS_RETURN_IF_ERROR(row.bind(1, renamed).bind(2, op.report_id).bind(3, op.row_key).run());
        BS_ASSIGN_OR_RETURN(
            edits, db.cached("UPDATE ops SET row_key = ? WHERE report_id = ? AND row_key = ? AND "
                             "status = 'pending'"));
        BS_RETURN_IF_ERROR(edits.bind(1, renamed).bind(2, op.report_id).bind(3, op.row_key).run());
      }
      counter += op.span;
    }
    BS_RETURN_IF_ERROR(set_meta("device", fresh));
    BS_RETURN_IF_ERROR(set_meta("rekeyed_from", old));
    BS_RETURN_IF_ERROR(set_meta("rekeyed_ops", std::to_string(moving.size())));
    device = fresh;
    return Status::Ok();
  }

  // ---- reports and rows --------------------------------------------------

  struct ReportRef {
    int64_t id = 0;
    const FormTemplate* form = nullptr;
    sync::ReportState state = sync::ReportState::kDraft;
    MoneyUnit unit = MoneyUnit::kWanYuan;  // the report's amounts are written in
    bool own_unit = false;                 // the report names it (not the form's)
    std::string not_in_source;             // JSON marks, "" = none
  };

  Result<ReportRef> find_report(const ReportKey& key) const {
    BS_ASSIGN_OR_RETURN(st, const_cast<Db&>(db).cached(
                                "SELECT id, template_version, state, money_unit, not_in_source "
                                "FROM reports WHERE unit = ? AND year = ? AND form = ? AND "
                                "instance = ?"));
    st.bind(1, key.unit)
        .bind(2, static_cast<int64_t>(key.year))
        .bind(3, key.form)
        .bind(4, key.instance);
    BS_ASSIGN_OR_RETURN(has, st.step());
    if (!has) {
      return Status::NotFound(fmt::format(
          "本副本中没有报表 {}（用 budgetsync reports 查看已有的报表，用 budgetsync new "
          "{} 新建一张空表）",
          report_label(key), report_label(key)));
    }
    ReportRef r;
    r.id = st.col_int(0);
    r.form = catalog.form(key.form, static_cast<int>(st.col_int(1)));
    auto state = sync::parse_state(st.col_text(2));
    if (!state.ok()) return Status::Corruption("本地副本已损坏：" + state.status().message());
    r.state = *state;
    if (!r.form) {
      return Status::NotFound(
          fmt::format("报表 {} 用的是表样 {} 第 {} 版，本程序没有这一版；请升级 budgetsync",
                      report_label(key), key.form, st.col_int(1)));
    }
    r.unit = r.form->unit;
    if (const std::string unit = st.col_text(3); !unit.empty()) {
      auto u = parse_money_unit(unit);
      if (!u.ok())
        return Status::Corruption(
            fmt::format("报表 {}：保存的金额单位“{}”无法读取", report_label(key), unit));
      r.unit = *u;
      r.own_unit = true;
    }
    r.not_in_source = st.col_text(4);
    return r;
  }

  struct RowRef {
    int64_t id = 0;  // rows.id once the row exists
    std::string key;
    std::string sort;  // its sort key once it exists
    const Section* section = nullptr;
    bool exists = false;
    bool deleted = false;
  };

  // Resolves a row the way people name it: its key, or its classification code.
  Result<RowRef> resolve_row(const ReportRef& rep, const ReportKey& key,
                             std::string_view row_text) const {
    const std::string row(trim(row_text));
    RowRef r;
    r.key = row;
    {
      BS_ASSIGN_OR_RETURN(st, const_cast<Db&>(db).cached(
                                  "SELECT section, deleted_op IS NOT NULL, id, sort_key FROM rows "
                                  "WHERE report_id = ? AND row_key = ?"));
      st.bind(1, rep.id).bind(2, row);
      BS_ASSIGN_OR_RETURN(has, st.step());
      if (has) {
        r.exists = true;
        r.section = rep.form->section(st.col_text(0));
        r.deleted = st.col_int(1) != 0;
        r.id = st.col_int(2);
        r.sort = st.col_text(3);
        if (!r.section) return Status::Corruption(fmt::format("行 {} 属于表样中没有的部分", row));
        return r;
      }
    }  // the statement is lent again below, for a row named by its label
    r.section = rep.form->section_for_row(row);
    if (!r.section) {
      // Not a key or a code: the row's label, as the form prints it or the
      // report's label column names it.
      BS_ASSIGN_OR_RETURN(by_label, row_by_label(rep, key, row));
      return resolve_row(rep, key, by_label);
    }
    if (!r.section->row(row) && !r.section->code_list.empty()) {
      const CodeList* codes = catalog.code_list(r.section->code_list, key.year);
      if (codes && !codes->find(row)) {
        return Status::NotFound(fmt::format("科目编码 {} 不在 {} 年的{}（{}）中", row, key.year,
                                            codes->title(), r.section->code_list));
      }
    }
    return r;
  }

  // The key of the one row whose label, normalised (normalize_label), is the
  // text's: a fixed row of the form, a row of the report by its section's label
  // column, or a code of a section's code list by its name. When none is, a
  // fixed or added row whose label is the text and a note in brackets after it
  // (“财政拨款” for “其中：财政拨款（当年财政拨款）”). Several: refused, naming
  // them, for the user to pick one by key.
  Result<std::string> row_by_label(const ReportRef& rep, const ReportKey& key,
                                   std::string_view text) const {
    BS_ASSIGN_OR_RETURN(found, rows_labelled(rep, key, text, false));
    if (found.empty()) {
      BS_ASSIGN_OR_RETURN(noted, rows_labelled(rep, key, text, true));
      found = std::move(noted);
    }
    if (found.size() == 1) return found.begin()->first;
    if (found.empty()) {
      return Status::NotFound(
          fmt::format("报表 {} 没有“{}”这一行（不是行号、科目编码，也不是行名）；用 budgetsync "
                      "show {} 查看各行的行号和名称",
                      report_label(key), trim(text), report_label(key)));
    }
    std::string which;
    size_t listed = 0;
    for (const auto& [k, label] : found) {
      if (++listed > 12) {
        which += fmt::format(" 等 {} 行", found.size());
        break;
      }
      which += fmt::format("{}{}（{}）", which.empty() ? "" : "、", k, label);
    }
    return Status::InvalidArgument(
        fmt::format("“{}”可指 {} 行：{}；请用行号指明是哪一行", trim(text), found.size(), which));
  }

  // The rows row_by_label may mean: row key -> its label. `without_note`: a
  // label compared without a bracketed note at its end (codes are not).
  Result<std::map<std::string, std::string>> rows_labelled(const ReportRef& rep,
                                                           const ReportKey& key,
                                                           std::string_view text,
                                                           bool without_note) const {
    const std::string want = normalize_label(text);
    auto same = [&](std::string_view label) {
      const std::string have = normalize_label(label);
      if (!without_note) return have == want;
      // normalize_label made the brackets ASCII: "财政拨款(当年财政拨款)".
      const size_t open = have.rfind('(');
      return !have.empty() && have.back() == ')' && open != std::string::npos && open > 0 &&
             std::string_view(have).substr(0, open) == want;
    };
    std::map<std::string, std::string> found;  // row key -> its label
    for (const auto& sec : rep.form->sections) {
      for (const auto& def : sec.rows) {
        if (!want.empty() && same(def.label)) found.emplace(def.key, def.label);
      }
      if (without_note) continue;
      if (sec.code_list.empty() || want.empty()) continue;
      if (const CodeList* codes = catalog.code_list(sec.code_list, key.year)) {
        for (const auto& e : codes->entries()) {
          if (normalize_label(e.name) == want) found.emplace(e.code, e.name);
        }
      }
    }
    BS_ASSIGN_OR_RETURN(
        st, const_cast<Db&>(db).cached(
                "SELECT w.row_key, w.section, k.key, c.value FROM rows w JOIN cells c ON c.row_id "
                "= w.id JOIN cols k ON k.id = c.col_id WHERE w.report_id = ? AND w.deleted_op IS "
                "NULL"));
    st.bind(1, rep.id);
    for (;;) {
      BS_ASSIGN_OR_RETURN(has, st.step());
      if (!has) break;
      const Section* sec = rep.form->section(st.col_text(1));
      if (!want.empty() && sec && !sec->label_column.empty() &&
          st.col_text(2) == sec->label_column && same(st.col_text(3))) {
        found.emplace(st.col_text(0), st.col_text(3));
      }
    }
    return found;
  }

  static Result<const Column*> resolve_column(const Section& section,
                                              std::string_view column_text) {
    const std::string_view c = trim(column_text);
    if (const Column* col = section.column(c)) return col;
    for (const auto& col : section.columns) {
      if (col.label == c) return &col;
    }
    // As typed with spaces, full-width forms or the printed numbering.
    const Column* named = nullptr;
    size_t matches = 0;
    for (const auto& col : section.columns) {
      if (normalize_label(col.label) == normalize_label(c)) {
        named = &col;
        ++matches;
      }
    }
    if (matches == 1) return named;
    std::string known;
    for (const auto& col : section.columns)
      known += fmt::format("{}{}（{}）", known.empty() ? "" : "、", col.key, col.label);
    return Status::NotFound(fmt::format("表的这一部分没有“{}”栏；可用的栏：{}", c, known));
  }

  // A sort key that places a new fixed or coded row among the existing ones by
  // its template position or code; dynamic rows go where the caller says.
  Result<std::string> place_row(int64_t report_id, const Section& section, const std::string& row) {
    BS_ASSIGN_OR_RETURN(
        st, db.cached("SELECT row_key, sort_key FROM rows WHERE report_id = ? AND section = ? "
                      "ORDER BY sort_key"));
    st.bind(1, report_id).bind(2, section.key);
    auto rank = [&](const std::string& k) -> std::pair<int, std::string> {
      for (size_t i = 0; i < section.rows.size(); ++i) {
        if (section.rows[i].key == k)
          return {static_cast<int>(i) < 1 ? 0 : 2, fmt::format("{:06d}", i)};
      }
      return {1, k};  // codes sort between the first fixed row (合计) and the rest
    };
    const auto mine = rank(row);
    std::string low, high;
    for (;;) {
      BS_ASSIGN_OR_RETURN(has, st.step());
      if (!has) break;
      const std::string k = st.col_text(0);
      if (rank(k) < mine) {
        low = st.col_text(1);
      } else if (high.empty()) {
        high = st.col_text(1);
      }
    }
    return sync::sort_key_between(low, high);
  }

  Result<int64_t> insert_row(int64_t report_id, const std::string& row, const std::string& section,
                             const std::string& sort) {
    BS_ASSIGN_OR_RETURN(
        st,
        db.cached("INSERT INTO rows(report_id, row_key, section, sort_key) VALUES(?, ?, ?, ?)"));
    BS_RETURN_IF_ERROR(st.bind(1, report_id).bind(2, row).bind(3, section).bind(4, sort).run());
    return db.last_insert_rowid();
  }

  // Appends a local operation; the caller holds the write transaction.
  struct Appended {
    int64_t seq = 0;
    sync::OpId id;
  };
  Result<Appended> append_op(sync::OpKind kind, int64_t report_id, const std::string& row,
                             const std::string& col, const std::optional<std::string>& value,
                             int64_t base_version, const std::string& section = {},
                             const std::string& sort_key = {}) {
    BS_ASSIGN_OR_RETURN(next, tick());
    const auto& [id, hlc] = next;
    BS_ASSIGN_OR_RETURN(
        st,
        db.cached(
            "INSERT INTO ops(device, counter, hlc, author, kind, report_id, row_key, col, value, "
            "base_version, section, sort_key) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    st.bind(1, id.device).bind(2, id.counter).bind(3, hlc.to_string()).bind(4, identity.user);
    st.bind(5, sync::op_kind_name(kind))
        .bind(6, report_id)
        .bind(7, row)
        .bind(8, col)
        .bind(9, value);
    st.bind(10, base_version).bind(11, section).bind(12, sort_key);
    BS_RETURN_IF_ERROR(st.run());
    return Appended{db.last_insert_rowid(), id};
  }

  // Writes one cell's new value, keeping the old one in the history.
  // With `settle`, an operation is written even for the value the cell shows
  // (it settles a conflict).
  Result<CellEdit> write_cell(const ReportRef& rep, const ReportKey& key, const RowRef& row,
                              const Column& col, const std::string& text, bool settle = false) {
    CellEdit edit;
    edit.row = row.key;
    edit.column = col.key;
    edit.after = text;
    BS_ASSIGN_OR_RETURN(cid, col_id(col.key));
    BS_ASSIGN_OR_RETURN(
        cur,
        db.cached("SELECT c.value, c.op, c.version, o.kind FROM cells c JOIN ops o ON o.seq = c.op "
                  "WHERE c.row_id = ? AND c.col_id = ?"));
    cur.bind(1, row.id).bind(2, cid);
    BS_ASSIGN_OR_RETURN(has, cur.step());
    int64_t version = 0;
    if (has) {
      edit.before = cur.col_text(0);
      version = cur.col_int(2);
      if (*edit.before == text && !settle) return edit;  // unchanged: no operation
      // A value set by an operation stays in the log with it; only a value that
      // came with a whole-report import has to be kept aside before it goes.
      if (cur.col_text(3) == sync::op_kind_name(sync::OpKind::kImport)) {
        BS_ASSIGN_OR_RETURN(
            h, db.cached("INSERT INTO history(row_id, col_id, op, value) VALUES(?, ?, ?, ?)"));
        BS_RETURN_IF_ERROR(
            h.bind(1, row.id).bind(2, cid).bind(3, cur.col_int(1)).bind(4, *edit.before).run());
      }
    } else if (text.empty()) {
      return edit;  // blank stays blank
    }
    (void)key;
    BS_ASSIGN_OR_RETURN(op, append_op(sync::OpKind::kSetCell, rep.id, row.key, col.key, text,
                                      version, row.section->key, row.sort));
    BS_RETURN_IF_ERROR(put_cell(CellNow{row.id, cid, edit.before, 0, version}, text, op.seq));
    edit.op = op.id;
    return edit;
  }

  // A cell as it stands, found by its report, row and column keys.
  struct CellNow {
    int64_t row_id = 0;
    int64_t col_id = 0;
    std::optional<std::string> value;  // none: no value
    int64_t op = 0;
    int64_t version = 0;
  };

  // A row's id by its key; 0 when the replica does not have it.
  Result<int64_t> row_id(int64_t report_id, std::string_view row) {
    BS_ASSIGN_OR_RETURN(find, db.cached("SELECT id FROM rows WHERE report_id = ? AND row_key = ?"));
    find.bind(1, report_id).bind(2, row);
    BS_ASSIGN_OR_RETURN(found, find.step());
    return found ? find.col_int(0) : int64_t{0};
  }

  Result<CellNow> cell_now(int64_t report_id, const std::string& row, const std::string& column) {
    CellNow c;
    BS_ASSIGN_OR_RETURN(id, row_id(report_id, row));
    if (id == 0) return Status::NotFound(fmt::format("本地副本中没有行 {}", row));
    c.row_id = id;
    BS_ASSIGN_OR_RETURN(cid, col_id(column));
    c.col_id = cid;
    BS_ASSIGN_OR_RETURN(
        st, db.cached("SELECT value, op, version FROM cells WHERE row_id = ? AND col_id = ?"));
    st.bind(1, c.row_id).bind(2, c.col_id);
    BS_ASSIGN_OR_RETURN(has, st.step());
    if (has) {
      c.value = st.col_text(0);
      c.op = st.col_int(1);
      c.version = st.col_int(2);
    }
    return c;
  }

  Status put_cell(const CellNow& c, const std::string& value, int64_t op) {
    BS_ASSIGN_OR_RETURN(
        up, db.cached("INSERT INTO cells(row_id, col_id, value, op, version) VALUES(?, ?, ?, ?, ?) "
                      "ON CONFLICT(row_id, col_id) DO UPDATE SET value = excluded.value, "
                      "op = excluded.op"));
    return up.bind(1, c.row_id)
        .bind(2, c.col_id)
        .bind(3, value)
        .bind(4, op)
        .bind(5, c.version)
        .run();
  }

  Status drop_cell(const CellNow& c) {
    BS_ASSIGN_OR_RETURN(d, db.cached("DELETE FROM cells WHERE row_id = ? AND col_id = ?"));
    return d.bind(1, c.row_id).bind(2, c.col_id).run();
  }

  // The value a cell had before operation `seq` wrote it, and the operation
  // that wrote that: the latest other edit that stands, or the imported value.
  Result<std::optional<std::pair<std::string, int64_t>>> value_before(int64_t report_id,
                                                                      const CellNow& c,
                                                                      const std::string& row,
                                                                      const std::string& column,
                                                                      int64_t seq) {
    std::optional<std::pair<std::string, int64_t>> best;
    BS_ASSIGN_OR_RETURN(
        edit, db.cached("SELECT value, seq FROM ops WHERE report_id = ? AND row_key = ? AND "
                        "col = ? AND kind = 'set' AND status IN ('acked', 'remote', 'pending') "
                        "AND seq <> ? ORDER BY seq DESC LIMIT 1"));
    edit.bind(1, report_id).bind(2, row).bind(3, column).bind(4, seq);
    BS_ASSIGN_OR_RETURN(has_edit, edit.step());
    if (has_edit) best = std::pair{edit.col_opt_text(0).value_or(""), edit.col_int(1)};
    BS_ASSIGN_OR_RETURN(imported,
                        db.cached("SELECT value, op FROM history WHERE row_id = ? AND col_id = ? "
                                  "ORDER BY op DESC LIMIT 1"));
    imported.bind(1, c.row_id).bind(2, c.col_id);
    BS_ASSIGN_OR_RETURN(has_import, imported.step());
    if (has_import && (!best || imported.col_int(1) > best->second)) {
      best = std::pair{imported.col_opt_text(0).value_or(""), imported.col_int(1)};
    }
    return best;
  }

  Result<std::vector<OpRecord>> ops_where(std::string_view where);

  Result<sync::OpId> op_id_of(int64_t seq) const {
    BS_ASSIGN_OR_RETURN(
        st, const_cast<Db&>(db).cached("SELECT device, counter FROM ops WHERE seq = ?"));
    st.bind(1, seq);
    BS_ASSIGN_OR_RETURN(has, st.step());
    if (!has) return Status::Corruption(fmt::format("本地副本已损坏：缺少操作 {}", seq));
    return sync::OpId{st.col_text(0), st.col_int(1)};
  }

  static Result<std::string> checked_text(const Column& col, MoneyUnit unit, std::string_view text,
                                          const RowRef& row) {
    std::string t(trim(text));
    auto v = parse_cell(t, col.type, unit);
    if (!v.ok()) {
      return Status::InvalidArgument(
          fmt::format("行 {}、栏 {}（{}）：{}", row.key, col.key, col.label, v.status().message()));
    }
    // A number typed with full-width digits or punctuation is kept in ASCII,
    // and a bare 万 as the unit it means, so that every program reading the
    // replica or the server's log (earlier releases too) reads the same value.
    if (v->kind() == CellValue::Kind::kMoney || v->kind() == CellValue::Kind::kDecimal) {
      t = normalize_numeric_text(t);
      constexpr std::string_view kWan = "万";
      if (col.type == ColumnType::kAmount && t.size() > kWan.size() &&
          std::string_view(t).substr(t.size() - kWan.size()) == kWan) {
        t.resize(t.size() - kWan.size());
        if (unit != MoneyUnit::kWanYuan) t += "万元";
      }
    }
    return t;
  }

  // A report's state is where its latest state change left it: a change still
  // waiting to be sent is the latest; the others in the server's order.
  Status refresh_state(int64_t report_id) {
    BS_ASSIGN_OR_RETURN(
        st, db.cached("SELECT value FROM ops WHERE report_id = ? AND kind = 'state' AND status IN "
                      "('pending', 'acked', 'remote') ORDER BY status = 'pending' DESC, "
                      "COALESCE(server_seq, 0) DESC, seq DESC LIMIT 1"));
    st.bind(1, report_id);
    BS_ASSIGN_OR_RETURN(has, st.step());
    sync::ReportState state = sync::ReportState::kDraft;
    if (has) {
      auto change = sync::parse_state_change(st.col_opt_text(0).value_or(""));
      if (!change.ok()) return Status::Corruption("本地副本已损坏：" + change.status().message());
      state = sync::state_after(change->action);
    }
    BS_ASSIGN_OR_RETURN(up, db.cached("UPDATE reports SET state = ? WHERE id = ?"));
    return up.bind(1, sync::state_name(state)).bind(2, report_id).run();
  }

  Status check_editable(const ReportRef& rep, const ReportKey& key) const {
    if (sync::is_locked(rep.state)) {
      const bool approved = rep.state == sync::ReportState::kApproved;
      return Status::FailedPrecondition(
          fmt::format("报表 {} {}，已锁定；审核人{}后才能修改", report_label(key),
                      approved ? "已审核通过" : "已上报", approved ? "重新打开" : "退回"));
    }
    return Status::Ok();
  }
};

Replica::Replica(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  identity_ = impl_->identity;
}

std::string Replica::device() const {
  // Read each time: another program on this replica may have re-keyed it.
  auto d = impl_->meta("device");
  return d.ok() ? *d : impl_->device;
}

Replica::~Replica() = default;

namespace {

Status configure(Db& db) {
  // WAL with synchronous=FULL: a transaction whose COMMIT returned is on disk
  // even if power fails right after (NORMAL would only protect the database
  // file, not the last commits). See docs/replica.md.
  // First: switching to WAL takes a lock, and another process (a reader, or
  // one recovering the WAL of a killed writer) may hold it for a moment.
  BS_RETURN_IF_ERROR(db.exec("PRAGMA busy_timeout=5000"));
  BS_RETURN_IF_ERROR(db.exec("PRAGMA journal_mode=WAL"));
  BS_RETURN_IF_ERROR(db.exec("PRAGMA synchronous=FULL"));
  BS_RETURN_IF_ERROR(db.exec("PRAGMA foreign_keys=ON"));
  // A larger page cache keeps the cells B-tree in memory during big imports.
  BS_RETURN_IF_ERROR(db.exec("PRAGMA cache_size=-65536"));
  return Status::Ok();
}

Result<int> schema_version(Db& db) {
  BS_ASSIGN_OR_RETURN(st, db.cached("PRAGMA user_version"));
  BS_ASSIGN_OR_RETURN(has, st.step());
  return has ? static_cast<int>(st.col_int(0)) : 0;
}

// Applies every upgrade step the database has not had, each in its own
// transaction with the version bump, so a crash mid-upgrade resumes cleanly.
Status upgrade(Db& db, const std::string& path) {
  BS_ASSIGN_OR_RETURN(version, schema_version(db));
  const auto& steps = schema::upgrade_steps();
  if (version > static_cast<int>(steps.size())) {
    return Status::FailedPrecondition(fmt::format(
        "{}：这个本地副本的格式版本是 {}，比本程序支持的版本 {} 新；请改用更新版本的 budgetsync",
        path, version, steps.size()));
  }
  // The version is read again under each step's write lock: another program
  // opening the same replica may have upgraded it meanwhile.
  for (int v = version; v < static_cast<int>(steps.size());) {
    Transaction tx(db);
    BS_RETURN_IF_ERROR(tx.begin());
    BS_ASSIGN_OR_RETURN(now, schema_version(db));
    if (now >= static_cast<int>(steps.size())) break;
    BS_RETURN_IF_ERROR(db.exec(steps[static_cast<size_t>(now)]));
    BS_RETURN_IF_ERROR(db.exec(fmt::format("PRAGMA user_version = {}", now + 1)));
    BS_RETURN_IF_ERROR(tx.commit());
    v = now + 1;
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Replica>> Replica::create(const std::string& path,
                                                 const ReplicaIdentity& identity,
                                                 const Catalog& catalog, sync::ClockSource& clock,
                                                 sync::RandomSource& random, const char* vfs) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    return Status::FailedPrecondition(fmt::format("{}：这里已有本地副本，未作任何改动", path));
  }
  if (identity.unit.empty() || identity.unit.find_first_of("/: ") != std::string::npos) {
    return Status::InvalidArgument(
        fmt::format("“{}”不是单位编码（不能含“/”“:”或空格）", identity.unit));
  }
  if (identity.user.empty()) return Status::InvalidArgument("本地副本需要一个用户名（--user）");
  BS_ASSIGN_OR_RETURN(db, Db::open(path, true, vfs));
  auto cleanup = [&](Status s) {
    std::filesystem::remove(path, ec);
    std::filesystem::remove(path + "-wal", ec);
    std::filesystem::remove(path + "-shm", ec);
    return s;
  };
  if (Status s = configure(db); !s.ok()) return cleanup(s);
  if (Status s = upgrade(db, path); !s.ok()) return cleanup(s);
  auto impl = std::make_unique<Impl>(std::move(db), catalog, clock, random);
  impl->identity = identity;
  impl->device = random.hex(8);
  Transaction tx(impl->db);
  if (Status s = tx.begin(); !s.ok()) return cleanup(s);
  for (auto [k, v] : {std::pair{"unit", identity.unit}, std::pair{"unit_name", identity.unit_name},
                      std::pair{"user", identity.user}, std::pair{"device", impl->device},
                      std::pair{"sync_cursor", std::string()},
                      std::pair{"created_ms", std::to_string(clock.now_ms())}}) {
    if (Status s = impl->set_meta(k, v); !s.ok()) return cleanup(s);
  }
  {
    auto st = impl->db.cached("INSERT INTO units(code, name, parent) VALUES(?, ?, NULL)");
    if (!st.ok()) return cleanup(st.status());
    if (Status s = st->bind(1, identity.unit).bind(2, identity.unit_name).run(); !s.ok())
      return cleanup(s);
  }
  if (Status s = tx.commit(); !s.ok()) return cleanup(s);
  if (Status s = impl->load_identity(); !s.ok()) return s;
  return std::unique_ptr<Replica>(new Replica(std::move(impl)));
}

Result<std::unique_ptr<Replica>> Replica::open(const std::string& path, const Catalog& catalog,
                                               sync::ClockSource& clock, sync::RandomSource& random,
                                               const char* vfs) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status::NotFound(
        fmt::format("{}：这里没有本地副本（先用 budgetsync init --unit 单位编码 创建）", path));
  }
  BS_ASSIGN_OR_RETURN(db, Db::open(path, false, vfs));
  BS_RETURN_IF_ERROR(configure(db));
  BS_RETURN_IF_ERROR(upgrade(db, path));
  auto impl = std::make_unique<Impl>(std::move(db), catalog, clock, random);
  BS_RETURN_IF_ERROR(impl->load_identity());
  return std::unique_ptr<Replica>(new Replica(std::move(impl)));
}

Status Replica::import_report(const Report& report, bool allow_other_units) {
  return import_reports({&report}, allow_other_units);
}

Status Replica::import_reports(const std::vector<const Report*>& reports, bool allow_other_units) {
  Impl& m = *impl_;
  // Everything that can refuse a report, for every report before the first is
  // written.
  for (const Report* r : reports) {
    if (Status s = check_importable(*r, allow_other_units); !s.ok()) return s;
  }
  Transaction tx(m.db);
  BS_RETURN_IF_ERROR(tx.begin());
  for (const Report* r : reports) {
    if (Status s = m.insert_imported(*r); !s.ok()) return s;
  }
  return tx.commit();
}

Status Replica::check_importable(const Report& report, bool allow_other_units) const {
  Impl& m = *impl_;
  {
    if (!m.catalog.form(report.key.form, report.template_version))
      return Status::NotFound(fmt::format("没有表样“{}”", report.key.form));
    const std::string marks = encode_not_in_source(report.not_in_source);
    if (marks.size() > sync::kMaxNotInSource) {
      return Status::InvalidArgument(fmt::format(
          "{}：报表 {} 标明“来源中没有”的部分过多（超过 {} 字节），未导入；请按节或从某行起标明",
          report.source, report.key.to_string(), sync::kMaxNotInSource));
    }
    if (!allow_other_units && report.key.unit != m.identity.unit) {
      BS_ASSIGN_OR_RETURN(st, m.db.cached("SELECT 1 FROM units WHERE code = ?"));
      st.bind(1, report.key.unit);
      BS_ASSIGN_OR_RETURN(known, st.step());
      if (!known) {
        return Status::FailedPrecondition(
            fmt::format("报表 {} 属于单位 {}，不是本副本的单位 {}（要在这里保存其他单位的报表，"
                        "导入时加 --allow-other-units）",
                        report_label(report.key), report.key.unit, m.identity.unit));
      }
    }
  }
  BS_ASSIGN_OR_RETURN(
      exists, m.db.cached("SELECT 1 FROM reports WHERE unit = ? AND year = ? AND form = ? AND "
                          "instance = ?"));
  exists.bind(1, report.key.unit)
      .bind(2, static_cast<int64_t>(report.key.year))
      .bind(3, report.key.form);
  exists.bind(4, report.key.instance);
  BS_ASSIGN_OR_RETURN(found, exists.step());
  if (found) {
    return Status::FailedPrecondition(fmt::format(
        "报表 {} 已在本副本中，未作任何改动；用 budgetsync set 修改", report_label(report.key)));
  }
  return Status::Ok();
}

// One imported report's rows, cells and operation, inside the caller's transaction.
Status Replica::Impl::insert_imported(const Report& report) {
  Impl& m = *this;
  const FormTemplate* form = m.catalog.form(report.key.form, report.template_version);
  const std::string marks = encode_not_in_source(report.not_in_source);
  const std::string own_unit =
      report.money_unit ? std::string(unit_name(*report.money_unit)) : std::string();
  {
    BS_ASSIGN_OR_RETURN(
        exists, m.db.cached("SELECT 1 FROM reports WHERE unit = ? AND year = ? AND form = ? AND "
                            "instance = ?"));
    exists.bind(1, report.key.unit)
        .bind(2, static_cast<int64_t>(report.key.year))
        .bind(3, report.key.form);
    exists.bind(4, report.key.instance);
    BS_ASSIGN_OR_RETURN(found, exists.step());
    if (found) {
      return Status::FailedPrecondition(fmt::format(
          "报表 {} 已在本副本中，未作任何改动；用 budgetsync set 修改", report_label(report.key)));
    }
  }
  {
    BS_ASSIGN_OR_RETURN(
        st, m.db.cached("INSERT INTO units(code, name) VALUES(?, ?) ON CONFLICT(code) DO NOTHING"));
    if (Status s = st.bind(1, report.key.unit).bind(2, report.unit_name).run(); !s.ok()) return s;
  }
  BS_ASSIGN_OR_RETURN(
      ins,
      m.db.cached("INSERT INTO reports(unit, year, form, instance, template_version, unit_name, "
                  "source, money_unit, not_in_source) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  ins.bind(1, report.key.unit)
      .bind(2, static_cast<int64_t>(report.key.year))
      .bind(3, report.key.form);
  ins.bind(4, report.key.instance)
      .bind(5, static_cast<int64_t>(form->version))
      .bind(6, report.unit_name);
  ins.bind(7, report.source).bind(8, own_unit).bind(9, marks);
  if (Status s = ins.run(); !s.ok()) return s;
  const int64_t report_id = m.db.last_insert_rowid();
  auto op = m.append_op(sync::OpKind::kImport, report_id, "", "", report.source, 0);
  if (!op.ok()) return op.status();
  BS_ASSIGN_OR_RETURN(
      cell_st, m.db.cached("INSERT INTO cells(row_id, col_id, value, op) VALUES(?, ?, ?, ?)"));
  // Rows are numbered in key order and their cells written in (row, column)
  // order, so SQLite appends to its B-trees instead of splitting pages; printed
  // order lives in the sort keys.
  std::vector<size_t> order(report.rows.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return report.rows[a].key < report.rows[b].key; });
  struct Pending {
    int64_t col;
    std::string_view text;
  };
  std::vector<Pending> pending;
  int64_t written = 0;
  for (const size_t i : order) {
    const ReportRow& row = report.rows[i];
    auto row_id = m.insert_row(report_id, row.key, row.section,
                               sync::sequential_sort_key(i, report.rows.size()));
    if (!row_id.ok()) return row_id.status();
    pending.clear();
    for (const auto& [col, cell] : row.cells) {
      const std::string_view text = trim(cell.raw);
      if (text.empty()) continue;  // a blank cell has no value to keep
      auto cid = m.col_id(col);
      if (!cid.ok()) return cid.status();
      pending.push_back({*cid, text});
    }
    std::sort(pending.begin(), pending.end(),
              [](const Pending& a, const Pending& b) { return a.col < b.col; });
    for (const auto& p : pending) {
      cell_st.bind(1, *row_id).bind(2, p.col).bind_static(3, p.text).bind(4, op->seq);
      if (Status s = cell_st.run(); !s.ok()) return s;
      ++written;
    }
  }
  // The import stands for one operation id per cell it wrote and one more for
  // the report's name and source (see outbox()).
  if (written > 0) {
    BS_ASSIGN_OR_RETURN(span_st, m.db.cached("UPDATE ops SET span = ? WHERE seq = ?"));
    if (Status s = span_st.bind(1, written + 1).bind(2, op->seq).run(); !s.ok()) return s;
  }
  return Status::Ok();
}

namespace {

// Unit codes as the replica and the server name units: ASCII letters, digits,
// "-", "_" and ".", e.g. 411325-ybj.
bool is_unit_code(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

constexpr std::string_view kNewReportSource = "新建";

}  // namespace

Result<ReportKey> parse_report_key(std::string_view raw) {
  const std::string_view text = trim(raw);
  auto key = ReportKey::parse(text);
  if (key.ok()) return key;
  // Why, said again in Chinese (the shared parser's message is for files).
  std::string why;
  const size_t slashes = static_cast<size_t>(std::count(text.begin(), text.end(), '/'));
  if (slashes < 2) {
    why = "要用两个“/”隔开单位、年度和表样";
  } else {
    const size_t s1 = text.find('/');
    const size_t s2 = text.find('/', s1 + 1);
    const std::string_view year = text.substr(s1 + 1, s2 - s1 - 1);
    const std::string_view form = text.substr(s2 + 1);
    if (s1 == 0) {
      why = "缺少单位编码";
    } else if (year.size() != 4 || !std::all_of(year.begin(), year.end(),
                                                [](char c) { return c >= '0' && c <= '9'; })) {
      why = fmt::format("“{}”不是年度", year);
    } else if (form.empty() || form.front() == ':') {
      why = "缺少表样";
    } else if (form.back() == ':') {
      why = "“:”后面缺少项目编号";
    } else {
      why = "格式不对";
    }
  }
  return Status::InvalidArgument(
      fmt::format("“{}”不是报表名：{}（写作 单位/年度/表样，按项目填报的写 单位/年度/表样:项目，如 "
                  "411325-ybj/2024/final01）",
                  text, why));
}

Status Replica::create_report(const ReportKey& key) {
  Impl& m = *impl_;
  const FormTemplate* form = m.catalog.form_for_year(key.form, key.year);
  if (!form) {
    std::string known;
    for (const FormTemplate* f : m.catalog.forms())
      known += fmt::format("{}{}（{}）", known.empty() ? "" : "、", f->id, f->display_name());
    return Status::NotFound(fmt::format("没有表样“{}”。可用的表样：{}", key.form, known));
  }
  if (!is_unit_code(key.unit)) {
    return Status::InvalidArgument(
        fmt::format("“{}”不是单位编码：只能用字母、数字和“-”“_”“.”，如 411325-ybj", key.unit));
  }
  if (form->instances && key.instance.empty()) {
    return Status::InvalidArgument(
        fmt::format("{} 每个项目填一张，请在报表名后写上项目编号，如 {}/{}/{}:p01",
                    form->display_name(), key.unit, key.year, key.form));
  }
  if (!form->instances && !key.instance.empty()) {
    return Status::InvalidArgument(fmt::format("{} 每年只填一张，报表名不能带“:{}”，请写 {}/{}/{}",
                                               form->display_name(), key.instance, key.unit,
                                               key.year, key.form));
  }
  if (!key.instance.empty() && !is_unit_code(key.instance)) {
    return Status::InvalidArgument(
        fmt::format("“{}”不是项目编号：只能用字母、数字和“-”“_”“.”，如 p01", key.instance));
  }
  Transaction tx(m.db);
  BS_RETURN_IF_ERROR(tx.begin());
  std::string unit_name = m.identity.unit_name;
  if (key.unit != m.identity.unit) {
    BS_ASSIGN_OR_RETURN(st, m.db.cached("SELECT name FROM units WHERE code = ?"));
    st.bind(1, key.unit);
    BS_ASSIGN_OR_RETURN(known, st.step());
    if (!known) {
      return Status::FailedPrecondition(
          fmt::format("报表 {} 属于单位 {}，本副本是单位 {} 的，不认识该单位；请在本单位下新建",
                      report_label(key), key.unit, m.identity.unit));
    }
    unit_name = st.col_text(0);
  }
  {
    BS_ASSIGN_OR_RETURN(
        exists, m.db.cached("SELECT 1 FROM reports WHERE unit = ? AND year = ? AND form = ? AND "
                            "instance = ?"));
    exists.bind(1, key.unit).bind(2, static_cast<int64_t>(key.year)).bind(3, key.form);
    exists.bind(4, key.instance);
    BS_ASSIGN_OR_RETURN(found, exists.step());
    if (found) {
      return Status::FailedPrecondition(
          fmt::format("报表 {} 已在本副本中，未作任何改动；用 budgetsync set 填写，budgetsync show "
                      "查看",
                      report_label(key)));
    }
  }
  BS_ASSIGN_OR_RETURN(
      ins, m.db.cached("INSERT INTO reports(unit, year, form, instance, template_version, "
                       "unit_name, source) VALUES(?, ?, ?, ?, ?, ?, ?)"));
  ins.bind(1, key.unit).bind(2, static_cast<int64_t>(key.year)).bind(3, key.form);
  ins.bind(4, key.instance).bind(5, static_cast<int64_t>(form->version)).bind(6, unit_name);
  ins.bind(7, kNewReportSource);
  BS_RETURN_IF_ERROR(ins.run());
  const int64_t report_id = m.db.last_insert_rowid();
  // Like a consolidation's: other devices of the unit learn the report, its
  // unit's name and where it came from. Its fixed rows are the form's.
  const std::string info =
      sync::encode_report_info({unit_name, std::string(kNewReportSource), "", ""});
  BS_RETURN_IF_ERROR(m.append_op(sync::OpKind::kReportInfo, report_id, "", "", info, 0).status());
  return tx.commit();
}

Result<CellEdit> Replica::set_cell(const ReportKey& key, std::string_view row_text,
                                   std::string_view column, std::string_view text) {
  return edit_cell(key, row_text, column, text, false);
}

Result<CellEdit> Replica::edit_cell(const ReportKey& key, std::string_view row_text,
                                    std::string_view column, std::string_view text, bool settle) {
  Impl& m = *impl_;
  Transaction tx(m.db);
  BS_RETURN_IF_ERROR(tx.begin());
  BS_ASSIGN_OR_RETURN(rep, m.find_report(key));
  BS_RETURN_IF_ERROR(m.check_editable(rep, key));
  BS_ASSIGN_OR_RETURN(row, m.resolve_row(rep, key, row_text));
  if (row.deleted)
    return Status::FailedPrecondition(fmt::format("行 {} 已删除，不能再修改", row.key));
  if (!row.exists && row.section->dynamic && !row.section->row(row.key) &&
      row.section->code_list.empty()) {
    return Status::NotFound(fmt::format("报表 {} 没有“{}”这一行；用 budgetsync add-row 添加",
                                        report_label(key), row.key));
  }
  BS_ASSIGN_OR_RETURN(col, Impl::resolve_column(*row.section, column));
  BS_ASSIGN_OR_RETURN(checked, Impl::checked_text(*col, rep.unit, text, row));
  if (!row.exists) {
    auto sort = m.place_row(rep.id, *row.section, row.key);
    if (!sort.ok()) return sort.status();
    auto id = m.insert_row(rep.id, row.key, row.section->key, *sort);
    if (!id.ok()) return id.status();
    row.id = *id;
    row.sort = *sort;
  }
  auto edit = m.write_cell(rep, key, row, *col, checked, settle);
  if (!edit.ok()) return edit.status();
  if (Status s = tx.commit(); !s.ok()) return s;
  return edit;
}

Result<std::string> Replica::add_row(
    const ReportKey& key, std::string_view section_key, std::string_view after_row,
    const std::vector<std::pair<std::string, std::string>>& cells) {
  Impl& m = *impl_;
  Transaction tx(m.db);
  BS_RETURN_IF_ERROR(tx.begin());
  BS_ASSIGN_OR_RETURN(rep, m.find_report(key));
  BS_RETURN_IF_ERROR(m.check_editable(rep, key));
  const Section* section = nullptr;
  if (!section_key.empty()) {
    section = rep.form->section(section_key);
    if (!section || !section->dynamic) {
      std::string open;
      for (const auto& s : rep.form->sections) {
        if (s.dynamic) open += fmt::format("{}{}（{}）", open.empty() ? "" : "、", s.key, s.title);
      }
      return Status::NotFound(fmt::format("表样 {} 没有可以添加行的“{}”部分；可添加行的部分：{}",
                                          rep.form->id, section_key, open.empty() ? "无" : open));
    }
  } else {
    for (const auto& s : rep.form->sections) {
      if (!s.dynamic) continue;
      if (section) {
        return Status::InvalidArgument(
            fmt::format("表样 {} 有几个部分可以添加行，请用 --section 指明（如 --section {}）",
                        rep.form->id, section->key));
      }
      section = &s;
    }
    if (!section)
      return Status::InvalidArgument(fmt::format("表样 {} 没有可以添加的行", rep.form->id));
  }
  // Where the row goes: after `after_row`, else at the end of its section.
  std::string low, high;
  {
    BS_ASSIGN_OR_RETURN(
        st, m.db.cached("SELECT row_key, sort_key FROM rows WHERE report_id = ? AND section = ? "
                        "ORDER BY sort_key"));
    st.bind(1, rep.id).bind(2, section->key);
    bool found_after = after_row.empty();
    bool take_next = false;
    for (;;) {
      BS_ASSIGN_OR_RETURN(has, st.step());
      if (!has) break;
      if (take_next) {
        high = st.col_text(1);
        take_next = false;
        break;
      }
      if (after_row.empty()) {
        low = st.col_text(1);
      } else if (st.col_text(0) == after_row) {
        low = st.col_text(1);
        found_after = true;
        take_next = true;
      }
    }
    if (!found_after) {
      return Status::NotFound(
          fmt::format("“{}”部分没有“{}”这一行，无法加在它后面", section->key, after_row));
    }
  }
  // Validate every value before anything is written.
  Impl::RowRef row;
  row.section = section;
  std::vector<std::pair<const Column*, std::string>> checked;
  for (const auto& [c, v] : cells) {
    BS_ASSIGN_OR_RETURN(col, Impl::resolve_column(*section, c));
    row.key = "（新增行）";
    BS_ASSIGN_OR_RETURN(t, Impl::checked_text(*col, rep.unit, v, row));
    checked.emplace_back(col, t);
  }
  const std::string sort = sync::sort_key_between(low, high);
  // The row is named by the id of the operation that adds it (taken under the
  // write lock, so append_op below gets the same one).
  BS_ASSIGN_OR_RETURN(next, m.next_id());
  const std::string new_key = fmt::format("{}-{}", next.device.substr(0, 8), next.counter);
  auto op =
      m.append_op(sync::OpKind::kAddRow, rep.id, new_key, "", std::nullopt, 0, section->key, sort);
  if (!op.ok()) return op.status();
  auto new_id = m.insert_row(rep.id, new_key, section->key, sort);
  if (!new_id.ok()) return new_id.status();
  row.id = *new_id;
  row.sort = sort;
  row.key = new_key;
  row.exists = true;
  for (const auto& [col, text] : checked) {
    auto e = m.write_cell(rep, key, row, *col, text);
    if (!e.ok()) return e.status();
  }
  if (Status s = tx.commit(); !s.ok()) return s;
  return new_key;
}

Status Replica::delete_row(const ReportKey& key, std::string_view row_text) {
  Impl& m = *impl_;
  Transaction tx(m.db);
  BS_RETURN_IF_ERROR(tx.begin());
  BS_ASSIGN_OR_RETURN(rep, m.find_report(key));
  BS_RETURN_IF_ERROR(m.check_editable(rep, key));
  BS_ASSIGN_OR_RETURN(row, m.resolve_row(rep, key, row_text));
  if (!row.section->dynamic || row.section->row(row.key)) {
    return Status::FailedPrecondition(
        fmt::format("行 {} 是表样本身的行，不能删除；可以清空它的单元格", row.key));
  }
  if (!row.exists)
    return Status::NotFound(fmt::format("报表 {} 没有“{}”这一行", report_label(key), row.key));
  if (row.deleted) return Status::FailedPrecondition(fmt::format("行 {} 已经删除了", row.key));
  auto op =
      m.append_op(sync::OpKind::kDeleteRow, rep.id, row.key, "", std::nullopt, 0, row.section->key);
  if (!op.ok()) return op.status();
  BS_ASSIGN_OR_RETURN(st, m.db.cached("UPDATE rows SET deleted_op = ? WHERE id = ?"));
  if (Status s = st.bind(1, op->seq).bind(2, row.id).run(); !s.ok()) return s;
  if (Status s = tx.commit(); !s.ok()) return s;
  return Status::Ok();
}

Result<std::vector<ReportSummary>> Replica::reports() const {
  Impl& m = *impl_;
  BS_ASSIGN_OR_RETURN(
      st,
      m.db.cached(
          "SELECT r.unit, r.year, r.form, r.instance, r.unit_name, r.state, "
          "(SELECT o.hlc FROM ops o WHERE o.report_id = r.id ORDER BY o.seq DESC LIMIT 1), "
          "(SELECT o.author FROM ops o WHERE o.report_id = r.id ORDER BY o.seq DESC LIMIT 1), "
          "(SELECT COUNT(*) FROM rows w JOIN cells c ON c.row_id = w.id WHERE w.report_id = r.id), "
          "(SELECT c.value FROM rows w JOIN cells c ON c.row_id = w.id JOIN cols k ON k.id = "
          "c.col_id "
          "WHERE w.report_id = r.id AND w.row_key = 'header' AND k.key = 'name'), "
          "r.template_version, s.author, s.value, COALESCE(s.server_ms, 0) "
          "FROM reports r LEFT JOIN ops s ON s.seq = (SELECT o.seq FROM ops o WHERE o.report_id "
          "= r.id AND o.kind = 'state' AND o.status IN ('pending', 'acked', 'remote') ORDER BY "
          "o.status = 'pending' DESC, COALESCE(o.server_seq, 0) DESC, o.seq DESC LIMIT 1) "
          "ORDER BY r.unit, r.year, r.form, r.instance"));
  std::vector<ReportSummary> out;
  for (;;) {
    BS_ASSIGN_OR_RETURN(has, st.step());
    if (!has) break;
    ReportSummary s;
    s.key = report_key_at(st, 0);
    s.unit_name = st.col_text(4);
    auto state = sync::parse_state(st.col_text(5));
    if (!state.ok()) return Status::Corruption("本地副本已损坏：" + state.status().message());
    s.state = *state;
    if (auto h = st.col_opt_text(6)) {
      if (auto p = sync::Hlc::parse(*h); p.ok()) s.last_edit = *p;
    }
    s.last_edit_by = st.col_text(7);
    s.cells = st.col_int(8);
    s.name = st.col_text(9);
    const FormTemplate* f = m.catalog.form(s.key.form, static_cast<int>(st.col_int(10)));
    s.form_title = f ? f->display_name() : s.key.form;
    s.state_by = st.col_text(11);
    if (auto change = sync::parse_state_change(st.col_opt_text(12).value_or("")); change.ok())
      s.state_reason = change->reason;
    s.state_at_ms = st.col_int(13);
    out.push_back(std::move(s));
  }
  return out;
}

Result<Report> Replica::load(const ReportKey& key) const {
  Impl& m = *impl_;
  BS_ASSIGN_OR_RETURN(rep, m.find_report(key));
  Report r;
  r.key = key;
  r.template_version = rep.form->version;
  {
    BS_ASSIGN_OR_RETURN(st, m.db.cached("SELECT unit_name, source FROM reports WHERE id = ?"));
    st.bind(1, rep.id);
    BS_ASSIGN_OR_RETURN(has, st.step());
    if (has) {
      r.unit_name = st.col_text(0);
      r.source = st.col_text(1);
    }
  }
  if (rep.own_unit) r.money_unit = rep.unit;
  if (!rep.not_in_source.empty()) {
    // Marks a later template no longer reads are dropped: every cell is then
    // judged, and the report stays readable.
    if (auto marks = parse_not_in_source(rep.not_in_source, *rep.form); marks.ok())
      r.not_in_source = std::move(*marks);
  }
  std::map<std::string, size_t> section_rank;
  for (size_t i = 0; i < rep.form->sections.size(); ++i)
    section_rank[rep.form->sections[i].key] = i;
  struct RowOrder {
    size_t section;
    std::string sort;
    ReportRow row;
  };
  std::vector<RowOrder> rows;
  std::map<std::string, size_t> index;
  {
    BS_ASSIGN_OR_RETURN(
        st, m.db.cached("SELECT row_key, section, sort_key FROM rows WHERE report_id = ? AND "
                        "deleted_op IS NULL"));
    st.bind(1, rep.id);
    for (;;) {
      BS_ASSIGN_OR_RETURN(has, st.step());
      if (!has) break;
      RowOrder o{section_rank[st.col_text(1)], st.col_text(2), {}};
      o.row.key = st.col_text(0);
      o.row.section = st.col_text(1);
      index[o.row.key] = rows.size();
      rows.push_back(std::move(o));
    }
  }
  {
    BS_ASSIGN_OR_RETURN(
        st,
        m.db.cached("SELECT w.row_key, k.key, c.value FROM rows w JOIN cells c ON c.row_id = w.id "
                    "JOIN cols k ON k.id = c.col_id WHERE w.report_id = ?"));
    st.bind(1, rep.id);
    for (;;) {
      BS_ASSIGN_OR_RETURN(has, st.step());
      if (!has) break;
      auto it = index.find(st.col_text(0));
      if (it == index.end()) continue;  // a deleted row's cells
      ReportRow& row = rows[it->second].row;
      const std::string col_key = st.col_text(1);
      const Section* sec = rep.form->section(row.section);
      const Column* col = sec ? sec->column(col_key) : nullptr;
      if (!col)
        return Status::Corruption(
            fmt::format("报表 {}：保存的栏 {} 不在表样中", report_label(key), col_key));
      const std::string raw = st.col_text(2);
      auto v = parse_cell(raw, col->type, rep.unit);
      if (!v.ok())
        return Status::Corruption(
            fmt::format("报表 {}：保存的 {}:{} 的值无法读取", report_label(key), row.key, col_key));
      row.cells.insert_or_assign(col_key, ReportCell{raw, std::move(*v)});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const RowOrder& a, const RowOrder& b) {
    return std::tie(a.section, a.sort) < std::tie(b.section, b.sort);
  });
  for (auto& o : rows) r.rows.push_back(std::move(o.row));
  r.reindex();
  return r;
}

Result<std::vector<Report>> Replica::load_all() const {
  BS_ASSIGN_OR_RETURN(list, reports());
  std::vector<Report> out;
  for (const auto& s : list) {
    BS_ASSIGN_OR_RETURN(r, load(s.key));
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<HistoryEntry>> Replica::history(const ReportKey& key, std::string_view row_text,
                                                   std::string_view column) const {
  Impl& m = *impl_;
  BS_ASSIGN_OR_RETURN(rep, m.find_report(key));
  BS_ASSIGN_OR_RETURN(row, m.resolve_row(rep, key, row_text));
  BS_ASSIGN_OR_RETURN(col, Impl::resolve_column(*row.section, column));
  BS_ASSIGN_OR_RETURN(
      st,
      m.db.cached(
          "SELECT v.value, o.author, o.device, o.counter, o.kind, o.hlc, "
          "COALESCE(o.server_seq, 0), COALESCE(o.server_ms, 0) FROM ("
          "  SELECT value, op FROM history WHERE row_id = ?1 AND col_id = ?2"
          "  UNION ALL"
          "  SELECT c.value, c.op FROM cells c JOIN ops i ON i.seq = c.op AND i.kind = 'import'"
          "    WHERE c.row_id = ?1 AND c.col_id = ?2"
          "  UNION ALL"
          "  SELECT value, seq FROM ops WHERE kind = 'set' AND report_id = ?3 AND row_key = ?4 AND "
          "col = ?5 AND status NOT IN ('discarded', 'retried')"  // given up, or sent anew
          ") v JOIN ops o ON o.seq = v.op ORDER BY v.op"));
  BS_ASSIGN_OR_RETURN(cid, m.col_id(col->key));
  st.bind(1, row.id).bind(2, cid).bind(3, rep.id).bind(4, row.key).bind(5, col->key);
  std::vector<HistoryEntry> out;
  auto add = [&](std::optional<std::string> value, std::string author, std::string device,
                 int64_t counter, const std::string& kind, const std::string& hlc,
                 int64_t server_seq, int64_t server_ms) -> Status {
    HistoryEntry e;
    e.server_seq = server_seq;
    e.server_ms = server_ms;
    e.n = static_cast<int>(out.size()) + 1;
    e.value = std::move(value);
    e.author = std::move(author);
    e.device = device;
    e.op = {device, counter};
    auto k = sync::parse_op_kind(kind);
    if (!k.ok()) return k.status();
    e.kind = *k;
    auto h = sync::Hlc::parse(hlc);
    if (!h.ok()) return h.status();
    e.hlc = *h;
    out.push_back(std::move(e));
    return Status::Ok();
  };
  for (;;) {
    BS_ASSIGN_OR_RETURN(has, st.step());
    if (!has) break;
    BS_RETURN_IF_ERROR(add(st.col_opt_text(0), st.col_text(1), st.col_text(2), st.col_int(3),
                           st.col_text(4), st.col_text(5), st.col_int(6), st.col_int(7)));
  }
  if (row.deleted) {
    BS_ASSIGN_OR_RETURN(
        d, m.db.cached("SELECT o.author, o.device, o.counter, o.kind, o.hlc, "
                       "COALESCE(o.server_seq, 0), COALESCE(o.server_ms, 0) FROM rows r JOIN ops o "
                       "ON o.seq = r.deleted_op WHERE r.id = ?"));
    d.bind(1, row.id);
    BS_ASSIGN_OR_RETURN(has, d.step());
    if (has)
      BS_RETURN_IF_ERROR(add(std::nullopt, d.col_text(0), d.col_text(1), d.col_int(2),
                             d.col_text(3), d.col_text(4), d.col_int(5), d.col_int(6)));
  }
  return out;
}

Result<CellEdit> Replica::revert(const ReportKey& key, std::string_view row,
                                 std::string_view column, int n) {
  BS_ASSIGN_OR_RETURN(entries, history(key, row, column));
  if (n < 1 || n > static_cast<int>(entries.size())) {
    return Status::InvalidArgument(
        fmt::format("没有第 {} 个值（这个单元格的历史共 {} 个）", n, entries.size()));
  }
  const auto& e = entries[static_cast<size_t>(n - 1)];
  return set_cell(key, row, column, e.value.value_or(""));
}

Result<ReplicaStatus> Replica::status() const {
  Impl& m = *impl_;
  ReplicaStatus s;
  s.identity = m.identity;
  s.device = device();
  BS_ASSIGN_OR_RETURN(
      st, m.db.cached("SELECT (SELECT COUNT(*) FROM reports), (SELECT COUNT(*) FROM ops WHERE "
                      "status = 'pending'), (SELECT COUNT(*) FROM ops WHERE status = 'rejected'), "
                      "(SELECT COUNT(*) FROM conflicts), "
                      "(SELECT hlc FROM ops WHERE device = ? ORDER BY seq DESC LIMIT 1)"));
  st.bind(1, s.device);
  BS_ASSIGN_OR_RETURN(has, st.step());
  if (has) {
    s.reports = st.col_int(0);
    s.pending_ops = st.col_int(1);
    s.rejected_ops = st.col_int(2);
    s.open_conflicts = st.col_int(3);
    if (auto h = st.col_opt_text(4)) {
      if (auto p = sync::Hlc::parse(*h); p.ok()) s.last_local_edit = *p;
    }
  }
  BS_ASSIGN_OR_RETURN(cursor, m.meta("sync_cursor"));
  s.last_sync = cursor;
  if (auto from = m.meta("rekeyed_from"); from.ok()) {
    s.rekeyed_from = *from;
    BS_ASSIGN_OR_RETURN(n, m.meta("rekeyed_ops"));
    s.rekeyed_ops = std::stoll(n);
  }
  return s;
}

Result<sync::OpId> Replica::change_state(const ReportKey& key, sync::StateChange change) {
  Impl& m = *impl_;
  // Checked and written under the write lock: another program's edit cannot
  // slip between the snapshot and the submission.
  Transaction tx(m.db);
  BS_RETURN_IF_ERROR(tx.begin());
  BS_ASSIGN_OR_RETURN(rep, m.find_report(key));
  auto next = sync::next_state(rep.state, change.action);
  if (!next.ok()) {
    return Status::FailedPrecondition(
        fmt::format("报表 {}：{}", report_label(key), next.status().message()));
  }
  if (sync::needs_reason(change.action) &&
      change.reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::InvalidArgument(
        fmt::format("{}需要填写理由（--reason TEXT），写明单位人员应当怎样处理",
                    sync::action_verb(change.action)));
  }
  change.cells.clear();
  if (change.action == sync::StateAction::kSubmit) {
    BS_ASSIGN_OR_RETURN(waiting,
                        m.db.cached("SELECT COUNT(*) FROM ops WHERE report_id = ? AND status = "
                                    "'rejected' AND kind <> 'state'"));
    waiting.bind(1, rep.id);
    BS_ASSIGN_OR_RETURN(has, waiting.step());
    if (has && waiting.col_int(0) > 0) {
      return Status::FailedPrecondition(
          fmt::format("报表 {} 有 {} 条被服务器拒绝的修改；请先逐条重新应用（`budgetsync retry "
                      "OP`）或放弃（`budgetsync discard OP`）（见 `budgetsync conflicts`）",
                      report_label(key), waiting.col_int(0)));
    }
    BS_ASSIGN_OR_RETURN(
        cells, m.db.cached("SELECT w.row_key, k.key, c.value FROM rows w JOIN cells c ON c.row_id "
                           "= w.id JOIN cols k ON k.id = c.col_id WHERE w.report_id = ? AND "
                           "w.deleted_op IS NULL AND c.value <> '' ORDER BY w.row_key, k.key"));
    cells.bind(1, rep.id);
    for (;;) {
      BS_ASSIGN_OR_RETURN(more, cells.step());
      if (!more) break;
      change.cells.push_back({cells.col_text(0), cells.col_text(1), cells.col_text(2)});
    }
  } else {
    change.warnings.clear();
  }
  BS_ASSIGN_OR_RETURN(
      op, m.append_op(sync::OpKind::kState, rep.id, "", "", sync::encode_state_change(change), 0));
  BS_RETURN_IF_ERROR(m.refresh_state(rep.id));
  BS_RETURN_IF_ERROR(tx.commit());
  return op.id;
}

Result<int64_t> Replica::write_consolidated(const Report& report, const std::string& sources) {
  Impl& m = *impl_;
  if (report.key.unit != m.identity.unit) {
    return Status::FailedPrecondition(fmt::format("汇总报表只能属于本地副本的单位 {}，不能属于 {}",
                                                  m.identity.unit, report.key.unit));
  }
  const FormTemplate* form = m.catalog.form(report.key.form, report.template_version);
  if (!form) return Status::NotFound(fmt::format("没有表样 {}", report.key.form));
  Transaction tx(m.db);
  BS_RETURN_IF_ERROR(tx.begin());
  {
    BS_ASSIGN_OR_RETURN(
        ins, m.db.cached("INSERT INTO reports(unit, year, form, instance, template_version, "
                         "unit_name, source) VALUES(?, ?, ?, ?, ?, ?, '汇总') ON CONFLICT DO "
                         "NOTHING"));
    ins.bind(1, report.key.unit)
        .bind(2, static_cast<int64_t>(report.key.year))
        .bind(3, report.key.form);
    ins.bind(4, report.key.instance)
        .bind(5, static_cast<int64_t>(form->version))
        .bind(6, m.identity.unit_name);
    if (Status s = ins.run(); !s.ok()) return s;
  }
  const bool created = m.db.changes() > 0;
  auto rep = m.find_report(report.key);
  if (!rep.ok()) return rep.status();
  if (Status s = m.check_editable(*rep, report.key); !s.ok()) return s;
  // The consolidation's amounts are written in its own unit and it has every
  // part: a report there before that stated another unit or marked parts its
  // source lacked (an import) is restated — unit stated outright, since an
  // info stating none keeps the old one (merge_report_info) — so no amount is
  // read in a unit it was not written in.
  const MoneyUnit unit = report.unit_in(*form);
  const bool restate = (rep->own_unit && rep->unit != unit) || !rep->not_in_source.empty();
  if (restate) {
    BS_ASSIGN_OR_RETURN(
        st, m.db.cached("UPDATE reports SET money_unit = ?, not_in_source = '' WHERE id = ?"));
    BS_RETURN_IF_ERROR(st.bind(1, std::string(unit_name(unit))).bind(2, rep->id).run());
    rep->own_unit = true;
    rep->unit = unit;
    rep->not_in_source.clear();
  }
  if (created || restate) {
    // Other devices of the unit learn its name, that it is a consolidation,
    // and the unit its cells are written in, stated outright.
    const std::string info =
        sync::encode_report_info({m.identity.unit_name, "汇总", std::string(unit_name(unit)), ""});
    if (Status s = m.append_op(sync::OpKind::kReportInfo, rep->id, "", "", info, 0).status();
        !s.ok())
      return s;
  }
  // Every cell it has now, so the ones the new consolidation lacks are blanked.
  std::set<std::pair<std::string, std::string>> stale;
  {
    BS_ASSIGN_OR_RETURN(
        st, m.db.cached("SELECT w.row_key, k.key FROM rows w JOIN cells c ON c.row_id = w.id "
                        "JOIN cols k ON k.id = c.col_id WHERE w.report_id = ? AND c.value <> ''"));
    st.bind(1, rep->id);
    for (;;) {
      BS_ASSIGN_OR_RETURN(has, st.step());
      if (!has) break;
      stale.insert({st.col_text(0), st.col_text(1)});
    }
  }
  int64_t changed = 0;
  auto write = [&](const std::string& row_key, const std::string& col_key,
                   const std::string& text) -> Status {
    BS_ASSIGN_OR_RETURN(row, m.resolve_row(*rep, report.key, row_key));
    if (!row.exists) {
      BS_ASSIGN_OR_RETURN(sort, m.place_row(rep->id, *row.section, row.key));
      BS_ASSIGN_OR_RETURN(id, m.insert_row(rep->id, row.key, row.section->key, sort));
      row.id = id;
      row.sort = sort;
    }
    BS_ASSIGN_OR_RETURN(col, Impl::resolve_column(*row.section, col_key));
    BS_ASSIGN_OR_RETURN(edit, m.write_cell(*rep, report.key, row, *col, text));
    if (edit.before.value_or("") != edit.after) ++changed;
    return Status::Ok();
  };
  for (const auto& row : report.rows) {
    for (const auto& [col, cell] : row.cells) {
      stale.erase({row.key, col});
      if (Status s = write(row.key, col, cell.raw); !s.ok()) return s;
    }
  }
  for (const auto& [row, col] : stale) {
    if (Status s = write(row, col, ""); !s.ok()) return s;
  }
  if (Status s = m.append_op(sync::OpKind::kConsolidate, rep->id, "", "", sources, 0).status();
      !s.ok())
    return s;
  if (Status s = tx.commit(); !s.ok()) return s;
  return changed;
}

Result<std::string> Replica::consolidation_sources(const ReportKey& key) const {
  Impl& m = *impl_;
  BS_ASSIGN_OR_RETURN(rep, m.find_report(key));
  BS_ASSIGN_OR_RETURN(
      st, m.db.cached("SELECT value FROM ops WHERE report_id = ? AND kind = 'consolidate' AND "
                      "status IN ('pending', 'acked', 'remote') ORDER BY status = 'pending' DESC, "
                      "COALESCE(server_seq, 0) DESC, seq DESC LIMIT 1"));
  st.bind(1, rep.id);
  BS_ASSIGN_OR_RETURN(has, st.step());
  return has ? st.col_opt_text(0).value_or("") : std::string();
}

Result<std::vector<StateEvent>> Replica::state_history(const ReportKey& key) const {
  Impl& m = *impl_;
  BS_ASSIGN_OR_RETURN(rep, m.find_report(key));
  BS_ASSIGN_OR_RETURN(
      st, m.db.cached("SELECT seq, COALESCE(server_seq, 0), COALESCE(server_ms, 0), device, "
                      "counter, author, hlc, status, reason, value FROM ops WHERE report_id = ? "
                      "AND kind = 'state' ORDER BY server_seq IS NULL, server_seq, seq"));
  st.bind(1, rep.id);
  std::vector<StateEvent> out;
  for (;;) {
    BS_ASSIGN_OR_RETURN(has, st.step());
    if (!has) break;
    StateEvent e;
    e.seq = st.col_int(0);
    e.server_seq = st.col_int(1);
    e.server_ms = st.col_int(2);
    e.op = {st.col_text(3), st.col_int(4)};
    e.author = st.col_text(5);
    auto h = sync::Hlc::parse(st.col_text(6));
    if (!h.ok()) return h.status();
    e.hlc = *h;
    auto status = parse_op_status(st.col_text(7));
    if (!status.ok()) return status.status();
    e.status = *status;
    e.reason = st.col_text(8);
    auto change = sync::parse_state_change(st.col_opt_text(9).value_or(""));
    if (!change.ok()) return Status::Corruption("本地副本已损坏：" + change.status().message());
    e.change = std::move(*change);
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<OpRecord>> Replica::log(bool pending_only) const {
  return impl_->ops_where(pending_only ? "WHERE o.status = 'pending'" : "");
}

Result<std::vector<OpRecord>> Replica::report_log(const ReportKey& key) const {
  BS_ASSIGN_OR_RETURN(rep, impl_->find_report(key));
  BS_ASSIGN_OR_RETURN(out, impl_->ops_where(fmt::format("WHERE o.report_id = {}", rep.id)));
  std::stable_sort(out.begin(), out.end(), [](const OpRecord& a, const OpRecord& b) {
    return std::pair{a.server_seq == 0, a.server_seq} < std::pair{b.server_seq == 0, b.server_seq};
  });
  return out;
}

Result<std::vector<std::tuple<std::string, std::string, std::string>>> Replica::imported_cells(
    int64_t seq) const {
  BS_ASSIGN_OR_RETURN(
      st, impl_->db.cached("SELECT w.row_key, k.key, v.value FROM ("
                           "  SELECT row_id, col_id, value FROM cells WHERE op = ?1"
                           "  UNION ALL SELECT row_id, col_id, value FROM history WHERE op = ?1) v "
                           "JOIN rows w ON w.id = v.row_id JOIN cols k ON k.id = v.col_id "
                           "ORDER BY w.row_key, k.key"));
  st.bind(1, seq);
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  for (;;) {
    BS_ASSIGN_OR_RETURN(has, st.step());
    if (!has) break;
    out.emplace_back(st.col_text(0), st.col_text(1), st.col_opt_text(2).value_or(""));
  }
  return out;
}

Result<std::vector<OpRecord>> Replica::rejected() const {
  return impl_->ops_where("WHERE o.status = 'rejected'");
}

Result<std::vector<OpRecord>> Replica::Impl::ops_where(std::string_view where) {
  Impl& m = *this;
  BS_ASSIGN_OR_RETURN(
      st,
      m.db.cached(fmt::format(
          "SELECT o.seq, o.device, o.counter, o.hlc, o.author, o.kind, r.unit, r.year, r.form, "
          "r.instance, o.row_key, o.col, o.value, o.base_version, o.section, o.sort_key, o.status, "
          "o.reason, COALESCE(o.server_seq, 0), COALESCE(o.server_ms, 0) FROM ops o JOIN reports "
          "r ON r.id = o.report_id {} ORDER BY o.seq",
          where)));
  std::vector<OpRecord> out;
  for (;;) {
    BS_ASSIGN_OR_RETURN(has, st.step());
    if (!has) break;
    OpRecord rec;
    rec.seq = st.col_int(0);
    rec.op.id = {st.col_text(1), st.col_int(2)};
    auto h = sync::Hlc::parse(st.col_text(3));
    if (!h.ok()) return h.status();
    rec.op.hlc = *h;
    rec.op.author = st.col_text(4);
    auto k = sync::parse_op_kind(st.col_text(5));
    if (!k.ok()) return k.status();
    rec.op.kind = *k;
    rec.op.report = report_key_at(st, 6);
    rec.op.row = st.col_text(10);
    rec.op.column = st.col_text(11);
    rec.op.value = st.col_opt_text(12);
    rec.op.base_version = st.col_int(13);
    rec.op.section = st.col_text(14);
    rec.op.sort_key = st.col_text(15);
    auto status = parse_op_status(st.col_text(16));
    if (!status.ok()) return status.status();
    rec.status = *status;
    rec.reason = st.col_text(17);
    rec.server_seq = st.col_int(18);
    rec.server_ms = st.col_int(19);
    out.push_back(std::move(rec));
  }
  return out;
}

}  // namespace budgetsync::client

namespace budgetsync::client {

Result<std::vector<sync::Operation>> Replica::outbox(size_t limit) const {
  Impl& m = *impl_;
  BS_ASSIGN_OR_RETURN(
      st, m.db.cached("SELECT o.seq, o.device, o.counter, o.hlc, o.author, o.kind, r.unit, r.year, "
                      "r.form, r.instance, o.row_key, o.col, o.value, o.base_version, o.section, "
                      "o.sort_key, o.span, r.unit_name, r.source, r.money_unit, r.not_in_source "
                      "FROM ops o JOIN reports r ON "
                      "r.id = o.report_id WHERE o.status = 'pending' ORDER BY o.seq"));
  std::vector<sync::Operation> out;
  struct ImportRef {
    size_t position;
    int64_t seq;
    int64_t span;
    sync::Operation base;
    sync::ReportInfo info;
  };
  std::vector<ImportRef> imports;
  for (;;) {
    if (out.size() >= limit) break;
    BS_ASSIGN_OR_RETURN(has, st.step());
    if (!has) break;
    sync::Operation op;
    op.id = {st.col_text(1), st.col_int(2)};
    auto hlc = sync::Hlc::parse(st.col_text(3));
    if (!hlc.ok()) return hlc.status();
    op.hlc = *hlc;
    op.author = st.col_text(4);
    auto kind = sync::parse_op_kind(st.col_text(5));
    if (!kind.ok()) return kind.status();
    op.kind = *kind;
    op.report = report_key_at(st, 6);
    op.row = st.col_text(10);
    op.column = st.col_text(11);
    op.value = st.col_opt_text(12);
    op.base_version = st.col_int(13);
    op.section = st.col_text(14);
    op.sort_key = st.col_text(15);
    if (op.kind == sync::OpKind::kImport) {
      imports.push_back({out.size(),
                         st.col_int(0),
                         st.col_int(16),
                         op,
                         {st.col_text(17), st.col_text(18), st.col_text(19), st.col_text(20)}});
      out.push_back(op);  // placeholder, replaced by its cells below
    } else {
      out.push_back(std::move(op));
    }
  }
  // Expand imports, last first so earlier positions stay valid.
  for (auto it = imports.rbegin(); it != imports.rend(); ++it) {
    BS_ASSIGN_OR_RETURN(
        cells, m.db.cached("SELECT w.row_key, k.key, v.value, w.section, w.sort_key FROM ("
                           "  SELECT row_id, col_id, value FROM cells WHERE op = ?1"
                           "  UNION ALL SELECT row_id, col_id, value FROM history WHERE op = ?1) v "
                           "JOIN rows w ON w.id = v.row_id JOIN cols k ON k.id = v.col_id "
                           "ORDER BY w.row_key, k.key"));
    cells.bind(1, it->seq);
    // Cells of a large import the server already answered (a batch limit
    // split it) are not sent again.
    BS_ASSIGN_OR_RETURN(progress, m.import_progress(it->seq));
    std::vector<sync::Operation> expanded;
    int64_t counter = it->base.id.counter;
    for (;; ++counter) {
      BS_ASSIGN_OR_RETURN(has, cells.step());
      if (!has) break;
      if (counter <= progress) continue;
      sync::Operation op = it->base;
      op.kind = sync::OpKind::kSetCell;
      op.id.counter = counter;
      op.row = cells.col_text(0);
      op.column = cells.col_text(1);
      op.value = cells.col_text(2);
      op.section = cells.col_text(3);
      op.sort_key = cells.col_text(4);
      op.base_version = 0;
      expanded.push_back(std::move(op));
    }
    // The id after the cells, where the import reserved one (imports made
    // before report_info existed did not), carries the report's name and source.
    if (counter <= it->base.id.counter + it->span - 1 && counter > progress) {
      sync::Operation op = it->base;
      op.kind = sync::OpKind::kReportInfo;
      op.id.counter = counter;
      // Its cells are written in a unit, so it states that unit outright (an
      // info stating none keeps the unit the report has: merge_report_info).
      sync::ReportInfo info = it->info;
      if (info.money_unit.empty()) {
        if (const FormTemplate* f = m.catalog.form_for_year(op.report.form, op.report.year))
          info.money_unit = std::string(unit_name(f->unit));
      }
      op.value = sync::encode_report_info(info);
      op.base_version = 0;
      expanded.push_back(std::move(op));
    }
    out.erase(out.begin() + static_cast<std::ptrdiff_t>(it->position));
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(it->position), expanded.begin(),
               expanded.end());
  }
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace budgetsync::client

namespace budgetsync::client {

namespace {

// The local operation an id belongs to: itself, or the import whose reserved
// range holds it. A device's ranges never overlap, so only the one starting
// last at or before the id can hold it: one index probe, not a scan.
Result<std::optional<std::pair<int64_t, int64_t>>> own_op(budgetsync::sqlite::Db& db,
                                                          const sync::OpId& id) {
  BS_ASSIGN_OR_RETURN(
      st, db.cached("SELECT seq, last FROM (SELECT seq, counter + span - 1 AS last FROM ops "
                    "WHERE device = ?1 AND counter <= ?2 ORDER BY counter DESC, seq DESC LIMIT 1) "
                    "WHERE last >= ?2"));
  st.bind(1, id.device).bind(2, id.counter);
  BS_ASSIGN_OR_RETURN(has, st.step());
  if (!has) return std::optional<std::pair<int64_t, int64_t>>();
  return std::optional<std::pair<int64_t, int64_t>>(std::pair{st.col_int(0), st.col_int(1)});
}

// The local operation a pulled entry is, when it is this device's own: an
// operation this device logged or sent (own_op) — unless it still waits for its
// answer and is another change than the entry (a copy of this replica used the
// id first; this one's goes again under a new id). Such an entry is another
// device's operation.
Result<std::optional<std::pair<int64_t, int64_t>>> pulled_own_op(budgetsync::sqlite::Db& db,
                                                                 const sync::Operation& op) {
  BS_ASSIGN_OR_RETURN(mine, own_op(db, op.id));
  if (!mine) return mine;
  BS_ASSIGN_OR_RETURN(
      st, db.cached("SELECT status = 'pending' AND span = 1 AND NOT (kind = ? AND row_key = ? AND "
                    "col = ? AND value IS ?) FROM ops WHERE seq = ?"));
  st.bind(1, sync::op_kind_name(op.kind)).bind(2, op.row).bind(3, op.column).bind(4, op.value);
  st.bind(5, mine->first);
  BS_ASSIGN_OR_RETURN(has, st.step());
  if (has && st.col_int(0) != 0) return std::optional<std::pair<int64_t, int64_t>>();
  return mine;
}

// The local operation a server answer is for. Usually own_op; but where a
// program of an older release gave one id to two operations, the one still
// pending with the answered content is the one the answer is for.
Result<std::optional<std::pair<int64_t, int64_t>>> answered_op(budgetsync::sqlite::Db& db,
                                                               const sync::Operation& op) {
  BS_ASSIGN_OR_RETURN(
      st, db.cached("SELECT seq, counter + span - 1, status = 'pending' AND span = 1 AND kind = ?3 "
                    "AND row_key = ?4 AND col = ?5 AND value IS ?6 FROM ops WHERE device = ?1 AND "
                    "counter = ?2 AND status <> 'remote' ORDER BY seq"));
  st.bind(1, op.id.device).bind(2, op.id.counter).bind(3, sync::op_kind_name(op.kind));
  st.bind(4, op.row).bind(5, op.column).bind(6, op.value);
  std::optional<std::pair<int64_t, int64_t>> first;
  for (;;) {
    BS_ASSIGN_OR_RETURN(has, st.step());
    if (!has) break;
    const std::pair<int64_t, int64_t> found{st.col_int(0), st.col_int(1)};
    if (st.col_int(2) != 0) return std::optional(found);
    if (!first) first = found;
  }
  if (first) return first;
  return own_op(db, op.id);
}

}  // namespace

Result<bool> Replica::acknowledge(const std::vector<sync::LogEntry>& results) {
  Impl& m = *impl_;
  Transaction tx(m.db);
  BS_RETURN_IF_ERROR(tx.begin());
  // Operations whose id the server knows for another change (or that came
  // after such a one): they stay pending, under a new id (below), whatever the
  // server answered for other ids they hold — an import is sent again whole.
  std::vector<int64_t> reused;
  std::vector<std::optional<std::pair<int64_t, int64_t>>> local;
  local.reserve(results.size());
  for (const auto& r : results) {
    BS_ASSIGN_OR_RETURN(mine, answered_op(m.db, r.op));
    local.push_back(mine);
    if (mine && r.outcome == sync::Outcome::kRejected && r.code == sync::RejectCode::kOpIdReused &&
        std::find(reused.begin(), reused.end(), mine->first) == reused.end())
      reused.push_back(mine->first);
  }
  for (size_t i = 0; i < results.size(); ++i) {
    const sync::LogEntry& r = results[i];
    if (!local[i]) continue;
    const auto [seq, last_id] = *local[i];
    if (std::find(reused.begin(), reused.end(), seq) != reused.end()) {
      continue;
    } else if (r.outcome == sync::Outcome::kRejected) {
      BS_ASSIGN_OR_RETURN(
          st, m.db.cached("UPDATE ops SET status = 'rejected', reason = ? WHERE seq = ?"));
      BS_RETURN_IF_ERROR(st.bind(1, r.reason).bind(2, seq).run());
      if (r.op.kind == sync::OpKind::kState) {
        // A refused submission or review step leaves the report where it was.
        BS_ASSIGN_OR_RETURN(rep, m.find_report(r.op.report));
        BS_RETURN_IF_ERROR(m.refresh_state(rep.id));
      }
    } else if (r.op.id.counter == last_id) {
      // The last id an import reserved answers for the whole import.
      BS_ASSIGN_OR_RETURN(
          st, m.db.cached("UPDATE ops SET status = 'acked', server_seq = ?, server_ms = ? WHERE "
                          "seq = ? AND status = 'pending'"));
      BS_RETURN_IF_ERROR(st.bind(1, r.seq).bind(2, r.server_ms).bind(3, seq).run());
      BS_ASSIGN_OR_RETURN(del, m.db.cached("DELETE FROM meta WHERE key = ?"));
      BS_RETURN_IF_ERROR(del.bind(1, fmt::format("import_progress.{}", seq)).run());
    } else {
      // Part of an import: remember how far the server has answered it.
      BS_ASSIGN_OR_RETURN(progress, m.import_progress(seq));
      if (r.op.id.counter > progress) {
        BS_RETURN_IF_ERROR(
            m.set_meta(fmt::format("import_progress.{}", seq), std::to_string(r.op.id.counter)));
      }
    }
  }
  if (!reused.empty()) BS_RETURN_IF_ERROR(m.rekey(reused));
  BS_RETURN_IF_ERROR(tx.commit());
  return !reused.empty();
}

int64_t Replica::sync_cursor() const {
  auto c = impl_->meta("sync_cursor");
  return c.ok() && !c->empty() ? std::stoll(*c) : 0;
}

Status Replica::apply_pulled(const std::vector<sync::LogEntry>& entries, int64_t cursor) {
  Impl& m = *impl_;
  Transaction tx(m.db);
  BS_RETURN_IF_ERROR(tx.begin());
  // Other devices' timestamps move this replica's clock on (stored with the
  // page), so a later local edit orders after everything seen.
  BS_RETURN_IF_ERROR(m.load_clock());
  // A batch names few reports and rows many times: each is looked up once.
  std::map<ReportKey, Impl::ReportRef> reports;
  std::map<std::pair<int64_t, std::string>, int64_t> row_ids;
  // Probes that cannot match are skipped: a replica with nothing pending (a
  // first download, a reviewer) has no local edit to keep showing, and one
  // with no open conflict has none to close.
  bool any_pending = false;
  bool any_conflict = false;
  {
    BS_ASSIGN_OR_RETURN(st,
                        m.db.cached("SELECT EXISTS(SELECT 1 FROM ops WHERE status = 'pending'), "
                                    "EXISTS(SELECT 1 FROM conflicts)"));
    BS_ASSIGN_OR_RETURN(has, st.step());
    if (has) {
      any_pending = st.col_int(0) != 0;
      any_conflict = st.col_int(1) != 0;
    }
  }
  for (const auto& e : entries) {
    m.clock.receive(e.op.hlc);
    // The report, created on first sight from another device.
    const FormTemplate* form = m.catalog.form_for_year(e.op.report.form, e.op.report.year);
    if (!form) {
      return (Status::NotFound(
          fmt::format("取回了表样 {} 的操作，但本程序没有这张表样", e.op.report.form)));
    }
    auto known = reports.find(e.op.report);
    if (known == reports.end()) {
      BS_ASSIGN_OR_RETURN(
          ins, m.db.cached("INSERT INTO reports(unit, year, form, instance, template_version) "
                           "VALUES(?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"));
      ins.bind(1, e.op.report.unit)
          .bind(2, static_cast<int64_t>(e.op.report.year))
          .bind(3, e.op.report.form);
      ins.bind(4, e.op.report.instance).bind(5, static_cast<int64_t>(form->version));
      if (Status s = ins.run(); !s.ok()) return s;
      auto found = m.find_report(e.op.report);
      if (!found.ok()) return found.status();
      known = reports.emplace(e.op.report, std::move(*found)).first;
    }
    const Impl::ReportRef& rep = known->second;
    BS_ASSIGN_OR_RETURN(mine, pulled_own_op(m.db, e.op));
    int64_t op_seq = mine ? mine->first : 0;
    if (!mine) {
      // Another device's operation: kept in the log so the history shows it.
      BS_ASSIGN_OR_RETURN(
          st,
          m.db.cached(
              "INSERT INTO ops(device, counter, hlc, author, kind, report_id, row_key, col, value, "
              "base_version, section, sort_key, status, server_seq, server_ms) VALUES(?, ?, ?, ?, "
              "?, ?, ?, ?, ?, ?, ?, ?, 'remote', ?, ?)"));
      st.bind(1, e.op.id.device)
          .bind(2, e.op.id.counter)
          .bind(3, e.op.hlc.to_string())
          .bind(4, e.op.author);
      st.bind(5, sync::op_kind_name(e.op.kind))
          .bind(6, rep.id)
          .bind(7, e.op.row)
          .bind(8, e.op.column);
      st.bind(9, e.op.value)
          .bind(10, e.op.base_version)
          .bind(11, e.op.section)
          .bind(12, e.op.sort_key);
      st.bind(13, e.seq).bind(14, e.server_ms);
      if (Status s = st.run(); !s.ok()) return s;
      op_seq = m.db.last_insert_rowid();
    } else if (e.op.kind == sync::OpKind::kState || e.op.kind == sync::OpKind::kConsolidate) {
      // This device's own review step: where the server put it orders states.
      BS_ASSIGN_OR_RETURN(
          st, m.db.cached("UPDATE ops SET server_seq = ?, server_ms = ? WHERE seq = ?"));
      if (Status s = st.bind(1, e.seq).bind(2, e.server_ms).bind(3, op_seq).run(); !s.ok())
        return s;
    }
    if (e.op.kind == sync::OpKind::kState) {
      if (Status s = m.refresh_state(rep.id); !s.ok()) return s;
      continue;
    }
    if (e.op.kind == sync::OpKind::kReportInfo) {
      // The server refuses malformed ones, so one that does not parse is not
      // applied (and never stops the download).
      auto info = sync::parse_report_info(e.op.value.value_or(""));
      if (e.outcome != sync::Outcome::kRejected && info.ok()) {
        // A report that states its unit keeps it unless another is stated
        // (merge_report_info). Marks this program's form cannot read are not
        // kept (the report keeps the ones it had): one bad operation never
        // makes a report unreadable.
        // What the report had: none when it was made here on first sight of
        // another device's operation and no info has reached it yet.
        std::optional<sync::ReportInfo> had;
        {
          BS_ASSIGN_OR_RETURN(
              now, m.db.cached("SELECT COALESCE(unit_name, ''), COALESCE(source, '') FROM reports "
                               "WHERE id = ?"));
          now.bind(1, rep.id);
          BS_ASSIGN_OR_RETURN(found, now.step());
          if (found && (!now.col_text(0).empty() || !now.col_text(1).empty() || rep.own_unit ||
                        !rep.not_in_source.empty())) {
            had = sync::ReportInfo{now.col_text(0), now.col_text(1),
                                   rep.own_unit ? std::string(unit_name(rep.unit)) : "",
                                   rep.not_in_source};
          }
        }
        info = sync::merge_report_info(had, std::move(*info));
        std::string marks = info->not_in_source;
        if (!marks.empty() && !parse_not_in_source(marks, *rep.form).ok())
          marks = rep.not_in_source;
        // The form's own unit is kept as "" (the form's), as an import keeps it.
        if (info->money_unit == unit_name(rep.form->unit)) info->money_unit.clear();
        BS_ASSIGN_OR_RETURN(st, m.db.cached("UPDATE reports SET unit_name = ?, source = ?, "
                                            "money_unit = ?, not_in_source = ? WHERE id = ?"));
        st.bind(1, info->unit_name).bind(2, info->source).bind(3, info->money_unit);
        BS_RETURN_IF_ERROR(st.bind(4, marks).bind(5, rep.id).run());
        BS_ASSIGN_OR_RETURN(
            unit, m.db.cached("INSERT INTO units(code, name) VALUES(?, ?) ON CONFLICT DO NOTHING"));
        BS_RETURN_IF_ERROR(unit.bind(1, e.op.report.unit).bind(2, info->unit_name).run());
        reports.erase(known);  // its unit and marks are read again when next needed
      }
      continue;
    }
    if (e.op.kind == sync::OpKind::kImport || e.op.kind == sync::OpKind::kConsolidate) continue;
    // The row, created when this replica has not seen it, in the section and
    // place the sending device gave it.
    Impl::RowRef row;
    int64_t& cached_row = row_ids[{rep.id, e.op.row}];
    if (cached_row == 0) {
      auto id = m.row_id(rep.id, e.op.row);
      if (!id.ok()) return id.status();
      cached_row = *id;
    }
    row.id = cached_row;
    if (row.id == 0) {
      const Section* section = !e.op.section.empty() ? rep.form->section(e.op.section)
                                                     : rep.form->section_for_row(e.op.row);
      if (!section) {
        return (Status::Corruption(fmt::format("取回的行 {}（报表 {}）不属于表样中的任何部分",
                                               e.op.row, e.op.report.to_string())));
      }
      std::string sort = e.op.sort_key;
      if (sort.empty()) {
        auto placed = m.place_row(rep.id, *section, e.op.row);
        if (!placed.ok()) return placed.status();
        sort = *placed;
      }
      auto id = m.insert_row(rep.id, e.op.row, section->key, sort);
      if (!id.ok()) return id.status();
      row.id = cached_row = *id;
    }
    if (e.op.kind == sync::OpKind::kDeleteRow && e.row_deleted) {
      BS_ASSIGN_OR_RETURN(
          st, m.db.cached("UPDATE rows SET deleted_op = COALESCE(deleted_op, ?) WHERE id = ?"));
      if (Status s = st.bind(1, op_seq).bind(2, row.id).run(); !s.ok()) return s;
      continue;
    }
    if (e.op.kind != sync::OpKind::kSetCell || e.outcome == sync::Outcome::kRejected) continue;
    auto col = m.col_id(e.op.column);
    if (!col.ok()) return col.status();
    // A local edit still waiting for its answer keeps showing.
    bool has_pending = false;
    if (any_pending) {
      BS_ASSIGN_OR_RETURN(
          pending,
          m.db.cached("SELECT 1 FROM ops WHERE status = 'pending' AND "
                      "report_id = ? AND row_key = ? AND col = ? AND kind = 'set' LIMIT 1"));
      pending.bind(1, rep.id).bind(2, e.op.row).bind(3, e.op.column);
      BS_ASSIGN_OR_RETURN(found, pending.step());
      has_pending = found;
    }
    if (has_pending) {
      BS_ASSIGN_OR_RETURN(
          v, m.db.cached("UPDATE cells SET version = ? WHERE row_id = ? AND col_id = ?"));
      if (Status s = v.bind(1, e.cell.version).bind(2, row.id).bind(3, *col).run(); !s.ok())
        return s;
    } else {
      BS_ASSIGN_OR_RETURN(
          cur, m.db.cached("SELECT c.value, c.op, o.kind FROM cells c JOIN ops o ON o.seq = c.op "
                           "WHERE c.row_id = ? AND c.col_id = ?"));
      cur.bind(1, row.id).bind(2, *col);
      BS_ASSIGN_OR_RETURN(has, cur.step());
      if (has && cur.col_text(2) == sync::op_kind_name(sync::OpKind::kImport) &&
          cur.col_int(1) != op_seq && std::optional<std::string>(cur.col_text(0)) != e.cell.value) {
        BS_ASSIGN_OR_RETURN(
            h, m.db.cached("INSERT INTO history(row_id, col_id, op, value) VALUES(?, ?, ?, ?) "
                           "ON CONFLICT DO NOTHING"));
        if (Status s = h.bind(1, row.id)
                           .bind(2, *col)
                           .bind(3, cur.col_int(1))
                           .bind(4, cur.col_text(0))
                           .run();
            !s.ok()) {
          return s;
        }
      }
      BS_ASSIGN_OR_RETURN(
          up,
          m.db.cached("INSERT INTO cells(row_id, col_id, value, op, version) VALUES(?, ?, ?, ?, ?) "
                      "ON CONFLICT(row_id, col_id) DO UPDATE SET value = excluded.value, "
                      "op = CASE WHEN excluded.value = cells.value THEN cells.op ELSE excluded.op "
                      "END, version = excluded.version"));
      up.bind(1, row.id)
          .bind(2, *col)
          .bind(3, e.cell.value.value_or(""))
          .bind(4, op_seq)
          .bind(5, e.cell.version);
      if (Status s = up.run(); !s.ok()) return s;
    }
    if (e.cell.conflict.empty()) {
      if (any_conflict) {
        BS_ASSIGN_OR_RETURN(d,
                            m.db.cached("DELETE FROM conflicts WHERE row_id = ? AND col_id = ?"));
        if (Status s = d.bind(1, row.id).bind(2, *col).run(); !s.ok()) return s;
      }
    } else {
      any_conflict = true;
      BS_ASSIGN_OR_RETURN(
          c, m.db.cached("INSERT INTO conflicts(row_id, col_id, cell) VALUES(?, ?, ?) "
                         "ON CONFLICT(row_id, col_id) DO UPDATE SET cell = excluded.cell"));
      if (Status s = c.bind(1, row.id).bind(2, *col).bind(3, sync::encode_cell(e.cell)).run();
          !s.ok())
        return s;
    }
  }
  if (Status s = m.set_meta("sync_cursor", std::to_string(cursor)); !s.ok()) return s;
  if (!entries.empty()) BS_RETURN_IF_ERROR(m.save_clock());
  return tx.commit();
}

Result<std::vector<Replica::OpenConflict>> Replica::conflicts() const {
  Impl& m = *impl_;
  BS_ASSIGN_OR_RETURN(
      st,
      m.db.cached(
          "SELECT r.unit, r.year, r.form, r.instance, w.row_key, k.key, c.cell FROM conflicts c "
          "JOIN rows w ON w.id = c.row_id JOIN reports r ON r.id = w.report_id "
          "JOIN cols k ON k.id = c.col_id ORDER BY r.id, w.sort_key, k.key"));
  std::vector<OpenConflict> out;
  for (;;) {
    BS_ASSIGN_OR_RETURN(has, st.step());
    if (!has) break;
    auto cell = sync::decode_cell(st.col_text(6));
    if (!cell.ok()) return cell.status();
    out.push_back({report_key_at(st, 0), st.col_text(4), st.col_text(5), std::move(*cell)});
  }
  return out;
}

}  // namespace budgetsync::client

namespace budgetsync::client {

Result<CellEdit> Replica::resolve(const ReportKey& key, std::string_view row,
                                  std::string_view column, std::string_view value,
                                  std::string_view take) {
  BS_ASSIGN_OR_RETURN(open, conflicts());
  const OpenConflict* found = nullptr;
  for (const auto& c : open) {
    if (c.report == key && c.row == row && (c.column == column)) found = &c;
  }
  if (!found) {
    // The column may have been named by its label.
    auto rep = impl_->find_report(key);
    if (rep.ok()) {
      auto r = impl_->resolve_row(*rep, key, row);
      if (r.ok() && r->section) {
        auto col = Impl::resolve_column(*r->section, column);
        for (const auto& c : open) {
          if (col.ok() && c.report == key && c.row == row && c.column == (*col)->key) found = &c;
        }
      }
    }
  }
  if (!found) {
    return Status::NotFound(fmt::format("{} {}:{} 没有未解决的冲突（见 `budgetsync conflicts`）",
                                        key.to_string(), row, column));
  }
  std::string chosen(value);
  if (!take.empty()) {
    auto id = sync::OpId::parse(take);
    if (!id.ok()) return id.status();
    bool matched = false;
    for (const auto& k : found->cell.conflict) {
      if (k.op == *id) {
        if (!k.value) {
          return Status::FailedPrecondition(
              "这个竞争的值是删除这一行；请改为填写一个值来恢复这一行");
        }
        chosen = *k.value;
        matched = true;
      }
    }
    if (!matched) {
      return Status::NotFound(fmt::format("{} 不是 {}:{} 相互竞争的值之一", take, row, column));
    }
  }
  // Written even when it is the value shown: only a new edit based on the
  // conflict settles it.
  return edit_cell(key, row, found->column, chosen, true);
}

Result<CellEdit> Replica::settle_rejected(const sync::OpId& id, bool retry) {
  Impl& m = *impl_;
  // Under the write lock from the first read: the UI and a terminal settling
  // the same refused edit at once re-apply it once.
  Transaction tx(m.db);
  BS_RETURN_IF_ERROR(tx.begin());
  BS_ASSIGN_OR_RETURN(all, rejected());
  const OpRecord* found = nullptr;
  for (const auto& r : all) {
    if (r.op.id == id) found = &r;
  }
  if (!found) {
    return Status::NotFound(fmt::format(
        "{} 不是本设备被服务器拒绝的修改（见 `budgetsync conflicts`）", id.to_string()));
  }
  const OpRecord rec = *found;
  if (retry && rec.op.kind != sync::OpKind::kSetCell) {
    return Status::FailedPrecondition(fmt::format(
        "{} 是 {} "
        "操作；只有填写单元格的修改才能重新应用（请重新导入文件或重新添加这一行，然后放弃这一条）",
        id.to_string(), sync::op_kind_name(rec.op.kind)));
  }
  BS_ASSIGN_OR_RETURN(rep, m.find_report(rec.op.report));
  if (retry) BS_RETURN_IF_ERROR(m.check_editable(rep, rec.op.report));
  BS_ASSIGN_OR_RETURN(mark, m.db.cached("UPDATE ops SET status = ? WHERE seq = ?"));
  BS_RETURN_IF_ERROR(mark.bind(1, op_status_name(retry ? OpStatus::kRetried : OpStatus::kDiscarded))
                         .bind(2, rec.seq)
                         .run());
  CellEdit edit;
  edit.row = rec.op.row;
  edit.column = rec.op.column;
  if (rec.op.kind == sync::OpKind::kSetCell) {
    BS_ASSIGN_OR_RETURN(cell, m.cell_now(rep.id, rec.op.row, rec.op.column));
    edit.before = cell.value;
    if (retry) {
      // A new operation (the refused id keeps its answer on the server), based
      // on the version the replica knows now.
      BS_ASSIGN_OR_RETURN(op, m.append_op(sync::OpKind::kSetCell, rep.id, rec.op.row, rec.op.column,
                                          rec.op.value.value_or(""), cell.version, rec.op.section,
                                          rec.op.sort_key));
      BS_RETURN_IF_ERROR(m.put_cell(cell, rec.op.value.value_or(""), op.seq));
      edit.after = rec.op.value.value_or("");
      edit.op = op.id;
    } else if (cell.op == rec.seq) {
      // The cell showed the refused value: back to the one before it.
      BS_ASSIGN_OR_RETURN(prior, m.value_before(rep.id, cell, rec.op.row, rec.op.column, rec.seq));
      if (prior) {
        BS_RETURN_IF_ERROR(m.put_cell(cell, prior->first, prior->second));
        // An imported value lives either in the cell or aside in the history.
        BS_ASSIGN_OR_RETURN(
            aside, m.db.cached("DELETE FROM history WHERE row_id = ? AND col_id = ? AND op = ?"));
        BS_RETURN_IF_ERROR(
            aside.bind(1, cell.row_id).bind(2, cell.col_id).bind(3, prior->second).run());
        edit.after = prior->first;
      } else {
        BS_RETURN_IF_ERROR(m.drop_cell(cell));
      }
    } else {
      edit.after = cell.value.value_or("");  // a later edit of the cell stays
    }
  }
  BS_RETURN_IF_ERROR(tx.commit());
  return edit;
}

}  // namespace budgetsync::client

namespace budgetsync::client {

Result<bool> Replica::note_server(const std::string& store_id, int64_t epoch) {
  Impl& m = *impl_;
  Transaction tx(m.db);
  BS_RETURN_IF_ERROR(tx.begin());
  auto known_id = m.meta("server_store_id");
  auto known_epoch = m.meta("server_epoch");
  const bool first = !known_id.ok() || known_id->empty();
  const bool changed =
      !first && (*known_id != store_id || !known_epoch.ok() || std::stoll(*known_epoch) < epoch);
  if (changed) {
    BS_RETURN_IF_ERROR(m.set_meta("sync_cursor", "0"));
    // This device's, under its current id (the hello names it; edits made
    // under an id it had before a re-key are not sent again).
    BS_ASSIGN_OR_RETURN(device, m.meta("device"));
    BS_ASSIGN_OR_RETURN(
        st, m.db.cached("UPDATE ops SET status = 'pending' WHERE device = ? AND status = 'acked'"));
    BS_RETURN_IF_ERROR(st.bind(1, device).run());
    BS_RETURN_IF_ERROR(m.db.exec("DELETE FROM meta WHERE key LIKE 'import_progress.%'"));
  }
  BS_RETURN_IF_ERROR(m.set_meta("server_store_id", store_id));
  BS_RETURN_IF_ERROR(m.set_meta("server_epoch", std::to_string(epoch)));
  BS_RETURN_IF_ERROR(tx.commit());
  return changed;
}

}  // namespace budgetsync::client

namespace budgetsync::client {

Result<std::string> Replica::setting(std::string_view key) const {
  BS_ASSIGN_OR_RETURN(st, impl_->db.cached("SELECT value FROM meta WHERE key = ?"));
  st.bind(1, fmt::format("setting.{}", key));
  BS_ASSIGN_OR_RETURN(has, st.step());
  return has ? st.col_text(0) : std::string();
}

Status Replica::set_settings(const std::vector<std::pair<std::string, std::string>>& values) {
  Impl& m = *impl_;
  Transaction tx(m.db);
  BS_RETURN_IF_ERROR(tx.begin());
  for (const auto& [k, v] : values) BS_RETURN_IF_ERROR(m.set_meta(fmt::format("setting.{}", k), v));
  return tx.commit();
}

Status Replica::restart_download() {
  return impl_->set_meta("sync_cursor", "0");
}

Result<int64_t> Replica::data_version() const {
  BS_ASSIGN_OR_RETURN(st, impl_->db.cached("PRAGMA data_version"));
  BS_ASSIGN_OR_RETURN(has, st.step());
  if (!has) return Status::IoError("PRAGMA data_version returned nothing");
  return st.col_int(0);
}

}  // namespace budgetsync::client
