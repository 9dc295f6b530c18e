#include "server/certificates.h"

#include <fmt/format.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <tuple>

#include "files/data_files.h"

namespace budgetsync::server {
namespace {

namespace fs = std::filesystem;

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

Key new_key() {
  return Key(EVP_EC_gen("P-256"));
}

bool add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

Cert new_cert(EVP_PKEY* key, const std::string& common_name, X509* issuer, long days) {
  Cert cert(X509_new());
  if (!cert) return nullptr;
  X509_set_version(cert.get(), 2);
  unsigned char serial_bytes[16];
  RAND_bytes(serial_bytes, sizeof serial_bytes);
  serial_bytes[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * days);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("budgetsync"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  return cert;
}

Status write_pem(const fs::path& path, bool is_private, const std::function<int(FILE*)>& write) {
  const mode_t old = umask(is_private ? 077 : 022);
  FILE* f = std::fopen(path.c_str(), "wx");  // never overwrite
  umask(old);
  if (!f) return Status::IoError(fmt::format("{}：无法建立文件（是否已存在？）", path.string()));
  const int ok = write(f);
  const bool closed = std::fclose(f) == 0;
  if (ok != 1 || !closed) return Status::IoError(fmt::format("{}：无法写入密钥", path.string()));
  return Status::Ok();
}

bool is_ip(const std::string& host) {
  return host.find_first_not_of("0123456789.") == std::string::npos ||
         host.find(':') != std::string::npos;
}

}  // namespace

Result<CertificateFiles> create_certificates(const fs::path& dir,
                                             const std::vector<std::string>& hosts) {
  CertificateFiles files{dir / "ca.pem", dir / "ca-key.pem", dir / "server.pem",
                         dir / "server-key.pem"};
  for (const auto& p : {files.ca_cert, files.ca_key, files.server_cert, files.server_key}) {
    std::error_code ec;
    if (fs::exists(p, ec))
      return Status::FailedPrecondition(fmt::format("{} 已存在，不会替换它", p.string()));
  }
  Key ca_key = new_key();
  Key server_key = new_key();
  if (!ca_key || !server_key) return Status::IoError("无法生成 EC P-256 密钥");
  Cert ca = new_cert(ca_key.get(), "budgetsync local CA", nullptr, 3650);
  if (!ca || !add_ext(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
      !add_ext(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !add_ext(ca.get(), ca.get(), NID_subject_key_identifier, "hash") ||
      X509_sign(ca.get(), ca_key.get(), EVP_sha256()) == 0) {
    return Status::IoError("无法生成根证书");
  }
  std::string san;
  for (const auto& h : hosts)
    san += fmt::format("{}{}:{}", san.empty() ? "" : ",", is_ip(h) ? "IP" : "DNS", h);
  Cert cert =
      new_cert(server_key.get(), hosts.empty() ? "localhost" : hosts.front(), ca.get(), 730);
  if (!cert || !add_ext(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_ext(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature") ||
      !add_ext(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth") ||
      (!san.empty() && !add_ext(cert.get(), ca.get(), NID_subject_alt_name, san)) ||
      X509_sign(cert.get(), ca_key.get(), EVP_sha256()) == 0) {
    return Status::IoError("无法生成服务器证书");
  }
  if (Status s = make_private_dir(dir); !s.ok()) return s;
  for (const auto& [path, priv, fn] :
       {std::tuple{files.ca_key, true, std::function<int(FILE*)>([&](FILE* f) {
                     return PEM_write_PrivateKey(f, ca_key.get(), nullptr, nullptr, 0, nullptr,
                                                 nullptr);
                   })},
        std::tuple{files.ca_cert, false,
                   std::function<int(FILE*)>([&](FILE* f) { return PEM_write_X509(f, ca.get()); })},
        std::tuple{files.server_key, true, std::function<int(FILE*)>([&](FILE* f) {
                     return PEM_write_PrivateKey(f, server_key.get(), nullptr, nullptr, 0, nullptr,
                                                 nullptr);
                   })},
        std::tuple{files.server_cert, false, std::function<int(FILE*)>([&](FILE* f) {
                     return PEM_write_X509(f, cert.get());
                   })}}) {
    if (Status s = write_pem(path, priv, fn); !s.ok()) return s;
  }
  return files;
}

}  // namespace budgetsync::server
