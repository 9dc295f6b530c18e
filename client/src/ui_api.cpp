#include "client/ui_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>
#include <variant>

#include "client/agent_state.h"
#include "client/findings_view.h"
#include "client/json_views.h"
#include "client/report_view.h"
#include "client/review_workflow.h"
#include "client/ui_assets.h"
#include "shared/cell_value.h"
#include "shared/local_time.h"
#include "ui_json.h"

namespace budgetsync::client {

namespace ui {

UiResponse json_response(int status, const json& body) {
  UiResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

UiResponse error(int status, const std::string& message) {
  return json_response(status, json{{"error", message}});
}

UiResponse refusal(const Status& s) {
  switch (s.code()) {
    case StatusCode::kNotFound:
      return error(404, s.message());
    case StatusCode::kFailedPrecondition:
      return error(409, s.message());
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      return error(400, s.message());
    default:
      return error(500, s.message());
  }
}

json findings_json(const CheckResult& result) {
  json arr = json::array();
  for (const auto& f : result.findings) arr.push_back(client::finding_json(f));
  return arr;
}

json score_json(const ScoreSummary& s) {
  return {{"stated_total", s.stated_total ? json(s.stated_total->format(2)) : json(nullptr)},
          {"grade", s.grade},
          {"recomputed", s.recomputed},
          {"by_hand", s.by_hand},
          {"items", score_items_json(s)}};
}

std::string text_field(const json& body, const char* name) {
  auto it = body.find(name);
  return it != body.end() && it->is_string() ? it->get<std::string>() : "";
}

// RFC 5987 percent-encoding, for a download's UTF-8 file name.
std::string percent_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace ui

namespace {

using ui::error;
using ui::json;
using ui::json_response;
using ui::refusal;

// The value of cookie `name` in a Cookie header.
std::string cookie_value(const std::string& header, const std::string& name) {
  size_t at = 0;
  while (at < header.size()) {
    size_t end = header.find(';', at);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(at, end - at);
    const size_t lead = part.find_first_not_of(' ');
    part = lead == std::string::npos ? "" : part.substr(lead);
    if (part.rfind(name + "=", 0) == 0) return part.substr(name.size() + 1);
    at = end + 1;
  }
  return "";
}

// Compares without stopping at the first difference, so the time taken does
// not tell how much of a guessed token was right.
bool same_secret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::map<std::string, std::string> parse_query(const std::string& q) {
  std::map<std::string, std::string> out;
  size_t at = 0;
  while (at < q.size()) {
    size_t end = q.find('&', at);
    if (end == std::string::npos) end = q.size();
    const std::string part = q.substr(at, end - at);
    const size_t eq = part.find('=');
    if (eq == std::string::npos) {
      out[url_decode(part)] = "";
    } else {
      out[url_decode(part.substr(0, eq))] = url_decode(part.substr(eq + 1));
    }
    at = end + 1;
  }
  return out;
}

// The report's findings and scores, checked with its unit's other reports of
// the year (cross-table rules need them); `report` replaces the stored one.
struct ReportCheck {
  json findings = json::array();
  json scores = nullptr;
};
Result<ReportCheck> check_one(const Replica& replica, const Catalog& catalog,
                              const Report& report) {
  BS_ASSIGN_OR_RETURN(result, check_unit_year(replica, catalog, report.key, &report));
  ReportCheck out;
  for (const auto& f : result.findings) {
    if (f.report == report.key) out.findings.push_back(finding_json(f));
  }
  for (const auto& s : result.scores) {
    if (s.report == report.key) out.scores = ui::score_json(s);
  }
  return out;
}

struct LoadedReport {
  ReportKey key;
  Report report;
  const FormTemplate* form = nullptr;
};
// The report a request names, or the answer that refuses it.
std::variant<LoadedReport, UiResponse> load_named(const Replica& replica, const Catalog& catalog,
                                                  const std::string& key_text) {
  if (key_text.empty()) return error(400, "请写明报表：单位/年度/表样[:项目]");
  auto key = parse_report_key(key_text);
  if (!key.ok()) return error(400, key.status().message());
  auto r = replica.load(*key);
  if (!r.ok()) return refusal(r.status());
  const FormTemplate* form = catalog.form(key->form, r->template_version);
  if (!form) return error(404, fmt::format("没有表样“{}”", key->form));
  return LoadedReport{*key, std::move(*r), form};
}

json row_json(const Report& r, const FormTemplate& form, const Catalog& catalog, const Section& sec,
              const ReportRow& row) {
  json cells = json::object();
  for (const auto& [col, cell] : row.cells) cells[col] = cell.raw;
  const RowDef* def = sec.row(row.key);
  std::string label = def ? def->label : row_display_label(r, form, catalog, row);
  return {{"key", row.key},
          {"label", label},
          {"code", sec.code_list.empty() || def ? "" : row.key},
          {"line_no", def ? def->line_no : ""},
          {"indent", def ? def->indent : 0},
          {"cells", cells}};
}

}  // namespace

std::string url_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

UiApi::UiApi(Replica& replica, const Catalog& catalog, uint16_t port, std::string token,
             sync::ClockSource& clock)
    : replica_(replica), catalog_(catalog), clock_(clock), port_(port), token_(std::move(token)) {}

std::string UiApi::start_url() const {
  return fmt::format("http://127.0.0.1:{}/?token={}", port_, token_);
}

UiResponse UiApi::handle(const UiRequest& request) {
  // A page elsewhere that resolves its own name to 127.0.0.1 still sends its
  // own name as Host: refuse anything but this listener's.
  if (request.host != fmt::format("127.0.0.1:{}", port_) &&
      request.host != fmt::format("localhost:{}", port_)) {
    return error(421,
                 fmt::format("这是 budgetsync 的本机界面；请打开 http://127.0.0.1:{}/", port_));
  }
  const size_t q = request.target.find('?');
  const std::string path = request.target.substr(0, q);
  const auto query = parse_query(q == std::string::npos ? "" : request.target.substr(q + 1));
  // Opening the start URL trades the token in it for a cookie only this
  // listener's pages send back.
  if (request.method == "GET" && path == "/" && query.count("token")) {
    if (!same_secret(query.at("token"), token_))
      return error(403, "这个链接已失效；请打开 `budgetsync ui` 这次打印的地址");
    UiResponse r;
    r.status = 303;
    r.content_type = "text/plain; charset=utf-8";
    r.headers["Set-Cookie"] = fmt::format("bs_token={}; HttpOnly; SameSite=Strict; Path=/", token_);
    r.headers["Location"] = "/";
    return r;
  }
  const std::string presented =
      !request.token.empty() ? request.token : cookie_value(request.cookie, "bs_token");
  if (!same_secret(presented, token_)) {
    return error(403, "请打开 `budgetsync ui` 打印的地址（其中带有这次启动的密钥）");
  }
  if (request.method != "GET" && !request.origin.empty() &&
      request.origin != fmt::format("http://127.0.0.1:{}", port_) &&
      request.origin != fmt::format("http://localhost:{}", port_)) {
    return error(403, "只接受来自 budgetsync 自己页面的修改");
  }
  return route(request, path, query);
}

UiResponse UiApi::route(const UiRequest& request, const std::string& path, const Query& query) {
  if (request.method == "GET") return get(path, query);
  if (request.method == "POST" && path == "/api/import") return import_table(request.body, query);
  if (request.method == "POST") {
    const json body = json::parse(request.body, nullptr, false);
    if (!body.is_object()) return error(400, fmt::format("{}：请求体要是一个 JSON 对象", path));
    return post(path, body);
  }
  return error(405, fmt::format("这里不答复 {} 请求；请用 GET 或 POST", request.method));
}

UiResponse UiApi::get(const std::string& path, const Query& query) {
  if (path == "/" || path == "/index.html") {
    UiResponse page;
    page.content_type = "text/html; charset=utf-8";
    page.body = std::string(ui_index_html());
    // The page's own script only; no other origin may frame or feed it.
    page.headers["Content-Security-Policy"] =
        "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "frame-ancestors 'none'";
    return page;
  }
  auto arg = [&](const char* name) {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  };
  if (path == "/api/status") return status();
  if (path == "/api/reports") return reports();
  if (path == "/api/report") return report(arg("key"));
  if (path == "/api/history") return history(query);
  if (path == "/api/export" && query.count("format") && query.at("format") == "xlsx")
    return export_workbook(query);
  if (path == "/api/export") return export_report(query);
  if (path == "/api/conflicts") return conflicts();
  if (path == "/api/review") return review_list(query);
  return error(404, fmt::format("没有 GET {}", path));
}

UiResponse UiApi::post(const std::string& path, const json& body) {
  if (path == "/api/report/new") return create_report(body);
  if (path == "/api/cell") return set_cell(body);
  if (path == "/api/preview") return preview(body);
  if (path == "/api/row/add") return add_row(body);
  if (path == "/api/row/delete") return delete_row(body);
  if (path == "/api/resolve") return resolve(body);
  if (path == "/api/rejected") return settle_rejected(body);
  if (path == "/api/submit") return submit(body);
  if (path == "/api/review") return review_step(body);
  if (path == "/api/consolidate") return consolidate(body);
  return error(404, fmt::format("没有 POST {}", path));
}

UiResponse UiApi::status() {
  auto s = replica_.status();
  if (!s.ok()) return error(500, s.status().message());
  json out = status_fields(*s);
  auto role = replica_.setting("server.role");
  out["role"] = role.ok() ? *role : "";
  add_sync_status(replica_, clock_.now_ms(), out);
  return json_response(200, out);
}

UiResponse UiApi::reports() {
  auto list = replica_.reports();
  if (!list.ok()) return error(500, list.status().message());
  auto all = replica_.load_all();
  if (!all.ok()) return error(500, all.status().message());
  auto counts = counts_by_report(check_reports(*all, catalog_));
  json arr = json::array();
  for (const auto& s : *list) {
    const FormTemplate* form = catalog_.form(s.key.form);
    json line = report_summary_json(s);
    line["year"] = s.key.year;
    line["family"] = form ? form->family : "";
    line["errors"] = counts[s.key].errors;
    line["warnings"] = counts[s.key].warnings;
    line["last_edit_ms"] = s.last_edit ? s.last_edit->wall_ms : 0;
    line["last_edit"] = s.last_edit ? local_time(s.last_edit->wall_ms) : "";
    line["last_edit_by"] = s.last_edit_by;
    arr.push_back(std::move(line));
  }
  // The forms a new report can be made of, for the 新建空表 box's suggestions.
  json forms = json::array();
  for (const FormTemplate* f : catalog_.forms()) {
    forms.push_back(json{{"id", f->id},
                         {"title", f->display_name()},
                         {"family", f->family},
                         {"instances", f->instances}});
  }
  return json_response(200, json{{"reports", arr}, {"forms", forms}});
}

UiResponse UiApi::report(const std::string& key_text) {
  auto loaded = load_named(replica_, catalog_, key_text);
  if (auto* refused = std::get_if<UiResponse>(&loaded)) return *refused;
  auto& [key, r, form] = std::get<LoadedReport>(loaded);
  auto checked = check_one(replica_, catalog_, r);
  if (!checked.ok()) return error(500, checked.status().message());
  auto list = replica_.reports();
  if (!list.ok()) return error(500, list.status().message());
  sync::ReportState st = sync::ReportState::kDraft;
  json state{{"by", ""}, {"reason", ""}};
  for (const auto& s : *list) {
    if (s.key == key) {
      st = s.state;
      state = {{"by", s.state_by}, {"reason", s.state_reason}};
    }
  }
  json sections = json::array();
  for (const auto& sec : form->sections) {
    json columns = json::array();
    for (const auto& c : sec.columns) {
      columns.push_back({{"key", c.key},
                         {"label", c.label},
                         {"col_no", c.col_no},
                         {"type", std::string(column_type_name(c.type))},
                         {"computed", c.computed}});
    }
    // Fixed rows where the paper form prints them, filled or not; then the
    // rows the report itself has (codes, projects, indicators).
    json rows = json::array();
    std::set<std::string> shown;
    for (const auto& def : sec.rows) {
      const ReportRow* have = r.row(def.key);
      const ReportRow blank{def.key, sec.key, {}};
      rows.push_back(row_json(r, *form, catalog_, sec, have ? *have : blank));
      shown.insert(def.key);
    }
    for (const auto& row : r.rows) {
      if (row.section == sec.key && !shown.count(row.key))
        rows.push_back(row_json(r, *form, catalog_, sec, row));
    }
    sections.push_back({{"key", sec.key},
                        {"title", sec.title},
                        {"dynamic", sec.dynamic},
                        {"row_label", sec.row_label},
                        {"label_column", sec.label_column},
                        {"code_list", sec.code_list},
                        {"columns", columns},
                        {"rows", rows}});
  }
  return json_response(200, json{{"report", key.to_string()},
                                 {"title", form->display_name()},
                                 {"family", form->family},
                                 {"unit", unit_name(r.unit_in(*form))},
                                 {"state", sync::state_name(st)},
                                 {"state_by", state["by"]},
                                 {"state_reason", state["reason"]},
                                 {"locked", sync::is_locked(st)},
                                 {"consolidation_stale", consolidation_staleness(replica_, key)},
                                 {"sections", sections},
                                 {"findings", checked->findings},
                                 {"scores", checked->scores}});
}

UiResponse UiApi::history(const Query& query) {
  auto get = [&](const char* name) {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  };
  auto key = parse_report_key(get("key"));
  if (!key.ok()) return error(400, key.status().message());
  if (get("row").empty() || get("column").empty())
    return error(400, "请指明单元格：/api/history?key=报表&row=行&column=栏");
  auto entries = replica_.history(*key, get("row"), get("column"));
  if (!entries.ok()) return refusal(entries.status());
  json arr = json::array();
  std::optional<std::string> before;
  for (const auto& e : *entries) {
    arr.push_back({{"n", e.n},
                   {"before", before ? json(*before) : json(nullptr)},
                   {"value", e.value ? json(*e.value) : json(nullptr)},
                   {"author", e.author},
                   {"device", e.device.substr(0, 8)},
                   {"kind", std::string(sync::op_kind_name(e.kind))},
                   {"at", local_time(e.server_ms != 0 ? e.server_ms : e.hlc.wall_ms)},
                   {"synced", e.server_seq != 0}});
    before = e.value;
  }
  return json_response(200, json{{"report", key->to_string()},
                                 {"row", get("row")},
                                 {"column", get("column")},
                                 {"history", arr}});
}

UiResponse UiApi::export_report(const Query& query) {
  auto it = query.find("format");
  const std::string format = it == query.end() ? "html" : it->second;
  if (format != "csv" && format != "html")
    return error(400, fmt::format("不提供 {} 格式；请选 csv 或 html", format));
  auto k = query.find("key");
  auto loaded = load_named(replica_, catalog_, k == query.end() ? "" : k->second);
  if (auto* refused = std::get_if<UiResponse>(&loaded)) return *refused;
  auto& [key, r, form] = std::get<LoadedReport>(loaded);
  UiResponse out;
  std::string name = key.to_string();
  std::replace(name.begin(), name.end(), '/', '_');
  std::replace(name.begin(), name.end(), ':', '_');
  if (format == "csv") {
    out.content_type = "text/csv; charset=utf-8";
    // The table as it looks, with a byte-order mark so that Excel reads the
    // Chinese as UTF-8.
    out.body = render_report_table_csv(r, *form, catalog_);
    out.headers["Content-Disposition"] = fmt::format(
        "attachment; filename=\"{}.csv\"; filename*=UTF-8''{}.csv", name, ui::percent_encode(name));
  } else {
    out.content_type = "text/html; charset=utf-8";
    out.body = render_report_html(r, *form, catalog_);
    out.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'";
  }
  return out;
}

UiResponse UiApi::create_report(const json& body) {
  const std::string key_text = ui::text_field(body, "report");
  if (key_text.empty())
    return error(400, "请写明要新建的报表：{\"report\": \"单位/年度/表样[:项目]\"}");
  auto key = parse_report_key(key_text);
  if (!key.ok()) return error(400, key.status().message());
  if (Status s = replica_.create_report(*key); !s.ok()) return refusal(s);
  const FormTemplate* form = catalog_.form_for_year(key->form, key->year);
  return json_response(200, json{{"report", key->to_string()},
                                 {"title", form ? form->display_name() : key->form},
                                 {"created", true}});
}

UiResponse UiApi::set_cell(const json& body) {
  for (const char* field : {"report", "row", "column", "value"}) {
    if (!body.contains(field) || !body[field].is_string())
      return error(400, "请以文字发送 {\"report\", \"row\", \"column\", \"value\"}");
  }
  auto key = parse_report_key(ui::text_field(body, "report"));
  if (!key.ok()) return error(400, key.status().message());
  auto edit = replica_.set_cell(*key, ui::text_field(body, "row"), ui::text_field(body, "column"),
                                ui::text_field(body, "value"));
  if (!edit.ok()) return refusal(edit.status());
  return json_response(200, json{{"row", edit->row},
                                 {"column", edit->column},
                                 {"before", edit->before ? json(*edit->before) : json(nullptr)},
                                 {"after", edit->after}});
}

// The findings and scores the report would have with one cell changed,
// nothing saved: what the page shows while a number is being typed.
UiResponse UiApi::preview(const json& body) {
  auto loaded = load_named(replica_, catalog_, ui::text_field(body, "report"));
  if (auto* refused = std::get_if<UiResponse>(&loaded)) return *refused;
  auto& [key, r, form] = std::get<LoadedReport>(loaded);
  const std::string row_key = ui::text_field(body, "row");
  const std::string col_key = ui::text_field(body, "column");
  const std::string text = ui::text_field(body, "value");
  ReportRow* row = nullptr;
  for (auto& candidate : r.rows) {
    if (candidate.key == row_key) row = &candidate;
  }
  const Section* sec = row ? form->section(row->section) : form->section_for_row(row_key);
  if (!sec) return error(404, fmt::format("报表 {} 没有“{}”这一行", key.to_string(), row_key));
  const Column* col = sec->column(col_key);
  if (!col)
    return error(404, fmt::format("报表 {} 的这一部分没有“{}”栏", key.to_string(), col_key));
  auto value = parse_cell(text, col->type, r.unit_in(*form));
  if (!value.ok())
    return error(400, fmt::format("{} {}:{}: {}", key.to_string(), row_key, col->label,
                                  value.status().message()));
  if (!row) {
    r.rows.push_back({row_key, sec->key, {}});
    r.reindex();
    row = &r.rows.back();
  }
  row->cells.insert_or_assign(col->key, ReportCell{text, std::move(*value)});
  auto checked = check_one(replica_, catalog_, r);
  if (!checked.ok()) return error(500, checked.status().message());
  return json_response(200, json{{"report", key.to_string()},
                                 {"findings", checked->findings},
                                 {"scores", checked->scores}});
}

UiResponse UiApi::add_row(const json& body) {
  auto key = parse_report_key(ui::text_field(body, "report"));
  if (!key.ok()) return error(400, key.status().message());
  std::vector<std::pair<std::string, std::string>> cells;
  if (auto it = body.find("cells"); it != body.end() && it->is_object()) {
    for (const auto& [column, value] : it->items()) {
      if (!value.is_string()) return error(400, fmt::format("“{}”栏的值请以文字发送", column));
      cells.emplace_back(column, value.get<std::string>());
    }
  }
  auto row =
      replica_.add_row(*key, ui::text_field(body, "section"), ui::text_field(body, "after"), cells);
  if (!row.ok()) return refusal(row.status());
  return json_response(200, json{{"report", key->to_string()}, {"row", *row}});
}

UiResponse UiApi::delete_row(const json& body) {
  auto key = parse_report_key(ui::text_field(body, "report"));
  if (!key.ok()) return error(400, key.status().message());
  const std::string row = ui::text_field(body, "row");
  if (Status s = replica_.delete_row(*key, row); !s.ok()) return refusal(s);
  return json_response(200, json{{"report", key->to_string()}, {"row", row}, {"deleted", true}});
}

}  // namespace budgetsync::client
