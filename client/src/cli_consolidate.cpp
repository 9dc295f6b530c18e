// budgetsync consolidate: the reviewer's 汇总, built on the replica from the
// subordinate units' approved (or explicitly chosen submitted) reports.
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "client/cli.h"
#include "client/review_workflow.h"
#include "shared/consolidate.h"

namespace budgetsync::client {
namespace {

using json = nlohmann::ordered_json;

std::string_view pair_title(const std::string& pair) {
  return pair == "subsidy" ? "本级对附属单位补助与附属单位上级补助收入"
                           : "附属单位上缴上级支出与本级附属单位上缴收入";
}

// The offsets made on the form's printed lines (a table keyed by codes shows
// its 合计 line only), and any pair whose two sides disagree.
void print_offsets(const Catalog& catalog, const json& entry) {
  const FormTemplate* form = catalog.form(entry["form"].get<std::string>());
  if (!form) return;
  for (const auto& o : entry["offsets"]) {
    const std::string row = o["row"].get<std::string>();
    const Section* sec = form->section_of_fixed_row(row);
    const RowDef* def = sec ? sec->row(row) : nullptr;
    const Column* col = sec ? sec->column(o["column"].get<std::string>()) : nullptr;
    if (!def || !col) continue;
    fmt::print("  冲抵：{}「{}」减去 {} 的 {}（{}）\n", def->label, col->label,
               o["unit"].get<std::string>(), o["amount"].get<std::string>(),
               o["side"] == "paid" ? "付出方" : "收入方");
  }
  for (const auto& m : entry["mismatches"]) {
    const auto paid = *Decimal::parse(m["paid"].get<std::string>());
    const auto received = *Decimal::parse(m["received"].get<std::string>());
    fmt::print("  注意：{}不一致：付出 {}，收到 {}，相差 {}；请核对各单位的表。\n",
               pair_title(m["pair"].get<std::string>()), paid.to_string(), received.to_string(),
               (paid - received).abs().to_string());
  }
}

}  // namespace

int cmd_consolidate(Replica& replica, const Catalog& catalog, const ConsolidateRequest& request,
                    bool json_out) {
  auto done = consolidate_reports(replica, catalog, request);
  if (!done.ok()) return fail(done.status());
  int built = 0;
  for (const auto& entry : (*done)["forms"]) {
    if (entry["built"].get<bool>()) ++built;
    if (json_out) continue;
    if (!entry["built"].get<bool>()) {
      fmt::print("{}：没有可汇总的报表。\n", entry["form"].get<std::string>());
    } else {
      std::string names;
      for (const auto& u : entry["sources"])
        names += (names.empty() ? "" : "、") + u["report"].get<std::string>();
      fmt::print("已汇总 {}：{} 个单位（{}），{} 个单元格有变化，{} 个派生单元格按规则重算。\n",
                 entry["report"].get<std::string>(), entry["sources"].size(), names,
                 entry["cells_changed"].get<int64_t>(), entry["recomputed"].size());
    }
    if (entry["built"].get<bool>()) print_offsets(catalog, entry);
    for (const auto& s : entry["skipped"]) {
      fmt::print("  未纳入 {}：{}\n", s["unit"].get<std::string>(), s["why"].get<std::string>());
    }
  }
  const std::string last_sync = (*done)["data_as_of"].get<std::string>();
  if (json_out) {
    fmt::print("{}\n", done->dump(2));
  } else {
    fmt::print("汇总了 {} 张表；依据本副本{}的数据，之后服务器上的变化不在其中。\n", built,
               last_sync.empty() ? "（尚未同步）" : "截至 " + last_sync + " 同步");
  }
  return built > 0 ? kExitOk : kExitFindings;
}

}  // namespace budgetsync::client
