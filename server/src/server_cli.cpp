#include "server/server_cli.h"

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "files/data_files.h"
#include "server/admin_store.h"
#include "server/certificates.h"
#include "server/credentials.h"
#include "server/https_server.h"
#include "server/sqlite_store.h"
#include "sync/protocol_version.h"

namespace budgetsync::server {
namespace {

namespace fs = std::filesystem;

constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;
constexpr int kExitBadInput = 2;

int fail(const Status& s) {
  fmt::print(stderr, "budgetsync-server: {}\n", s.message());
  return s.code() == StatusCode::kFailedPrecondition ? kExitRefused : kExitBadInput;
}

fs::path db_path(const std::string& data) {
  return fs::path(data) / "server.db";
}

Result<std::unique_ptr<AdminStore>> open_admin(const std::string& data) {
  std::error_code ec;
  if (!fs::exists(db_path(data), ec)) {
    return Status::NotFound(
        fmt::format("{}: no server store here (create one with `budgetsync-server init --data {}`)",
                    data, data));
  }
  return AdminStore::open(db_path(data).string());
}

// The password: typed at a prompt with echo off, or the first line of
// standard input when it is not a terminal. Never from the command line.
Result<std::string> read_password() {
  std::string line;
  if (isatty(STDIN_FILENO)) {
    fmt::print(stderr, "Password: ");
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::getline(std::cin, line);
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    fmt::print(stderr, "\n");
  } else {
    std::getline(std::cin, line);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.size() < 8)
    return Status::InvalidArgument("the password must have at least 8 characters");
  return line;
}

std::string local_time(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

int cmd_init(const std::string& data, const std::vector<std::string>& hosts) {
  std::error_code ec;
  if (fs::exists(db_path(data), ec)) {
    return fail(
        Status::FailedPrecondition(fmt::format("{}: a server store exists here already", data)));
  }
  if (Status s = make_private_dir(data); !s.ok()) return fail(s);
  auto certs = create_certificates(fs::path(data) / "tls", hosts);
  if (!certs.ok()) return fail(certs.status());
  auto sync_store = SqliteServerStore::open(db_path(data).string());
  if (!sync_store.ok()) return fail(sync_store.status());
  auto admin = AdminStore::open(db_path(data).string());
  if (!admin.ok()) return fail(admin.status());
  auto id = (*admin)->identity();
  if (!id.ok()) return fail(id.status());
  fmt::print("Created the server store {} (store {}).\n", db_path(data).string(), id->first);
  fmt::print("Clients must trust this certificate authority: {}\n",
             fs::absolute(certs->ca_cert).string());
  return kExitOk;
}

}  // namespace

int run_server_cli(int argc, char** argv) {
  CLI::App app{
      "budgetsync-server: the budgetsync sync server: its store, accounts and TLS listener"};
  app.set_version_flag(
      "--version", fmt::format("budgetsync-server 0.1.0 ({})", budgetsync::sync::protocol_name()));
  app.footer(
      "Exit status: 0 ok; 1 refused (exists already, not allowed); 2 usage error or bad input.");
  app.require_subcommand(1);
  std::string data;
  app.add_option("--data", data, "The server's data folder")->required();

  auto* init =
      app.add_subcommand("init", "Create the store and a self-signed CA and server certificate.");
  std::vector<std::string> hosts{"localhost", "127.0.0.1"};
  init->add_option("--host", hosts, "Host names and addresses the certificate names")
      ->capture_default_str();

  auto* unit = app.add_subcommand("unit", "Manage units.");
  unit->require_subcommand(1);
  auto* unit_add = unit->add_subcommand("add", "Add a unit.");
  std::string code, name, parent;
  unit_add->add_option("CODE", code, "Unit code, e.g. 411325-ybj")->required();
  unit_add->add_option("NAME", name, "Unit name")->required();
  unit_add->add_option("--parent", parent, "The unit it belongs to");

  auto* user = app.add_subcommand("user", "Manage users.");
  user->require_subcommand(1);
  auto* user_add = user->add_subcommand(
      "add", "Add a user; the password is read from standard input or a prompt.");
  std::string user_name, role_text, user_unit;
  user_add->add_option("NAME", user_name, "User name")->required();
  user_add->add_option("--role", role_text, "staff, reviewer or admin")->required();
  user_add->add_option("--unit", user_unit, "The user's unit")->required();
  auto* user_disable = user->add_subcommand("disable", "Disable a user and revoke their tokens.");
  user_disable->add_option("NAME", user_name, "User name")->required();

  auto* token = app.add_subcommand("token", "Manage session tokens.");
  token->require_subcommand(1);
  auto* token_revoke = token->add_subcommand("revoke", "Revoke every token of a user.");
  token_revoke->add_option("--user", user_name, "User name")->required();

  auto* run = app.add_subcommand(
      "run",
      "Serve HTTPS (/healthz, /metrics, /api/login) and the sync WebSocket (/sync) "
      "until SIGINT or SIGTERM.");
  std::string listen = "127.0.0.1:8443";
  run->add_option("--listen", listen, "HOST:PORT to listen on (port 0 picks a free one)")
      ->capture_default_str();
  std::string data_dir;
  run->add_option("--forms", data_dir,
                  "Folder holding the form templates (forms/) and code lists (codes/) that "
                  "submissions are validated against; default: $BUDGETSYNC_DATA_DIR, the "
                  "installed share folder, or the source tree's shared/data");

  auto* device = app.add_subcommand("device", "Devices that have synced.");
  device->require_subcommand(1);
  auto* device_list =
      device->add_subcommand("list", "List devices with their user and when they were last seen.");

  auto* audit = app.add_subcommand("audit", "The tamper-evident chain over the operation log.");
  audit->require_subcommand(1);
  auto* audit_verify = audit->add_subcommand(
      "verify", "Check every log entry against its hash link; name the first that does not match.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitBadInput;
  }
  if (*init) return cmd_init(data, hosts);
  auto admin = open_admin(data);
  if (!admin.ok()) return fail(admin.status());
  AdminStore& store = **admin;
  if (*run) {
    const auto colon = listen.rfind(':');
    int port = -1;
    if (colon != std::string::npos) {
      try {
        port = std::stoi(listen.substr(colon + 1));
      } catch (const std::exception&) {
        port = -1;
      }
    }
    if (colon == std::string::npos || port < 0 || port > 65535) {
      return fail(Status::InvalidArgument(fmt::format("--listen “{}” is not HOST:PORT", listen)));
    }
    sync::SystemClock clock;
    auto sync_store = SqliteServerStore::open(db_path(data).string());
    if (!sync_store.ok()) return fail(sync_store.status());
    auto catalog = load_catalog(data_dir.empty() ? default_data_dir(argv[0]) : fs::path(data_dir));
    if (!catalog.ok()) return fail(catalog.status());
    const EventLog log(clock, EventLog::standard_error());
    SyncOptions sync_options;
    sync_options.catalog = &*catalog;
    SyncService sync(store, **sync_store, clock, sync_options);
    sync.set_event_log(log);
    HttpsOptions options;
    options.log = log;
    options.cert_file = (fs::path(data) / "tls" / "server.pem").string();
    options.key_file = (fs::path(data) / "tls" / "server-key.pem").string();
    Status s = serve_until_signal(store, sync, clock, options, listen.substr(0, colon),
                                  static_cast<uint16_t>(port), [&](uint16_t bound) {
                                    fmt::print("listening on https://{}:{}\n",
                                               listen.substr(0, colon), bound);
                                    std::fflush(stdout);
                                  });
    if (!s.ok()) return fail(s);
    fmt::print("stopped\n");
    return kExitOk;
  }
  if (*unit_add) {
    if (Status s = store.add_unit(code, name, parent); !s.ok()) return fail(s);
    fmt::print("Added unit {} {}.\n", code, name);
    return kExitOk;
  }
  if (*user_add) {
    auto role = parse_role(role_text);
    if (!role.ok()) return fail(role.status());
    auto password = read_password();
    if (!password.ok()) return fail(password.status());
    auto hash = hash_password(*password);
    if (!hash.ok()) return fail(hash.status());
    if (Status s = store.add_user({user_name, *role, user_unit, false}, *hash); !s.ok())
      return fail(s);
    fmt::print("Added {} {} of unit {}.\n", role_name(*role), user_name, user_unit);
    return kExitOk;
  }
  if (*user_disable) {
    if (Status s = store.disable_user(user_name); !s.ok()) return fail(s);
    fmt::print("Disabled {}; their tokens are revoked.\n", user_name);
    return kExitOk;
  }
  if (*token_revoke) {
    auto n = store.revoke_tokens(user_name);
    if (!n.ok()) return fail(n.status());
    fmt::print("Revoked {} token(s) of {}.\n", *n, user_name);
    return kExitOk;
  }
  if (*audit_verify) {
    auto sync_store = SqliteServerStore::open(db_path(data).string());
    if (!sync_store.ok()) return fail(sync_store.status());
    auto check = (*sync_store)->verify_audit();
    if (!check.ok()) return fail(check.status());
    if (check->broken_seq != 0) {
      fmt::print(stderr,
                 "budgetsync-server: the audit chain is broken at log entry {}: {}. Entries "
                 "before it ({} checked) are intact; restore the store from a backup taken "
                 "before the change, or investigate who wrote to {} directly.\n",
                 check->broken_seq, check->problem, check->entries, db_path(data).string());
      return kExitRefused;
    }
    if (check->entries == 0) {
      fmt::print("The log has no audited entries yet.\n");
    } else {
      fmt::print("The audit chain is intact: {} entries, from log entry {}.\n", check->entries,
                 check->first_seq);
    }
    if (check->unaudited > 0) {
      fmt::print("{} earlier entries were logged before this server kept an audit chain.\n",
                 check->unaudited);
    }
    return kExitOk;
  }
  if (*device_list) {
    auto devices = store.devices();
    if (!devices.ok()) return fail(devices.status());
    for (const auto& d : *devices) {
      fmt::print("{}  {}  first seen {}  last seen {}\n", d.id, d.user, local_time(d.first_seen_ms),
                 local_time(d.last_seen_ms));
    }
    if (devices->empty()) fmt::print("No device has synced yet.\n");
    return kExitOk;
  }
  return kExitBadInput;
}

}  // namespace budgetsync::server
