// The desktop UI's local JSON API without sockets: who may call it, and what
// the screens read and write through it.
#include "client/ui_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "files/data_files.h"
#include "sync/clock.h"
#include "sync/random.h"
#include "test_support.h"

namespace budgetsync::client {
namespace {

using nlohmann::json;

constexpr uint16_t kPort = 47001;
constexpr const char* kToken = "0123456789abcdef0123456789abcdef";
constexpr const char* kFinal02 = "411325-ybj/2024/final02";

class UiApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = load_catalog(budgetsync::testing::data_dir());
    ASSERT_TRUE(c.ok()) << c.status().message();
    catalog_ = std::move(*c);
    auto r =
        Replica::create((dir_.path() / "replica.db").string(),
                        {"411325-ybj", "内乡县医疗保障局", "王会计"}, catalog_, clock_, random_);
    ASSERT_TRUE(r.ok()) << r.status().message();
    replica_ = std::move(*r);
    auto text =
        read_file(budgetsync::testing::seeds_dir() / "003_b1779cbacafc7ee6" / "final02.json");
    ASSERT_TRUE(text.ok());
    auto report = parse_report(*text, "final02.json", catalog_);
    ASSERT_TRUE(report.ok());
    seed_value_ = report->cell("2101505", "total")->raw;
    ASSERT_TRUE(replica_->import_report(*report).ok());
    api_ = std::make_unique<UiApi>(*replica_, catalog_, kPort, kToken, clock_);
  }

  static UiRequest request(std::string method, std::string target, std::string body = "") {
    UiRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.host = "127.0.0.1:47001";
    r.cookie = std::string("theme=dark; bs_token=") + kToken;
    r.body = std::move(body);
    return r;
  }

  std::pair<int, json> call(const UiRequest& r) {
    const UiResponse out = api_->handle(r);
    return {out.status, json::parse(out.body, nullptr, false)};
  }

  UiRequest edit(const std::string& value) {
    UiRequest r = request(
        "POST", "/api/cell",
        json{{"report", kFinal02}, {"row", "2101505"}, {"column", "本年收入合计"}, {"value", value}}
            .dump());
    r.origin = "http://127.0.0.1:47001";
    return r;
  }

  UiRequest post(const std::string& path, const json& body) {
    UiRequest r = request("POST", path, body.dump());
    r.origin = "http://127.0.0.1:47001";
    return r;
  }

  void import_seed(const std::string& file) {
    auto text = read_file(budgetsync::testing::seeds_dir() / "003_b1779cbacafc7ee6" / file);
    ASSERT_TRUE(text.ok());
    auto report = parse_report(*text, file, catalog_);
    ASSERT_TRUE(report.ok()) << report.status().message();
    ASSERT_TRUE(replica_->import_report(*report).ok());
  }

  std::string stored() {
    auto r = replica_->load(*ReportKey::parse(kFinal02));
    const ReportCell* c = r.ok() ? r->cell("2101505", "total") : nullptr;
    return c ? c->raw : "<absent>";
  }

  budgetsync::testing::TempDir dir_;
  Catalog catalog_;
  sync::FakeClock clock_;
  sync::SeededRandom random_{7};
  std::unique_ptr<Replica> replica_;
  std::unique_ptr<UiApi> api_;
  std::string seed_value_;  // 2101505's 本年收入合计 as the seed has it
};

TEST_F(UiApiTest, TheStartLinkTradesItsTokenForACookieOnlyThisPageSends) {
  UiRequest open = request("GET", std::string("/?token=") + kToken);
  open.cookie.clear();
  const UiResponse r = api_->handle(open);
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.headers.at("Location"), "/");
  const std::string cookie = r.headers.at("Set-Cookie");
  EXPECT_NE(cookie.find(std::string("bs_token=") + kToken), std::string::npos);
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  UiRequest stale = request("GET", "/?token=0000");
  stale.cookie.clear();
  EXPECT_EQ(api_->handle(stale).status, 403);
}

TEST_F(UiApiTest, RequestsWithoutTheTokenFromAnotherHostOrOriginAreRefused) {
  UiRequest no_token = request("GET", "/api/reports");
  no_token.cookie = "bs_token=wrong";
  EXPECT_EQ(call(no_token).first, 403);
  UiRequest header = request("GET", "/api/reports");
  header.cookie.clear();
  header.token = kToken;
  EXPECT_EQ(call(header).first, 200);
  // DNS rebinding: a page of evil.example resolving to 127.0.0.1 sends its own Host.
  UiRequest rebound = request("GET", "/api/reports");
  rebound.host = "evil.example:47001";
  EXPECT_EQ(call(rebound).first, 421);
  UiRequest other_port = request("GET", "/api/reports");
  other_port.host = "127.0.0.1:8080";
  EXPECT_EQ(call(other_port).first, 421);
  // A change posted by another page is refused and changes nothing.
  UiRequest forged = edit("1.00");
  forged.origin = "http://evil.example";
  EXPECT_EQ(call(forged).first, 403);
  EXPECT_EQ(stored(), seed_value_);
  // No CORS: nothing invites another origin to read the answers.
  const UiResponse answer = api_->handle(request("GET", "/api/reports"));
  EXPECT_EQ(answer.headers.count("Access-Control-Allow-Origin"), 0u);
}

TEST_F(UiApiTest, TheReportListAndAReportCarryStatesLayoutValuesAndFindings) {
  auto [code, list] = call(request("GET", "/api/reports"));
  ASSERT_EQ(code, 200);
  ASSERT_EQ(list["reports"].size(), 1u);
  EXPECT_EQ(list["reports"][0]["report"], kFinal02);
  EXPECT_EQ(list["reports"][0]["family"], "决算");
  EXPECT_EQ(list["reports"][0]["state"], "draft");
  auto [rc, report] = call(request("GET", "/api/report?key=411325-ybj%2F2024%2Ffinal02"));
  ASSERT_EQ(rc, 200) << report.dump();
  EXPECT_EQ(report["unit"], "万元");
  const json& section = report["sections"][0];
  EXPECT_EQ(section["columns"][0]["key"], "name");
  bool found = false;
  for (const auto& row : section["rows"]) {
    if (row["key"] == "2101505") {
      found = true;
      EXPECT_EQ(row["cells"]["total"], seed_value_);
      EXPECT_FALSE(row["label"].get<std::string>().empty());
    }
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(report["findings"].empty()) << report["findings"].dump(2);
  EXPECT_EQ(call(request("GET", "/api/report?key=411325-ybj/2024/final99")).first, 404);
  EXPECT_EQ(call(request("GET", "/api/nothing")).first, 404);
}

TEST_F(UiApiTest, AnEditIsSavedTypeCheckedAndItsFindingShowsOnTheCell) {
  auto [code, done] = call(edit("1,200.00"));
  ASSERT_EQ(code, 200) << done.dump();
  EXPECT_EQ(done["before"], seed_value_);
  EXPECT_EQ(stored(), "1,200.00");
  // The parent rows no longer add up: the finding names this cell's row.
  auto [rc, report] = call(request("GET", std::string("/api/report?key=") + kFinal02));
  ASSERT_EQ(rc, 200);
  bool on_parent = false;
  for (const auto& f : report["findings"]) {
    if (f["row"] == "21015" || f["row"] == "2101505") on_parent = true;
  }
  EXPECT_TRUE(on_parent) << report["findings"].dump(2);
  // A non-numeric amount is refused with the reason and changes nothing.
  auto [bad, why] = call(edit("一千二"));
  EXPECT_EQ(bad, 400);
  EXPECT_NE(why["error"].get<std::string>().find("2101505"), std::string::npos) << why.dump();
  EXPECT_EQ(stored(), "1,200.00");
  EXPECT_EQ(call(request("POST", "/api/cell", "not json")).first, 400);
  auto [sc, status] = call(request("GET", "/api/status"));
  EXPECT_EQ(sc, 200);
  EXPECT_EQ(status["pending_ops"], 2);  // the import and the edit
}

TEST_F(UiApiTest, APreviewRecomputesFindingsAndScoresWithoutSavingAnything) {
  import_seed("perf-project_p03.json");
  const std::string p03 = "411325-ybj/2024/perf-project:p03";
  auto [code, before] = call(request("GET", "/api/report?key=" + p03));
  ASSERT_EQ(code, 200) << before.dump();
  auto rule_value = [](const json& report) {
    for (const auto& i : report["scores"]["items"]) {
      if (i["row"] == "funds_total") return i["computed"].get<std::string>();
    }
    return std::string("<none>");
  };
  EXPECT_EQ(rule_value(before), "10.00");  // 10 × 4.88 ÷ 4.88
  const int64_t pending = replica_->status()->pending_ops;
  auto [pc, half] =
      call(post("/api/preview",
                {{"report", p03}, {"row", "funds_total"}, {"column", "spent"}, {"value", "2.44"}}));
  ASSERT_EQ(pc, 200) << half.dump();
  EXPECT_EQ(rule_value(half), "5.00");
  EXPECT_EQ(replica_->status()->pending_ops, pending) << "a preview saves nothing";
  auto [again, after] = call(request("GET", "/api/report?key=" + p03));
  EXPECT_EQ(rule_value(after), "10.00");
  // Typed text that is not a number is named, not guessed at.
  auto [bad, why] =
      call(post("/api/preview",
                {{"report", p03}, {"row", "funds_total"}, {"column", "spent"}, {"value", "二"}}));
  EXPECT_EQ(bad, 400);
  EXPECT_NE(why["error"].get<std::string>().find("全年执行数"), std::string::npos) << why.dump();
}

TEST_F(UiApiTest, RowsAreAddedAndRemovedAndACellsHistoryReadsOldToNew) {
  import_seed("perf-project_p03.json");
  const std::string p03 = "411325-ybj/2024/perf-project:p03";
  auto [code, added] =
      call(post("/api/row/add", {{"report", p03},
                                 {"section", "indicators"},
                                 {"cells", {{"level3", "维修面积"}, {"weight", "5"}}}}));
  ASSERT_EQ(code, 200) << added.dump();
  const std::string row = added["row"];
  auto has_row = [&] {
    auto [rc, r] = call(request("GET", "/api/report?key=" + p03));
    for (const auto& sec : r["sections"]) {
      for (const auto& x : sec["rows"]) {
        if (x["key"] == row) return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(has_row());
  EXPECT_EQ(call(post("/api/row/delete", {{"report", p03}, {"row", row}})).first, 200);
  EXPECT_FALSE(has_row());
  // A fixed row is the form's, not the user's to remove.
  EXPECT_EQ(call(post("/api/row/delete", {{"report", p03}, {"row", "funds_total"}})).first, 409);

  ASSERT_EQ(call(edit("16.00")).first, 200);
  auto [hc, h] = call(
      request("GET", std::string("/api/history?key=") + kFinal02 + "&row=2101505&column=total"));
  ASSERT_EQ(hc, 200) << h.dump();
  ASSERT_EQ(h["history"].size(), 2u);
  EXPECT_EQ(h["history"][1]["before"], seed_value_);
  EXPECT_EQ(h["history"][1]["value"], "16.00");
  EXPECT_EQ(h["history"][1]["author"], "王会计");
  EXPECT_FALSE(h["history"][1]["synced"].get<bool>());
  EXPECT_EQ(call(request("GET", std::string("/api/history?key=") + kFinal02)).first, 400);
}

TEST_F(UiApiTest, ANewReportIsCreatedEmptyWithItsFixedRowsAndOnlyOnce) {
  const std::string key = "411325-ybj/2025/final01";
  auto [status, made] = call(post("/api/report/new", json{{"report", key}}));
  ASSERT_EQ(status, 200) << made.dump();
  EXPECT_EQ(made["report"], key);
  EXPECT_EQ(made["created"], true);
  auto [got, report] = call(request("GET", "/api/report?key=411325-ybj%2F2025%2Ffinal01"));
  ASSERT_EQ(got, 200) << report.dump();
  EXPECT_EQ(report["sections"][0]["rows"][0]["key"], "in_fiscal");
  EXPECT_EQ(report["sections"][0]["rows"][0]["cells"], json::object());
  // Made once: a second time is refused (409), as are forms that need more.
  auto [again, refused] = call(post("/api/report/new", json{{"report", key}}));
  EXPECT_EQ(again, 409);
  EXPECT_NE(refused["error"].get<std::string>().find("已在本副本中"), std::string::npos);
  EXPECT_EQ(call(post("/api/report/new", json{{"report", "411325-ybj/2025/nope"}})).first, 404);
  EXPECT_EQ(call(post("/api/report/new", json{{"report", "411325-ybj/2025/perf-project"}})).first,
            400);
  EXPECT_EQ(call(post("/api/report/new", json::object())).first, 400);
  auto [edited, cell] = call(
      post("/api/cell",
           json{{"report", key}, {"row", "in_fiscal"}, {"column", "决算数"}, {"value", "12.00"}}));
  EXPECT_EQ(edited, 200) << cell.dump();
}

TEST_F(UiApiTest, ExportsAreACsvDownloadAndAPrintablePage) {
  const UiResponse csv =
      api_->handle(request("GET", std::string("/api/export?format=csv&key=") + kFinal02));
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
  EXPECT_NE(csv.headers.at("Content-Disposition").find("411325-ybj_2024_final02.csv"),
            std::string::npos);
  EXPECT_NE(csv.body.find("2101505"), std::string::npos);
  const UiResponse html =
      api_->handle(request("GET", std::string("/api/export?format=html&key=") + kFinal02));
  ASSERT_EQ(html.status, 200);
  EXPECT_NE(html.body.find("收入决算表"), std::string::npos);
  EXPECT_EQ(
      api_->handle(request("GET", std::string("/api/export?format=pdf&key=") + kFinal02)).status,
      400);
}

TEST_F(UiApiTest, AReportIsAWorkbookDownloadAndAnUploadIsPreviewedBeforeItIsImported) {
  const UiResponse xlsx =
      api_->handle(request("GET", std::string("/api/export?format=xlsx&key=") + kFinal02));
  ASSERT_EQ(xlsx.status, 200) << xlsx.body;
  EXPECT_EQ(xlsx.content_type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  EXPECT_NE(xlsx.headers.at("Content-Disposition").find("411325-ybj_2024_final02.xlsx"),
            std::string::npos);
  EXPECT_EQ(xlsx.body.substr(0, 2), "PK");  // a zip package
  // The report's own workbook back: the preview names the sheet's report and
  // says the replica has it; the import is refused; nothing changes.
  auto [code, preview] =
      call(request("POST", "/api/import?dry_run=1&name=%E5%85%AC%E5%BC%8002.xlsx", xlsx.body));
  ASSERT_EQ(code, 200) << preview.dump();
  EXPECT_EQ(preview["file"], "公开02.xlsx");
  ASSERT_EQ(preview["sheets"].size(), 1u);
  EXPECT_EQ(preview["sheets"][0]["report"], kFinal02);
  ASSERT_EQ(preview["refusals"].size(), 1u);
  EXPECT_NE(preview["refusals"][0].get<std::string>().find("已在本副本中"), std::string::npos);
  EXPECT_EQ(call(request("POST", "/api/import?name=a.xlsx", xlsx.body)).first, 409);
  // What is not a workbook is refused by name.
  auto [bad, why] = call(request("POST", "/api/import?name=a.xlsx", "not a zip"));
  EXPECT_EQ(bad, 400);
  EXPECT_NE(why["error"].get<std::string>().find("a.xlsx"), std::string::npos) << why.dump();
  EXPECT_EQ(call(request("POST", "/api/import?name=a.docx", "x")).first, 400);
}

TEST_F(UiApiTest, SubmittingIsBlockedByErrorsAndLocksTheReportOnceAccepted) {
  ASSERT_EQ(call(edit("16.00")).first, 200);  // breaks 2101505's composition
  auto [code, blocked] = call(post("/api/submit", {{"report", kFinal02}}));
  ASSERT_EQ(code, 200) << blocked.dump();
  EXPECT_FALSE(blocked["submitted"].get<bool>());
  EXPECT_FALSE(blocked["errors"].empty());
  ASSERT_EQ(call(edit(seed_value_)).first, 200);
  auto [ok, submitted] = call(post("/api/submit", {{"report", kFinal02}}));
  ASSERT_EQ(ok, 200) << submitted.dump();
  EXPECT_TRUE(submitted["submitted"].get<bool>());
  auto [rc, report] = call(request("GET", std::string("/api/report?key=") + kFinal02));
  EXPECT_EQ(report["state"], "submitted");
  EXPECT_TRUE(report["locked"].get<bool>());
  // Locked: an edit is refused with 409 and changes nothing; so is a second submission.
  EXPECT_EQ(call(edit("1.00")).first, 409);
  EXPECT_EQ(stored(), seed_value_);
  EXPECT_EQ(call(post("/api/submit", {{"report", kFinal02}})).first, 409);
}

TEST_F(UiApiTest, StaffAreRefusedReviewStepsAndConsolidationAndBadStepsAreNamed) {
  ASSERT_TRUE(replica_->set_settings({{"server.role", "staff"}}).ok());
  ASSERT_EQ(call(post("/api/submit", {{"report", kFinal02}})).first, 200);
  auto [code, why] =
      call(post("/api/review", {{"report", kFinal02}, {"action", "approve"}, {"reason", ""}}));
  EXPECT_EQ(code, 409);
  EXPECT_NE(why["error"].get<std::string>().find("经办人"), std::string::npos) << why.dump();
  EXPECT_EQ(call(post("/api/review", {{"report", kFinal02}, {"action", "submit"}})).first, 400);
  EXPECT_EQ(call(post("/api/consolidate", {{"year", 2024}})).first, 409);
  EXPECT_EQ(call(post("/api/consolidate", {{"year", "2024"}})).first, 400);
  auto [lc, list] = call(request("GET", "/api/review?state=submitted"));
  ASSERT_EQ(lc, 200);
  ASSERT_EQ(list["reports"].size(), 1u);
  EXPECT_EQ(list["reports"][0]["state"], "submitted");
  EXPECT_EQ(call(request("GET", "/api/review?state=lost")).first, 400);
  // Nothing open to settle: the inbox is empty and a made-up settlement is refused.
  auto [cc, inbox] = call(request("GET", "/api/conflicts"));
  ASSERT_EQ(cc, 200);
  EXPECT_TRUE(inbox["conflicts"].empty());
  EXPECT_TRUE(inbox["rejected"].empty());
  EXPECT_EQ(
      call(post("/api/resolve",
                {{"report", kFinal02}, {"row", "2101505"}, {"column", "total"}, {"take", "abc:1"}}))
          .first,
      404);
  EXPECT_EQ(stored(), seed_value_);
  EXPECT_EQ(call(post("/api/rejected", {{"op", "abc:1"}, {"action", "keep"}})).first, 400);
}

}  // namespace
}  // namespace budgetsync::client
