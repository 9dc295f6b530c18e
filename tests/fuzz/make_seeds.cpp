// budgetsync-fuzz-seeds DATA_DIR OUT_DIR: writes the seed corpora the fuzz
// targets start from into OUT_DIR/<target>/, from the shipped data (the seed
// reports, templates and code lists), from messages the protocol encoder
// produces, and from the inputs the unit tests use. scripts/fuzz runs it; the
// corpora are build products, never committed.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "client/report_view.h"
#include "files/data_files.h"
#include "sync/protocol.h"
#include "sync/report_info.h"
#include "sync/report_state.h"

namespace fs = std::filesystem;
using namespace budgetsync;
using namespace budgetsync::sync;

namespace {

void write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

void write_all(const fs::path& dir, const std::vector<std::string>& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) write(dir, "seed-" + std::to_string(i), inputs[i]);
}

Operation sample_op(int n, OpKind kind) {
  Operation op;
  op.id = {"a1b2c3d4e5f60708", n};
  op.hlc = {1'700'000'000'000 + n, static_cast<uint32_t>(n % 3)};
  op.author = "王会计";
  op.kind = kind;
  op.report = {"411325-ybj", 2024, "perf-project", "p03"};
  op.row = "funds_total";
  op.column = kind == OpKind::kSetCell ? "score" : "";
  op.value = n % 2 ? std::optional<std::string>("10.00") : std::nullopt;
  op.base_version = n;
  if (kind == OpKind::kReportInfo)
    op.value = encode_report_info({"内乡县医疗保障局", "2024年部门决算.xlsx", "元",
                                   R"([{"section":"main","from_row":"2101103"}])"});
  if (kind == OpKind::kAddRow) {
    op.section = "indicators";
    op.sort_key = "m";
  }
  return op;
}

LogEntry sample_entry(int n) {
  LogEntry e;
  e.seq = n;
  e.op = sample_op(n, OpKind::kSetCell);
  e.outcome = n % 3 == 0 ? Outcome::kApplied : n % 3 == 1 ? Outcome::kConflict : Outcome::kRejected;
  if (e.outcome == Outcome::kRejected) e.reason = "report_locked: 报表已上报";
  e.cell.value = "10.00";
  e.cell.version = n;
  e.cell.hlc = e.op.hlc;
  e.cell.writer = e.op.id;
  e.cell.author = e.op.author;
  if (n % 3 == 1)
    e.cell.conflict = {{e.op.id, e.op.author, e.op.hlc, std::string("6.10"), 3},
                       {{"b", 1}, "李四", {5, 1}, std::nullopt, 0}};
  e.server_ms = n % 2 ? 1'700'000'000'123 : 0;
  return e;
}

std::vector<Message> sample_messages() {
  return {Hello{"a1b2c3d4e5f60708", 42, "store-1", 3, "scope-a"},
          Hello{"a1b2c3d4e5f60708", 0, "", 0, ""},
          Welcome{"store-1", 3, 99, false, "scope-b"},
          Push{"batch-7",
               {sample_op(1, OpKind::kSetCell), sample_op(2, OpKind::kAddRow),
                sample_op(3, OpKind::kDeleteRow), sample_op(4, OpKind::kImport),
                sample_op(5, OpKind::kReportInfo)}},
          PushResult{"batch-7", {sample_entry(1), sample_entry(2), sample_entry(3)}},
          Pull{17, 500},
          PullResult{{sample_entry(3), sample_entry(4)}, 4, true},
          Notify{123, std::nullopt, {}},
          Notify{5, 3, {sample_entry(4), sample_entry(5)}},
          ErrorMessage{"report_locked", "报表已上报，不能修改", false}};
}

void sync_seeds(const fs::path& out) {
  std::vector<std::string> json, cbor;
  for (const Message& m : sample_messages()) {
    json.push_back(encode(m, Encoding::kJson));
    cbor.push_back(encode(m, Encoding::kCbor));
  }
  for (int n = 0; n < 3; ++n) {
    const LogEntry e = sample_entry(n + 1);
    json.push_back(encode_entry(e));
    json.push_back(encode_cell(e.cell));
    if (!e.cell.conflict.empty()) json.push_back(encode_contender(e.cell.conflict.front()));
  }
  // The values state operations carry.
  StateChange submit;
  submit.cells = {{"2101505", "total", "15.00"}, {"header", "name", "内乡县医疗保障局"}};
  submit.warnings = {"尾差 0.01"};
  json.push_back(encode_state_change(submit));
  StateChange ret;
  ret.action = StateAction::kReturn;
  ret.reason = "302 与明细合计不符，请核对";
  json.push_back(encode_state_change(ret));
  json.push_back(encode_report_info({"内乡县医疗保障局", "汇总", "", ""}));
  write_all(out / "sync_json", json);
  write_all(out / "sync_cbor", cbor);
}

void login_seeds(const fs::path& out) {
  write_all(
      out / "login_body",
      {R"({"user":"王会计","password":"s3cret"})", R"({"user":"刘科长","password":""})",
       R"({"password":"x","user":"a","device":"d"})", R"({"user":1,"password":"x"})", "[]", ""});
}

// Cell texts as people wrote them, from the decimal, money and scoring tests.
const std::vector<std::string> kNumberTexts = {
    "2,945.68", "-8.86",  "0",      "2903.8592", "１，２３４．５６", "−3.5",
    "44万元",   "580 元", "96.19%", "100.0 %",   "1,000,000.00",     "0.000000000000000001",
    "—",        "-",      "——",     "/",         "  12.5  ",         "+7"};
const std::vector<std::string> kTargetTexts = {
    "≥95%\n96.5%", "≤200万元\n180万元", "=598家\n598家",      "1430平方米\n=1569平方米",
    "100%\n100%",  "及时\n及时",        "有效提升\n达标",     ">0\n0",
    "﹤5天\n7天",  "≦3%\n2.5%",         "≥100平方米\n0平方米"};

void seed_report_seeds(const fs::path& data, const fs::path& out) {
  auto catalog = load_catalog(data);
  if (!catalog.ok()) {
    std::fprintf(stderr, "budgetsync-fuzz-seeds: %s\n", catalog.status().message().c_str());
    std::exit(1);
  }
  auto reports = load_reports({data / "seeds"}, *catalog);
  if (!reports.ok()) {
    std::fprintf(stderr, "budgetsync-fuzz-seeds: %s\n", reports.status().message().c_str());
    std::exit(1);
  }
  std::vector<std::string> csv, tables, numbers = kNumberTexts, targets = kTargetTexts;
  for (const Report& r : *reports) {
    const FormTemplate* form = catalog->form(r.key.form, r.template_version);
    if (!form) continue;
    csv.push_back(r.key.to_string() + "\n" + client::render_report_csv(r, *form, *catalog));
    tables.push_back(client::render_report_table_csv(r, *form, *catalog));
    for (const ReportRow& row : r.rows) {
      const Section* sec = form->section(row.section);
      if (!sec) sec = form->section_for_row(row.key);
      if (!sec) continue;
      std::string target, measure;
      for (const auto& [col_key, cell] : row.cells) {
        const Column* col = sec->column(col_key);
        if (!col || cell.raw.empty()) continue;
        if (col->type == ColumnType::kTarget)
          target = cell.raw;
        else if (col->type == ColumnType::kMeasure)
          measure = cell.raw;
        else if (col->type != ColumnType::kText)
          numbers.push_back(cell.raw);
      }
      if (!target.empty() || !measure.empty()) targets.push_back(target + "\n" + measure);
    }
  }
  write_all(out / "report_csv", csv);
  write_all(out / "table_csv", tables);
  // Many cells repeat: keep each text once.
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  write_all(out / "decimal", numbers);
  write_all(out / "target", targets);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: budgetsync-fuzz-seeds DATA_DIR OUT_DIR\n");
    return 2;
  }
  const fs::path data = argv[1], out = argv[2];
  sync_seeds(out);
  login_seeds(out);
  seed_report_seeds(data, out);
  return 0;
}
