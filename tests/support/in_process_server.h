// The server's network face in this process: the real HttpsServer (and
// SyncService) over stores in a temporary folder, on 127.0.0.1, its io_context
// on a thread of its own — with a FakeClock the test moves and a password
// verifier the test may count or hold. For what the real program cannot be
// made to show: a token expiring, a login's KDF held mid-way.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "server/admin_store.h"
#include "server/certificates.h"
#include "server/https_server.h"
#include "server/sqlite_store.h"
#include "server/sync_service.h"
#include "sync/clock.h"

namespace budgetsync::testing {

class InProcessServer {
 public:
  // Stores in `dir`; `verify` checks passwords (verify_password when null).
  explicit InProcessServer(const std::filesystem::path& dir,
                           server::PasswordVerifier verify = nullptr)
      : dir_(dir), verify_(std::move(verify)) {}
  InProcessServer(const InProcessServer&) = delete;
  InProcessServer& operator=(const InProcessServer&) = delete;
  ~InProcessServer() { stop(); }

  // Opens the stores and makes the certificates: call before start(), then
  // add units and users through admin() while nothing serves yet.
  Status open() {
    auto certs = server::create_certificates(dir_ / "tls", {"localhost", "127.0.0.1"});
    if (!certs.ok()) return certs.status();
    certs_ = *certs;
    const std::string db = (dir_ / "server.db").string();
    auto store = server::SqliteServerStore::open(db, &clock_);
    if (!store.ok()) return store.status();
    store_ = std::move(*store);
    auto admin = server::AdminStore::open(db, verify_);
    if (!admin.ok()) return admin.status();
    admin_ = std::move(*admin);
    return Status::Ok();
  }

  // Serves on a free port; from here on only the server's thread touches the
  // stores. `options` may set the event log and limits; the certificate files
  // are filled in.
  Status start(server::HttpsOptions options = {}) {
    sync_ = std::make_unique<server::SyncService>(*admin_, *store_, clock_);
    sync_->set_event_log(options.log);
    options.cert_file = certs_.server_cert.string();
    options.key_file = certs_.server_key.string();
    server_ = std::make_unique<server::HttpsServer>(io_, *admin_, clock_, std::move(options),
                                                    sync_.get());
    if (Status s = server_->listen("127.0.0.1", 0); !s.ok()) return s;
    thread_ = std::thread([this] { io_.run(); });
    return Status::Ok();
  }

  void stop() {
    if (!thread_.joinable()) return;
    work_.reset();
    io_.stop();
    thread_.join();
    server_.reset();
  }

  server::AdminStore& admin() { return *admin_; }
  sync::FakeClock& clock() { return clock_; }
  int port() const { return server_->port(); }
  std::string ca() const { return certs_.ca_cert.string(); }
  // The server's certificate and key: what a relay in front of it presents.
  std::string server_cert() const { return certs_.server_cert.string(); }
  std::string server_key() const { return certs_.server_key.string(); }

  // Every entry of the server's log, read on the server's thread (which alone
  // touches the stores while serving), or on this one before start().
  Result<std::vector<sync::LogEntry>> log_entries() {
    auto read_all = [this]() -> Result<std::vector<sync::LogEntry>> {
      std::vector<sync::LogEntry> all;
      for (;;) {
        auto page = store_->read(all.empty() ? 0 : all.back().seq, 1000);
        if (!page.ok()) return page.status();
        if (page->empty()) return all;
        all.insert(all.end(), page->begin(), page->end());
      }
    };
    if (!thread_.joinable()) return read_all();
    std::promise<Result<std::vector<sync::LogEntry>>> done;
    auto answer = done.get_future();
    boost::asio::post(io_, [&] { done.set_value(read_all()); });
    return answer.get();
  }

 private:
  std::filesystem::path dir_;
  server::PasswordVerifier verify_;
  sync::FakeClock clock_;
  server::CertificateFiles certs_;
  std::unique_ptr<server::SqliteServerStore> store_;
  std::unique_ptr<server::AdminStore> admin_;
  std::unique_ptr<server::SyncService> sync_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::unique_ptr<server::HttpsServer> server_;
  std::thread thread_;
};

}  // namespace budgetsync::testing
