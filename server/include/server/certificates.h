// A self-signed certificate authority and a server certificate for the embedded
// default deployment: `budgetsync-server init` makes them so TLS works with no
// other setup, and prints the CA file clients must trust.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "shared/status.h"

namespace budgetsync::server {

struct CertificateFiles {
  std::filesystem::path ca_cert;      // give this to clients (--ca)
  std::filesystem::path ca_key;       // private, mode 0600
  std::filesystem::path server_cert;  // chain: server certificate
  std::filesystem::path server_key;   // private, mode 0600
};

// Creates an EC P-256 CA (valid 10 years) and a server certificate signed by
// it (valid 2 years) naming `hosts` (DNS names or IP addresses) in its subject
// alternative names. Refuses to overwrite existing files. Private keys are
// written with mode 0600.
Result<CertificateFiles> create_certificates(const std::filesystem::path& dir,
                                             const std::vector<std::string>& hosts);

}  // namespace budgetsync::server
