#include "client/ui_api.h"

#include <fmt/format.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "client/cli_sync.h"
#include "client/report_view.h"
#include "client/ui_assets.h"
#include "shared/check.h"

namespace budgetsync::client {
namespace {

using json = nlohmann::ordered_json;

UiResponse json_response(int status, const json& body) {
  UiResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

UiResponse error(int status, const std::string& message) {
  return json_response(status, json{{"error", message}});
}

// The HTTP status for a refused request, from the replica's answer.
int status_for(const Status& s) {
  switch (s.code()) {
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      return 400;
    default:
      return 500;
  }
}

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

json finding_json(const Finding& f) {
  return {{"rule", f.rule_id},   {"severity", std::string(severity_name(f.severity))},
          {"row", f.row},        {"column", f.column},
          {"stated", f.stated},  {"expected", f.expected},
          {"message", f.message}};
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

UiApi::UiApi(Replica& replica, const Catalog& catalog, uint16_t port, std::string token)
    : replica_(replica), catalog_(catalog), port_(port), token_(std::move(token)) {}

std::string UiApi::start_url() const {
  return fmt::format("http://127.0.0.1:{}/?token={}", port_, token_);
}

UiResponse UiApi::handle(const UiRequest& request) {
  // A page elsewhere that resolves its own name to 127.0.0.1 still sends its
  // own name as Host: refuse anything but this listener's.
  if (request.host != fmt::format("127.0.0.1:{}", port_) &&
      request.host != fmt::format("localhost:{}", port_)) {
    return error(421,
                 fmt::format("this is budgetsync's local UI; open http://127.0.0.1:{}/", port_));
  }
  const size_t q = request.target.find('?');
  const std::string path = request.target.substr(0, q);
  const auto query = parse_query(q == std::string::npos ? "" : request.target.substr(q + 1));
  // Opening the start URL trades the token in it for a cookie only this
  // listener's pages send back.
  if (request.method == "GET" && path == "/" && query.count("token")) {
    if (!same_secret(query.at("token"), token_)) return error(403, "this link is out of date");
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
    return error(403, "open the address `budgetsync ui` printed (it carries this start's key)");
  }
  if (request.method != "GET" && !request.origin.empty() &&
      request.origin != fmt::format("http://127.0.0.1:{}", port_) &&
      request.origin != fmt::format("http://localhost:{}", port_)) {
    return error(403, "changes are accepted only from budgetsync's own page");
  }
  return route(request, path, query);
}

UiResponse UiApi::route(const UiRequest& request, const std::string& path,
                        const std::map<std::string, std::string>& query) {
  if (request.method == "GET" && (path == "/" || path == "/index.html")) {
    UiResponse page;
    page.content_type = "text/html; charset=utf-8";
    page.body = std::string(ui_index_html());
    // The page's own script only; no other origin may frame or feed it.
    page.headers["Content-Security-Policy"] =
        "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "frame-ancestors 'none'";
    return page;
  }
  if (request.method == "GET" && path == "/api/status") return status();
  if (request.method == "GET" && path == "/api/reports") return reports();
  if (request.method == "GET" && path == "/api/report") {
    auto key = query.find("key");
    if (key == query.end()) return error(400, "name the report: /api/report?key=UNIT/YEAR/FORM");
    return report(key->second);
  }
  if (request.method == "POST" && path == "/api/cell") return set_cell(request.body);
  return error(404, fmt::format("no {} {}", request.method, path));
}

UiResponse UiApi::status() {
  auto s = replica_.status();
  if (!s.ok()) return error(500, s.status().message());
  json out = status_fields(*s);
  add_sync_status(replica_, out);
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
    arr.push_back({{"report", s.key.to_string()},
                   {"family", form ? form->family : ""},
                   {"title", s.form_title},
                   {"name", s.name},
                   {"state", s.state},
                   {"state_reason", s.state_reason},
                   {"errors", counts[s.key].errors},
                   {"warnings", counts[s.key].warnings},
                   {"last_edit_ms", s.last_edit ? s.last_edit->wall_ms : 0},
                   {"last_edit_by", s.last_edit_by}});
  }
  return json_response(200, json{{"reports", arr}});
}

UiResponse UiApi::report(const std::string& key_text) {
  auto key = ReportKey::parse(key_text);
  if (!key.ok()) return error(400, key.status().message());
  auto r = replica_.load(*key);
  if (!r.ok()) return error(status_for(r.status()), r.status().message());
  const FormTemplate* form = catalog_.form(key->form, r->template_version);
  if (!form) return error(404, fmt::format("form {} is not known", key->form));
  auto all = replica_.load_all();
  if (!all.ok()) return error(500, all.status().message());
  json findings = json::array();
  for (const auto& f : check_reports(*all, catalog_).findings) {
    if (f.report == *key) findings.push_back(finding_json(f));
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
    json rows = json::array();
    for (const auto& row : r->rows) {
      if (row.section != sec.key) continue;
      json cells = json::object();
      for (const auto& [col, cell] : row.cells) cells[col] = cell.raw;
      rows.push_back({{"key", row.key},
                      {"label", row_display_label(*r, *form, catalog_, row)},
                      {"cells", cells}});
    }
    sections.push_back({{"key", sec.key},
                        {"title", sec.title},
                        {"dynamic", sec.dynamic},
                        {"columns", columns},
                        {"rows", rows}});
  }
  return json_response(200, json{{"report", key->to_string()},
                                 {"title", form->display_name()},
                                 {"unit", form->unit == MoneyUnit::kWanYuan ? "万元" : "元"},
                                 {"sections", sections},
                                 {"findings", findings}});
}

UiResponse UiApi::set_cell(const std::string& body) {
  const json in = json::parse(body, nullptr, false);
  if (!in.is_object() || !in["report"].is_string() || !in["row"].is_string() ||
      !in["column"].is_string() || !in["value"].is_string()) {
    return error(400, "send {\"report\", \"row\", \"column\", \"value\"} as strings");
  }
  auto key = ReportKey::parse(in["report"].get<std::string>());
  if (!key.ok()) return error(400, key.status().message());
  auto edit = replica_.set_cell(*key, in["row"].get<std::string>(), in["column"].get<std::string>(),
                                in["value"].get<std::string>());
  if (!edit.ok()) return error(status_for(edit.status()), edit.status().message());
  return json_response(200, json{{"row", edit->row},
                                 {"column", edit->column},
                                 {"before", edit->before ? json(*edit->before) : json(nullptr)},
                                 {"after", edit->after}});
}

}  // namespace budgetsync::client
