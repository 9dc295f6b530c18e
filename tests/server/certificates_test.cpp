#include "server/certificates.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>

#include "../client/test_support.h"

namespace budgetsync::server {
namespace {

using budgetsync::testing::TempDir;

X509* read_cert(const std::filesystem::path& p) {
  FILE* f = std::fopen(p.c_str(), "r");
  if (!f) return nullptr;
  X509* c = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  return c;
}

TEST(Certificates, TheServerCertificateVerifiesAgainstTheNewCaForItsHosts) {
  TempDir dir;
  auto files = create_certificates(dir.path() / "tls", {"localhost", "127.0.0.1"});
  ASSERT_TRUE(files.ok()) << files.status().message();
  X509* ca = read_cert(files->ca_cert);
  X509* cert = read_cert(files->server_cert);
  ASSERT_NE(ca, nullptr);
  ASSERT_NE(cert, nullptr);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, nullptr);
  EXPECT_EQ(X509_verify_cert(ctx), 1)
      << X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
  EXPECT_EQ(X509_check_host(cert, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
  EXPECT_NE(X509_check_host(cert, "example.org", 0, 0, nullptr), 1);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(cert);
  X509_free(ca);
  struct stat st {};
  ASSERT_EQ(stat(files->server_key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(files->ca_key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Certificates, ExistingFilesAreNeverReplaced) {
  TempDir dir;
  ASSERT_TRUE(create_certificates(dir.path(), {"localhost"}).ok());
  auto again = create_certificates(dir.path(), {"localhost"});
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("已存在，不会替换"), std::string::npos);
}

}  // namespace
}  // namespace budgetsync::server
