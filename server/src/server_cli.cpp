#include "server/server_cli.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "cli/chinese_cli.h"
#include "cli/terminal.h"
#include "files/data_files.h"
#include "server/admin_store.h"
#include "server/certificates.h"
#include "server/credentials.h"
#include "server/https_server.h"
#include "server/sqlite_store.h"
#include "shared/local_time.h"
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
    return Status::NotFound(fmt::format(
        "{}：这里没有服务器数据库（可用 `budgetsync-server --data {} init` 建立）", data, data));
  }
  return AdminStore::open(db_path(data).string());
}

// The password: typed at a prompt with echo off, or the first line of
// standard input when it is not a terminal. Never from the command line.
Result<std::string> read_password() {
  std::string line = read_secret_line("Password: ");
  if (line.size() < 8) return Status::InvalidArgument("密码至少要有 8 个字符");
  return line;
}

int cmd_init(const std::string& data, const std::vector<std::string>& hosts) {
  std::error_code ec;
  if (fs::exists(db_path(data), ec)) {
    return fail(Status::FailedPrecondition(fmt::format("{}：这里已经有服务器数据库了", data)));
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
  fmt::print("已建立服务器数据库 {}（库编号 {}）。\n", db_path(data).string(), id->first);
  fmt::print("客户端必须信任这个根证书：{}\n", fs::absolute(certs->ca_cert).string());
  return kExitOk;
}

}  // namespace

int run_server_cli(int argc, char** argv) {
  CLI::App app{"budgetsync-server：budgetsync 同步服务器（数据库、账号和 TLS 服务）"};
  use_chinese_help(app);
  use_chinese_usage_errors(app, "budgetsync-server");
  app.set_version_flag(
      "--version", fmt::format("budgetsync-server 0.1.0 ({})", budgetsync::sync::protocol_name()),
      "显示版本号并退出");
  app.footer("退出码：0 成功；1 被拒绝（已存在、不允许）；2 用法错误或输入有误。");
  app.require_subcommand(1);
  std::string data;
  app.add_option("--data", data, "服务器的数据目录")->required();

  auto* init = app.add_subcommand("init", "建立数据库，以及自签名的根证书和服务器证书。");
  std::vector<std::string> hosts{"localhost", "127.0.0.1"};
  init->add_option("--host", hosts, "证书上写明的主机名和地址")->capture_default_str();

  auto* unit = app.add_subcommand("unit", "管理单位。");
  unit->require_subcommand(1);
  auto* unit_add = unit->add_subcommand("add", "新增单位。");
  std::string code, name, parent;
  unit_add->add_option("CODE", code, "单位代码，例如 411325-ybj")->required();
  unit_add->add_option("NAME", name, "单位名称")->required();
  unit_add->add_option("--parent", parent, "所属的上级单位");

  auto* user = app.add_subcommand("user", "管理用户。");
  user->require_subcommand(1);
  auto* user_add = user->add_subcommand("add", "新增用户；密码从标准输入或提示处读取。");
  std::string user_name, role_text, user_unit;
  user_add->add_option("NAME", user_name, "用户名")->required();
  user_add->add_option("--role", role_text, "staff（经办人）、reviewer（审核人）或 admin（管理员）")
      ->required();
  user_add->add_option("--unit", user_unit, "用户所属单位")->required();
  auto* user_disable = user->add_subcommand("disable", "停用用户并吊销其全部登录凭据。");
  user_disable->add_option("NAME", user_name, "用户名")->required();

  auto* token = app.add_subcommand("token", "管理登录凭据。");
  token->require_subcommand(1);
  auto* token_revoke = token->add_subcommand("revoke", "吊销一个用户的全部登录凭据。");
  token_revoke->add_option("--user", user_name, "用户名")->required();

  auto* run = app.add_subcommand(
      "run",
      "提供 HTTPS 服务（/healthz、/metrics、/api/login）和同步 WebSocket（/sync），"
      "直到收到 SIGINT 或 SIGTERM。");
  std::string listen = "127.0.0.1:8443";
  run->add_option("--listen", listen, "监听的 主机:端口（端口为 0 时自动选一个空闲端口）")
      ->capture_default_str();
  std::string data_dir;
  run->add_option("--forms", data_dir,
                  "存放表样（forms/）和代码表（codes/）的目录，上报时按它们校验；默认依次为 "
                  "$BUDGETSYNC_DATA_DIR、安装的 share 目录、源码树的 shared/data");

  auto* device = app.add_subcommand("device", "同步过的设备。");
  device->require_subcommand(1);
  auto* device_list = device->add_subcommand("list", "列出设备、其用户以及最近一次出现的时间。");

  auto* audit = app.add_subcommand("audit", "操作日志的防篡改哈希链。");
  audit->require_subcommand(1);
  auto* audit_verify =
      audit->add_subcommand("verify", "逐条核对日志与其哈希链接；指出第一条对不上的记录。");

  finish_chinese_help(app);
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
      return fail(
          Status::InvalidArgument(fmt::format("--listen “{}” 不是 主机:端口 的形式", listen)));
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
    fmt::print("已停止\n");
    return kExitOk;
  }
  if (*unit_add) {
    if (Status s = store.add_unit(code, name, parent); !s.ok()) return fail(s);
    fmt::print("已新增单位 {} {}。\n", code, name);
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
    fmt::print("已新增单位 {} 的{} {}。\n", user_unit, role_label(*role), user_name);
    return kExitOk;
  }
  if (*user_disable) {
    if (Status s = store.disable_user(user_name); !s.ok()) return fail(s);
    fmt::print("已停用 {}，其登录凭据已全部吊销。\n", user_name);
    return kExitOk;
  }
  if (*token_revoke) {
    auto n = store.revoke_tokens(user_name);
    if (!n.ok()) return fail(n.status());
    fmt::print("已吊销 {} 的 {} 个登录凭据。\n", user_name, *n);
    return kExitOk;
  }
  if (*audit_verify) {
    auto sync_store = SqliteServerStore::open(db_path(data).string());
    if (!sync_store.ok()) return fail(sync_store.status());
    auto check = (*sync_store)->verify_audit();
    if (!check.ok()) return fail(check.status());
    if (check->broken_seq != 0) {
      fmt::print(
          stderr,
          "budgetsync-server：哈希链在日志第 {} 条处断开：{}。此前的记录（已核对 {} 条）完好；"
          "请用改动之前的备份恢复数据库，或查明是谁直接改写了 {}。\n",
          check->broken_seq, check->problem, check->entries, db_path(data).string());
      return kExitRefused;
    }
    if (check->entries == 0) {
      fmt::print("日志中还没有纳入哈希链的记录。\n");
    } else {
      fmt::print("哈希链完好：共 {} 条，自日志第 {} 条起。\n", check->entries, check->first_seq);
    }
    if (check->unaudited > 0) {
      fmt::print("另有 {} 条较早的记录写于本服务器开始维护哈希链之前。\n", check->unaudited);
    }
    return kExitOk;
  }
  if (*device_list) {
    auto devices = store.devices();
    if (!devices.ok()) return fail(devices.status());
    for (const auto& d : *devices) {
      fmt::print("{}  {}  首次出现 {}  最近出现 {}\n", d.id, d.user, local_time(d.first_seen_ms),
                 local_time(d.last_seen_ms));
    }
    if (devices->empty()) fmt::print("还没有设备同步过。\n");
    return kExitOk;
  }
  return kExitBadInput;
}

}  // namespace budgetsync::server
