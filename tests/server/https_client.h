// A small blocking HTTPS client over OpenSSL for the server tests: one
// request per fresh connection, the server verified against a CA file.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace budgetsync::testing {

inline int connect_loopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{5,
             0};  // a bound on every read, so a silent server fails the test instead of hanging it
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

struct HttpReply {
  int status = 0;
  std::string headers;  // the status line and header lines, CRLF after each
  std::string body;
  bool tls_ok = false;

  // A header's value ("" when absent); `name` as the server spells it.
  std::string header(const std::string& name) const {
    const std::string key = "\r\n" + name + ": ";
    const auto p = headers.find(key);
    if (p == std::string::npos) return "";
    const auto start = p + key.size();
    return headers.substr(start, headers.find("\r\n", start) - start);
  }
};

// One HTTPS request over a fresh connection, verifying the server against `ca`.
inline HttpReply https(int port, const std::string& ca, const std::string& request, int max_tls = 0) {
  HttpReply reply;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (max_tls) SSL_CTX_set_max_proto_version(ctx, max_tls);
  SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  const int fd = connect_loopback(port);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set1_host(ssl, "localhost");
  SSL_set_tlsext_host_name(ssl, "localhost");
  if (fd >= 0 && SSL_connect(ssl) == 1) {
    reply.tls_ok = true;
    SSL_write(ssl, request.data(), static_cast<int>(request.size()));
    std::string raw;
    char buf[4096];
    for (int n; (n = SSL_read(ssl, buf, sizeof buf)) > 0;) raw.append(buf, static_cast<size_t>(n));
    if (raw.size() > 12) reply.status = std::stoi(raw.substr(9, 3));
    if (auto p = raw.find("\r\n\r\n"); p != std::string::npos) {
      reply.headers = raw.substr(0, p + 2);
      reply.body = raw.substr(p + 4);
    }
  }
  SSL_free(ssl);
  if (fd >= 0) close(fd);
  SSL_CTX_free(ctx);
  return reply;
}

inline std::string request(const std::string& method, const std::string& target,
                    const std::string& body = "") {
  return method + " " + target +
         " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace budgetsync::testing
