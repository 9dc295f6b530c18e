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
    api_ = std::make_unique<UiApi>(*replica_, catalog_, kPort, kToken);
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

}  // namespace
}  // namespace budgetsync::client
