#include "client/cli_ui.h"

#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>

#include <thread>

#include "client/cli.h"
#include "client/cli_signals.h"
#include "client/sync_agent.h"
#include "client/ui_server.h"

extern char** environ;

namespace budgetsync::client {
namespace {

void open_in_browser(const std::string& url) {
  const char* argv[] = {"xdg-open", url.c_str(), nullptr};
  // The browser gets the signals this program blocks for StopOnSignals.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  const int spawned =
      posix_spawnp(&pid, "xdg-open", nullptr, &attr, const_cast<char* const*>(argv), environ);
  posix_spawnattr_destroy(&attr);
  if (spawned != 0)
    fmt::print(stderr, "budgetsync：无法启动 xdg-open；请自行在浏览器中打开上面的地址\n");
}

// The agent's own connection to the replica: a Replica is for one thread, and
// the agent notices the UI's edits through the replica's data version exactly
// as it notices another program's.
void run_ui_agent(const std::string& replica_path, const Catalog& catalog, StopRequest& stop) {
  sync::SystemClock clock;
  sync::SystemRandom random;
  auto replica = Replica::open(replica_path, catalog, clock, random);
  if (!replica.ok()) {
    fmt::print(stderr, "budgetsync：未启动自动同步：{}\n", replica.status().message());
    return;
  }
  auto target = SyncTarget::from(**replica);
  if (!target.ok()) return;
  AgentOptions options;
  options.stop = &stop;
  options.event = [](const std::string& line) {
    fmt::print(stderr, "{} sync: {}\n", local_time(sync::SystemClock().now_ms()), line);
    std::fflush(stderr);
  };
  if (Status s = run_agent(**replica, *target, options, clock, random); !s.ok())
    fmt::print(stderr, "budgetsync：自动同步已停止：{}\n", s.message());
}

}  // namespace

int cmd_ui(Replica& replica, const Catalog& catalog, const std::string& replica_path,
           const UiOptions& options) {
  StopRequest stop, stop_ui;
  // Before the agent's thread starts, so that it too leaves the signals to
  // this one.
  StopOnSignals signals([&stop_ui] { stop_ui.request(); });
  std::thread agent;
  const bool logged_in = SyncTarget::from(replica).ok();
  if (options.sync && logged_in) {
    agent = std::thread([&] { run_ui_agent(replica_path, catalog, stop); });
  }
  sync::SystemClock clock;
  Status served =
      serve_ui(replica, catalog, options.port, clock, stop_ui, [&](const std::string& url) {
        fmt::print("界面地址 {}\n（只在本机可用；按 Ctrl-C 停止）\n", url);
        if (!logged_in) {
          fmt::print(
              "尚未登录同步服务器：离线工作，`budgetsync login` 之后重新启动界面即可自动同步。\n");
        }
        std::fflush(stdout);
        if (options.open) open_in_browser(url);
      });
  stop.request();
  if (agent.joinable()) agent.join();
  return served.ok() ? kExitOk : fail(served);
}

}  // namespace budgetsync::client
