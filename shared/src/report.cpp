#include "shared/report.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "json_reader.h"
#include "shared/catalog.h"
#include "shared/code_list.h"
#include "shared/form_template.h"

namespace budgetsync {
namespace {

using detail::child;
using detail::JsonError;

// Which section a row of the report belongs to.
const Section* resolve_section(const FormTemplate& t, const std::string& key,
                               const std::string& declared, const std::string& path) {
  if (!declared.empty()) {
    const Section* s = t.section(declared);
    if (!s)
      throw JsonError(child(path, "section"),
                      fmt::format("表 {} 没有“{}”这一部分", t.id, declared));
    if (s->row(key)) return s;
    if (!s->code_list.empty() && is_classification_code(key)) return s;
    if (s->dynamic) return s;
    throw JsonError(path, fmt::format("“{}”不是“{}”部分的行", key, declared));
  }
  // A code the year's list does not know still imports: the checker warns about
  // it (a list is never complete, and one unknown code must not cost the file).
  if (const Section* s = t.section_for_row(key)) return s;
  const Section* dynamic = nullptr;
  for (const auto& s : t.sections) {
    if (!s.dynamic) continue;
    if (dynamic) {
      throw JsonError(path,
                      fmt::format("“{}”不是表上固定的行；请写明它属于哪一部分（section）", key));
    }
    dynamic = &s;
  }
  if (dynamic) return dynamic;
  throw JsonError(path, fmt::format("表 {} 没有“{}”这一行", t.id, key));
}

// "not_in_source": [{"all": true}, {"section": S}, {"section": S, "column": C},
// {"rows": [K, ...]}, {"section": S, "from_row": K}] (docs/import-format.md).
NotInSource read_not_in_source(const nlohmann::json& list, const FormTemplate& t) {
  NotInSource out;
  if (!list.is_array()) throw JsonError("not_in_source", "应是由对象组成的数组");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string p = child("not_in_source", i);
    const auto& o = list[i];
    if (!o.is_object()) throw JsonError(p, "应是一个对象（{…}）");
    if (detail::opt_bool(o, "all", p, false)) {
      out.all = true;
      continue;
    }
    const std::string section = detail::opt_string(o, "section", p);
    const Section* sec = section.empty() ? nullptr : t.section(section);
    if (!section.empty() && !sec)
      throw JsonError(child(p, "section"), fmt::format("表 {} 没有“{}”这一部分", t.id, section));
    const std::string column = detail::opt_string(o, "column", p);
    const std::string from_row = detail::opt_string(o, "from_row", p);
    const bool has_rows = o.contains("rows");
    if (!column.empty()) {
      const bool known = sec ? sec->column(column) != nullptr
                             : std::any_of(t.sections.begin(), t.sections.end(),
                                           [&](const Section& s) { return s.column(column); });
      if (!known) throw JsonError(child(p, "column"), fmt::format("没有“{}”这一栏", column));
      out.columns.emplace_back(section, column);
    } else if (!from_row.empty()) {
      const Section* in = sec ? sec : t.section_for_row(from_row);
      if (!in) throw JsonError(child(p, "from_row"), fmt::format("没有“{}”这一行", from_row));
      if (!in->row(from_row) && !(is_classification_code(from_row) && !in->code_list.empty()))
        throw JsonError(child(p, "from_row"),
                        fmt::format("“{}”部分没有“{}”这一行", in->key, from_row));
      out.from_row.emplace_back(in->key, from_row);
    } else if (has_rows) {
      const auto& rows = detail::get_array(o, "rows", p);
      for (size_t k = 0; k < rows.size(); ++k) {
        if (!rows[k].is_string())
          throw JsonError(child(child(p, "rows"), k), "应是行号（行的 key）");
        const std::string key = rows[k].get<std::string>();
        const Section* in = sec ? sec : t.section_for_row(key);
        out.rows.emplace_back(in ? in->key : section, key);
      }
    } else if (sec) {
      out.sections.push_back(section);
    } else {
      throw JsonError(p, "请写明 section、column、rows、from_row 之一，或 \"all\": true");
    }
  }
  return out;
}

}  // namespace

bool NotInSource::covers(const FormTemplate& form, std::string_view section, std::string_view row,
                         std::string_view column) const {
  if (all) return true;
  auto same = [](const std::string& s, std::string_view want) { return s.empty() || s == want; };
  for (const auto& s : sections) {
    if (s == section) return true;
  }
  for (const auto& [s, c] : columns) {
    if (same(s, section) && c == column) return true;
  }
  for (const auto& [s, r] : rows) {
    if (same(s, section) && r == row) return true;
  }
  for (const auto& [s, from] : from_row) {
    if (s != section) continue;
    const Section* sec = form.section(s);
    if (!sec) continue;
    const auto at = [&](std::string_view key) {
      for (size_t i = 0; i < sec->rows.size(); ++i) {
        if (sec->rows[i].key == key) return static_cast<long>(i);
      }
      return -1L;
    };
    const long from_at = at(from), row_at = at(row);
    if (from_at >= 0 && row_at >= 0 && row_at >= from_at) return true;
    if (from_at < 0 && row_at < 0 && is_classification_code(row) && row >= from) return true;
  }
  return false;
}

bool NotInSource::cuts_section(std::string_view section, std::string_view column) const {
  if (all) return true;
  for (const auto& s : sections) {
    if (s == section) return true;
  }
  for (const auto& [s, c] : columns) {
    if ((s.empty() || s == section) && c == column) return true;
  }
  for (const auto& [s, r] : rows) {
    if (s == section) return true;
  }
  for (const auto& [s, r] : from_row) {
    if (s == section) return true;
  }
  return false;
}

bool NotInSource::cuts_into(std::string_view section, std::string_view code) const {
  for (const auto& [s, from] : from_row) {
    if (s == section && from.size() > code.size() &&
        std::string_view(from).substr(0, code.size()) == code)
      return true;
  }
  return false;
}

std::string ReportKey::to_string() const {
  std::string s = fmt::format("{}/{}/{}", unit, year, form);
  if (!instance.empty()) s += ":" + instance;
  return s;
}

Result<ReportKey> ReportKey::parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument(fmt::format(
        "“{}”不是报表名（写成 单位/年度/表，如 411325-ybj/2024/final01）：{}", text, why));
  };
  const auto s1 = text.find('/');
  if (s1 == std::string_view::npos) return bad("no “/”");
  const auto s2 = text.find('/', s1 + 1);
  if (s2 == std::string_view::npos) return bad("只有一个“/”");
  ReportKey k;
  k.unit = std::string(text.substr(0, s1));
  const std::string_view year = text.substr(s1 + 1, s2 - s1 - 1);
  auto [p, ec] = std::from_chars(year.data(), year.data() + year.size(), k.year);
  if (ec != std::errc() || p != year.data() + year.size() || k.year < 1949 || k.year > 9999) {
    return bad(fmt::format("“{}”不是年度", year));
  }
  std::string_view form = text.substr(s2 + 1);
  if (auto colon = form.find(':'); colon != std::string_view::npos) {
    k.instance = std::string(form.substr(colon + 1));
    form = form.substr(0, colon);
    if (k.instance.empty()) return bad("“:”后面没有写项目名");
  }
  k.form = std::string(form);
  if (k.unit.empty()) return bad("没有写单位");
  if (k.form.empty()) return bad("没有写表");
  return k;
}

const ReportRow* Report::row(std::string_view key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &rows[it->second];
}

const ReportCell* Report::cell(std::string_view row_key, std::string_view column) const {
  const ReportRow* r = row(row_key);
  if (!r) return nullptr;
  auto it = r->cells.find(column);
  return it == r->cells.end() ? nullptr : &it->second;
}

std::string encode_not_in_source(const NotInSource& marks) {
  if (marks.empty()) return "";
  nlohmann::json list = nlohmann::json::array();
  if (marks.all) list.push_back({{"all", true}});
  for (const auto& s : marks.sections) list.push_back({{"section", s}});
  for (const auto& [s, c] : marks.columns) {
    nlohmann::json o{{"column", c}};
    if (!s.empty()) o["section"] = s;
    list.push_back(o);
  }
  // Rows as one mark per section, so each is read back into its own section.
  std::map<std::string, std::vector<std::string>> rows;
  for (const auto& [s, r] : marks.rows) rows[s].push_back(r);
  for (const auto& [s, keys] : rows) {
    nlohmann::json o{{"rows", keys}};
    if (!s.empty()) o["section"] = s;
    list.push_back(o);
  }
  for (const auto& [s, r] : marks.from_row) list.push_back({{"section", s}, {"from_row", r}});
  return list.dump();
}

Result<NotInSource> parse_not_in_source(std::string_view json_text, const FormTemplate& form) {
  if (json_text.empty()) return NotInSource{};
  auto doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded()) return Status::InvalidArgument("not_in_source：不是有效的 JSON");
  try {
    return read_not_in_source(doc, form);
  } catch (const JsonError& e) {
    return detail::to_status("not_in_source", e);
  }
}

MoneyUnit Report::unit_in(const FormTemplate& form) const {
  return money_unit.value_or(form.unit);
}

void Report::reindex() {
  index_.clear();
  for (size_t i = 0; i < rows.size(); ++i) index_.emplace(rows[i].key, i);
}

namespace {

// A refusal about one cell; parse_report reports which one to its caller.
struct CellError : JsonError {
  CellError(std::string path, std::string row, std::string column, std::string reason)
      : JsonError(std::move(path), reason),
        problem{std::move(row), std::move(column), std::move(reason)} {}
  CellProblem problem;
};

}  // namespace

Result<Report> parse_report(std::string_view json_text, std::string_view source,
                            const Catalog& catalog) {
  return parse_report(json_text, source, catalog, nullptr);
}

Result<Report> parse_report(std::string_view json_text, std::string_view source,
                            const Catalog& catalog, CellProblem* problem) {
  try {
    const auto doc = detail::parse_json_text(json_text);
    detail::expect_format(doc, "budgetsync-report/1");
    Report r;
    r.source = detail::opt_string(doc, "source", "", std::string(source));
    r.key.unit = detail::get_string(doc, "unit", "");
    if (r.key.unit.empty() || r.key.unit.find_first_of("/: ") != std::string::npos) {
      throw JsonError("unit", fmt::format("“{}”不是单位编码", r.key.unit));
    }
    r.unit_name = detail::opt_string(doc, "unit_name", "");
    r.key.year = detail::get_int(doc, "year", "");
    if (r.key.year < 1949 || r.key.year > 9999) throw JsonError("year", "不是合理的预算年度");
    r.key.form = detail::get_string(doc, "form", "");
    r.key.instance = detail::opt_string(doc, "instance", "");
    r.template_version = detail::opt_int(doc, "template_version", "", 0);
    const FormTemplate* t = catalog.form(r.key.form, r.template_version, r.key.year);
    if (!t) {
      throw JsonError(
          "form",
          fmt::format("不认识的表“{}”{}（已有的表见 docs/forms.md）", r.key.form,
                      r.template_version ? fmt::format("（第 {} 版）", r.template_version) : ""));
    }
    r.template_version = t->version;
    if (t->instances && r.key.instance.empty()) {
      throw JsonError("instance",
                      fmt::format("表 {} 每个项目填一张：请写明项目（instance）", t->id));
    }
    if (!t->instances && !r.key.instance.empty()) {
      throw JsonError("instance", fmt::format("表 {} 每年填一张，不写项目（instance）", t->id));
    }
    if (doc.contains("money_unit")) {
      auto unit = parse_money_unit(detail::get_string(doc, "money_unit", ""));
      if (!unit.ok()) throw JsonError("money_unit", "应是 \"元\" 或 \"万元\"");
      r.money_unit = *unit;
    }
    const MoneyUnit unit = r.unit_in(*t);
    const auto& rows = detail::get_array(doc, "rows", "");
    std::set<std::string> seen;
    for (size_t i = 0; i < rows.size(); ++i) {
      const std::string base = child("rows", i);
      ReportRow row;
      row.key = detail::get_string(rows[i], "key", base);
      const std::string path = fmt::format("{}（行 {}）", base, row.key);
      if (row.key.empty()) throw JsonError(base + ".key", "不能为空");
      if (!seen.insert(row.key).second) throw JsonError(path, "这一行出现了两次");
      const std::string declared = detail::opt_string(rows[i], "section", base);
      const Section* sec = resolve_section(*t, row.key, declared, path);
      row.section = sec->key;
      const auto& cells = detail::require(rows[i], "cells", base);
      if (!cells.is_object()) throw JsonError(path + ".cells", "应是“栏: 文字”组成的对象");
      for (const auto& [col_key, val] : cells.items()) {
        const std::string cpath = fmt::format("{}，栏 {}", path, col_key);
        const Column* col = sec->column(col_key);
        if (!col) {
          std::string known;
          for (const auto& c : sec->columns) known += (known.empty() ? "" : ", ") + c.key;
          throw CellError(cpath, row.key, col_key,
                          fmt::format("“{}”部分没有这一栏（有：{}）", sec->key, known));
        }
        if (!val.is_string()) {
          throw CellError(cpath, row.key, col_key,
                          "应是表上印的文字，如 \"2,945.68\"（数字也写成字符串）");
        }
        const std::string raw = val.get<std::string>();
        auto v = parse_cell(raw, col->type, unit);
        if (!v.ok()) throw CellError(cpath, row.key, col_key, v.status().message());
        row.cells.emplace(col_key, ReportCell{raw, std::move(*v)});
      }
      r.rows.push_back(std::move(row));
    }
    if (doc.contains("not_in_source"))
      r.not_in_source = read_not_in_source(doc["not_in_source"], *t);
    r.reindex();
    return r;
  } catch (const CellError& e) {
    if (problem) *problem = e.problem;
    return detail::to_status(source, e);
  } catch (const JsonError& e) {
    return detail::to_status(source, e);
  }
}

}  // namespace budgetsync
