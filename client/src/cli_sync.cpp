#include "client/cli_sync.h"

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/terminal.h"
#include "client/agent_state.h"
#include "client/cli.h"
#include "client/cli_signals.h"
#include "client/sync_agent.h"
#include "sync/random.h"

namespace budgetsync::client {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// $BUDGETSYNC_PASSWORD, else a prompt with echo off, else the first line of
// standard input. Never the command line, where other users could read it.
Result<std::string> read_password() {
  if (const char* env = std::getenv("BUDGETSYNC_PASSWORD"); env && *env) return std::string(env);
  std::string line = read_secret_line("Password: ");
  if (line.empty()) {
    return Status::InvalidArgument(
        "没有给出密码（请在提示处输入，或从标准输入传入，或设置环境变量 "
        "BUDGETSYNC_PASSWORD）");
  }
  return line;
}

}  // namespace

int cmd_login(Replica& replica, const std::string& server_url, const std::string& ca,
              const std::string& user, bool as_json) {
  auto server = ServerAddress::parse(server_url);
  if (!server.ok()) return fail(server.status());
  std::error_code ec;
  const fs::path ca_path = fs::absolute(ca, ec);
  if (ec || !fs::is_regular_file(ca_path, ec)) {
    return fail(Status::NotFound(
        fmt::format("--ca {}：没有这个文件（服务器创建时会打印其根证书的路径）", ca)));
  }
  if (user != replica.identity().user) {
    return fail(Status::FailedPrecondition(
        fmt::format("这个本地副本以 {} 的名义记录修改；请以 {} 登录，或用 "
                    "`budgetsync --dir 目录 init --unit 单位 --user {}` 为 {} 另建一个本地副本",
                    replica.identity().user, replica.identity().user, user, user)));
  }
  auto password = read_password();
  if (!password.ok()) return fail(password.status());
  auto answer = log_in(replica, *server, ca_path.string(), *password);
  if (!answer.ok()) return fail(answer.status());
  if (as_json) {
    fmt::print("{}\n", json{{"server", server->url()},
                            {"user", answer->user},
                            {"role", answer->role},
                            {"unit", answer->unit},
                            {"expires", local_time(answer->expires_ms)}}
                           .dump(2));
  } else {
    fmt::print(
        "已登录 {}：{}（{}，单位 {}），有效期至 {}。\n运行 `budgetsync sync` 同步，或 "
        "`budgetsync sync --watch` 保持自动同步。\n",
        server->url(), answer->user, answer->role, answer->unit, local_time(answer->expires_ms));
  }
  return kExitOk;
}

int cmd_sync(Replica& replica, bool watch, bool cbor, size_t batch, bool as_json) {
  auto target = SyncTarget::from(replica);
  if (!target.ok()) return fail(target.status());
  sync::SystemClock clock;
  AgentOptions options;
  options.encoding = cbor ? sync::Encoding::kCbor : sync::Encoding::kJson;
  options.push_batch = options.pull_limit = batch;
  const bool terminal = isatty(STDERR_FILENO) != 0;
  if (terminal && !as_json) {
    options.progress = [](const std::string& line) { fmt::print(stderr, "\r{}\033[K", line); };
  }
  if (watch) {
    options.event = [](const std::string& line) {
      fmt::print(stderr, "{} {}\n", local_time(now_ms()), line);
      std::fflush(stderr);
    };
    options.progress = nullptr;
    fmt::print(stderr, "budgetsync：正在与 {} 保持同步，按 Ctrl-C 停止\n", target->server.url());
    sync::SystemRandom random;
    StopRequest stop;
    options.stop = &stop;
    StopOnSignals signals([&stop] { stop.request(); });
    Status s = run_agent(replica, *target, options, clock, random);
    if (!s.ok()) return fail(s);
    return kExitOk;
  }
  auto tally = sync_once(replica, *target, options, clock);
  if (terminal && !as_json) fmt::print(stderr, "\r\033[K");
  if (!tally.ok()) return fail(tally.status());
  auto st = replica.status();
  if (!st.ok()) return fail(st.status());
  if (as_json) {
    fmt::print("{}\n", json{{"server", target->server.url()},
                            {"pushed", tally->pushed},
                            {"applied", tally->applied},
                            {"conflicts", tally->conflicts},
                            {"rejected", tally->rejected},
                            {"pulled", tally->pulled},
                            {"cursor", tally->cursor},
                            {"server_last_seq", tally->server_last_seq},
                            {"download_restarted", tally->download_restarted},
                            {"pending_ops", st->pending_ops},
                            {"rejected_ops", st->rejected_ops},
                            {"open_conflicts", st->open_conflicts}}
                           .dump(2));
  } else {
    fmt::print("已同步 {}：上传 {} 项修改（接受 {}，冲突 {}，被拒 {}），下载 {} 项，游标 {}。\n",
               target->server.url(), tally->pushed, tally->applied, tally->conflicts,
               tally->rejected, tally->pulled, tally->cursor);
    if (tally->download_restarted)
      fmt::print("服务器的存储或权限范围已变化：已重新下载可见的数据。\n");
    if (tally->rekeyed) {
      fmt::print(
          "服务器上已有另一台设备使用本设备的编号（本地副本可能被复制过）：本设备已改用新编号 "
          "{}，{} 项待同步的修改已按新编号重新上传，没有丢失。\n",
          st->device, st->rekeyed_ops);
    }
    if (st->open_conflicts > 0)
      fmt::print("有 {} 处冲突待处理：运行 `budgetsync conflicts` 查看。\n", st->open_conflicts);
    if (st->rejected_ops > 0)
      fmt::print("有 {} 项修改被服务器拒绝：运行 `budgetsync log` 查看原因。\n", st->rejected_ops);
  }
  return kExitOk;
}

std::string sync_status_lines(const Replica& replica) {
  auto a = agent_state(replica, now_ms());
  if (!a.ok()) return fmt::format("同步      （无法读取：{}）\n", a.status().message());
  if (a->server.empty()) return "同步      未连接服务器（离线工作）\n";
  std::string out = fmt::format("服务器    {}\n连接      {}\n最后同步  {}\n", a->server,
                                a->online          ? "在线（自动同步运行中）"
                                : a->agent_running ? "离线（自动同步将在连接恢复后继续）"
                                                   : "离线（未运行 `budgetsync sync --watch`）",
                                a->last_sync_ms > 0 ? local_time(a->last_sync_ms) : "（从未）");
  if (!a->last_error.empty()) out += fmt::format("同步错误  {}\n", a->last_error);
  return out;
}

}  // namespace budgetsync::client
