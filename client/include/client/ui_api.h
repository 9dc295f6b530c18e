// The local JSON API the desktop UI speaks to (docs/ui-api.md), without
// sockets: a request in, a response out. The HTTP listener (ui_server.cpp)
// feeds it; tests call it directly.
//
// Only the user at this machine may use it: every request must carry the
// token made at start (cookie or header), name this listener in Host (no DNS
// rebinding), and, when it changes anything, come from this listener's own
// page (Origin). No CORS headers are ever sent.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "client/replica.h"
#include "shared/catalog.h"
#include "sync/clock.h"

namespace budgetsync::client {

struct UiRequest {
  std::string method;  // GET, POST
  std::string target;  // path and query: "/api/report?key=411325-ybj%2F2024%2Ffinal01"
  std::string host;    // the Host header
  std::string origin;  // the Origin header ("" when absent)
  std::string cookie;  // the Cookie header
  std::string token;   // the X-Budgetsync-Token header
  std::string body;
};

struct UiResponse {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::map<std::string, std::string> headers;  // extra headers (Set-Cookie, Location)
};

class UiApi {
 public:
  // `port`: where the listener is bound on 127.0.0.1, for the Host and Origin
  // checks. `token`: the secret of this start. `clock`: whether the sync
  // agent's heartbeat is fresh.
  UiApi(Replica& replica, const Catalog& catalog, uint16_t port, std::string token,
        sync::ClockSource& clock);

  UiResponse handle(const UiRequest& request);

  // The address to open: the page with the token, which it trades for a cookie.
  std::string start_url() const;

 private:
  using Query = std::map<std::string, std::string>;
  UiResponse route(const UiRequest& request, const std::string& path, const Query& query);
  UiResponse get(const std::string& path, const Query& query);
  UiResponse post(const std::string& path, const nlohmann::ordered_json& body);

  // Reading (ui_api.cpp).
  UiResponse status();
  UiResponse reports();
  UiResponse report(const std::string& key);
  UiResponse history(const Query& query);
  UiResponse export_report(const Query& query);
  // Excel (ui_api_excel.cpp): a report, or all, as a workbook; a workbook or
  // table CSV uploaded (the raw file as the body, its name in ?name=), previewed
  // with ?dry_run=1, else imported whole.
  UiResponse export_workbook(const Query& query);
  UiResponse import_table(const std::string& body, const Query& query);
  // Editing (ui_api.cpp).
  UiResponse create_report(const nlohmann::ordered_json& body);
  UiResponse set_cell(const nlohmann::ordered_json& body);
  UiResponse preview(const nlohmann::ordered_json& body);
  UiResponse add_row(const nlohmann::ordered_json& body);
  UiResponse delete_row(const nlohmann::ordered_json& body);
  // Conflicts and the review workflow (ui_api_review.cpp).
  UiResponse conflicts();
  UiResponse resolve(const nlohmann::ordered_json& body);
  UiResponse settle_rejected(const nlohmann::ordered_json& body);
  UiResponse submit(const nlohmann::ordered_json& body);
  UiResponse review_list(const Query& query);
  UiResponse review_step(const nlohmann::ordered_json& body);
  UiResponse consolidate(const nlohmann::ordered_json& body);

  Replica& replica_;
  const Catalog& catalog_;
  sync::ClockSource& clock_;
  uint16_t port_;
  std::string token_;
};

// "%2F" -> "/", "+" -> " "; malformed escapes are kept as they are.
std::string url_decode(const std::string& s);

}  // namespace budgetsync::client
