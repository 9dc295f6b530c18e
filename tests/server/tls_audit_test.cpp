// The real budgetsync-server's TLS as an auditor sees it: testssl (Debian's
// testssl.sh, installed by scripts/setup) run against it on loopback, its JSON
// findings checked. Fails on any CBC suite, a suite without forward secrecy,
// the client choosing the order, LUCKY13 not OK, a TLS 1.2 session ticket, or
// a protocol older than TLS 1.2. docs/security.md records what it finds.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../support/processes.h"

namespace budgetsync::testing {
namespace {

constexpr const char* kTestssl = "/usr/bin/testssl";

// testssl's flat JSON: one object per finding, {id, severity, finding, ...}.
// Ids that repeat (per-protocol lines) keep their first finding.
std::map<std::string, nlohmann::json> findings_by_id(const std::filesystem::path& file) {
  std::ifstream in(file);
  const auto all = nlohmann::json::parse(in, nullptr, false);
  std::map<std::string, nlohmann::json> out;
  if (!all.is_array()) return out;
  for (const auto& f : all) {
    if (f.is_object() && f.contains("id")) out.emplace(f["id"].get<std::string>(), f);
  }
  return out;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// An AEAD suite with an ephemeral key exchange, by its OpenSSL name. TLS 1.3's
// suites (TLS_AES_..., TLS_CHACHA20_...) are all of that kind.
bool aead_with_forward_secrecy(const std::string& suite) {
  if (starts_with(suite, "TLS_")) return true;
  const bool ephemeral = starts_with(suite, "ECDHE-") || starts_with(suite, "DHE-");
  const bool aead = suite.find("-GCM-") != std::string::npos ||
                    suite.find("CHACHA20-POLY1305") != std::string::npos ||
                    suite.find("-CCM") != std::string::npos;
  return ephemeral && aead;
}

TEST(TlsAudit, TestsslFindsOnlyAeadSuitesInTheServersOrderAndNoTickets) {
  if (!std::filesystem::exists(kTestssl)) {
    GTEST_SKIP() << kTestssl << " is missing: run scripts/setup (it installs testssl.sh)";
  }
  TempDir dir;
  ServerProcess server(dir.path());
  ASSERT_EQ(server.admin({"init"}).exit_code, 0);
  ASSERT_TRUE(server.start()) << server.error();

  const auto report = dir.path() / "testssl.json";
  // Only the checks needed, on 127.0.0.1 only: no DNS beyond the minimum, no
  // CRL or OCSP fetches (testssl phones out only with --phone-out).
  const CliResult run = run_program(
      kTestssl, {"--quiet", "--color", "0", "--warnings", "off", "--ip", "127.0.0.1", "--nodns",
                 "min", "--openssl", "/usr/bin/openssl", "--connect-timeout", "10",
                 "--openssl-timeout", "10", "--jsonfile", report.string(),
                 "--protocols", "--std", "--server-preference", "--server-defaults", "--lucky13",
                 "127.0.0.1:" + std::to_string(server.port())});
  auto f = findings_by_id(report);
  ASSERT_FALSE(f.empty()) << "testssl wrote no findings (exit " << run.exit_code << "):\n"
                          << run.out << run.err;
  auto finding = [&](const std::string& id) {
    auto it = f.find(id);
    return it == f.end() ? std::string("(missing)") : it->second["finding"].get<std::string>();
  };
  auto severity = [&](const std::string& id) {
    auto it = f.find(id);
    return it == f.end() ? std::string("(missing)") : it->second["severity"].get<std::string>();
  };

  // Protocols: TLS 1.2 and 1.3 only.
  for (const char* old : {"SSLv2", "SSLv3", "TLS1", "TLS1_1"}) {
    EXPECT_TRUE(starts_with(finding(old), "not offered")) << old << ": " << finding(old);
  }
  // Cipher categories: "Obsolete CBC ciphers" (AVERAGE) and every weaker one absent.
  for (const char* weak : {"cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT",
                           "cipherlist_LOW", "cipherlist_3DES_IDEA", "cipherlist_AVERAGE"}) {
    EXPECT_TRUE(starts_with(finding(weak), "not offered")) << weak << ": " << finding(weak);
  }
  // The server's order, and every suite it offers AEAD with forward secrecy.
  EXPECT_EQ(finding("cipher_order"), "server") << severity("cipher_order");
  for (const char* proto : {"cipherorder_TLSv1_2", "cipherorder_TLSv1_3"}) {
    ASSERT_NE(finding(proto), "(missing)") << proto << ": no server order listed";
    std::istringstream suites(finding(proto));
    int count = 0;
    for (std::string suite; suites >> suite; ++count) {
      EXPECT_TRUE(aead_with_forward_secrecy(suite)) << proto << " offers " << suite;
    }
    EXPECT_GT(count, 0) << proto;
  }
  EXPECT_EQ(severity("LUCKY13"), "OK") << finding("LUCKY13");
  // No TLS 1.2 session ticket (RFC 5077), so no ticket resumption either.
  EXPECT_TRUE(starts_with(finding("TLS_session_ticket"), "no")) << finding("TLS_session_ticket");
  EXPECT_EQ(finding("sessionresumption_ticket"), "not supported");
  EXPECT_EQ(server.stop(), 0);
  if (HasFailure()) std::cerr << "testssl said:\n" << run.out << run.err;
}

}  // namespace
}  // namespace budgetsync::testing
