// Running the real programs in tests: a budgetsync-server in the background
// (started on a free port, stopped, killed, restarted on the same port), the
// budgetsync client in a replica folder, and a `sync --watch` agent.
//
// Waiting is always for a condition with a deadline (`wait_until`), never a
// fixed sleep: a test is as fast as the programs and fails with what it was
// waiting for.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "../client/test_support.h"

namespace budgetsync::testing {

// Polls `condition` until it holds or `timeout_ms` passes; true when it held.
inline bool wait_until(const std::function<bool()>& condition, int64_t timeout_ms = 20'000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));  // a poll interval, not a sync
  }
  return true;
}

// A program running in the background with its standard output on a pipe and
// its standard error in a file.
class Background {
 public:
  Background() = default;
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  ~Background() { kill_now(); }

  bool start(const std::string& program, const std::vector<std::string>& args,
             const std::string& err_file, const std::vector<std::string>& env = {}) {
    int fds[2];
    if (pipe(fds) != 0) return false;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      if (FILE* err = fopen(err_file.c_str(), "a")) dup2(fileno(err), 2);
      for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> argv{const_cast<char*>(program.c_str())};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(program.c_str(), argv.data());
      _exit(127);
    }
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
    return pid_ > 0;
  }

  // The next line of standard output ("" at its end).
  std::string read_line() {
    char line[512];
    if (!out_ || !fgets(line, sizeof line, out_)) return "";
    return line;
  }

  // Sends `sig` and waits for the exit; returns the exit code (-signal when
  // killed by one).
  int stop(int sig = SIGTERM) {
    if (pid_ <= 0) return -1;
    kill(pid_, sig);
    return wait();
  }
  void kill_now() { stop(SIGKILL); }
  // Waits for the program to end by itself; its exit code.
  int wait() {
    if (pid_ <= 0) return -1;
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    if (out_) fclose(out_);
    out_ = nullptr;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }
  // Sends `sig` without waiting for the exit.
  void signal(int sig) {
    if (pid_ > 0) kill(pid_, sig);
  }
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

// A budgetsync-server with its own data folder.
// The seed folder whose name starts with `prefix` ("003_").
inline std::filesystem::path seed_folder(const std::string& prefix) {
  for (const auto& e : std::filesystem::directory_iterator(seeds_dir())) {
    if (e.path().filename().string().rfind(prefix, 0) == 0) return e.path();
  }
  return {};
}

// Test users' passwords: "pw-NAME-secret".
inline std::string test_password(const std::string& user) {
  return "pw-" + user + "-secret";
}

class ServerProcess {
 public:
  explicit ServerProcess(const std::filesystem::path& dir) : data_((dir / "server").string()) {}

  CliResult admin(std::vector<std::string> args, const std::string& input = "") const {
    args.insert(args.begin(), {"--data", data_});
    return run_program(BUDGETSYNC_TEST_SERVER, args, input);
  }
  // Adds a user with the test password.
  int add_user(const std::string& user, const std::string& role, const std::string& unit) const {
    return admin({"user", "add", user, "--role", role, "--unit", unit}, test_password(user) + "\n")
        .exit_code;
  }

  // Starts serving; the first start picks a free port, later ones reuse it so
  // clients find the server where they left it. Returns false with the reason
  // in `error()`.
  bool start() {
    const std::string listen = "127.0.0.1:" + std::to_string(port_);
    if (!process_.start(BUDGETSYNC_TEST_SERVER, {"--data", data_, "run", "--listen", listen},
                        data_ + "/server.log")) {
      return false;
    }
    // The server says where it listens once it does.
    const std::string line = process_.read_line();
    if (line.rfind("listening on https://127.0.0.1:", 0) != 0) {
      error_ = "the server did not start: " + line;
      return false;
    }
    port_ = std::stoi(line.substr(line.rfind(':') + 1));
    return true;
  }
  int stop() { return process_.stop(SIGTERM); }
  void kill9() { process_.stop(SIGKILL); }
  void signal(int sig) { process_.signal(sig); }

  int port() const { return port_; }
  pid_t pid() const { return process_.pid(); }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  std::string ca() const { return data_ + "/tls/ca.pem"; }
  const std::string& data() const { return data_; }
  const std::string& error() const { return error_; }

 private:
  std::string data_;
  int port_ = 0;
  std::string error_;
  Background process_;
};

// A budgetsync client with its own replica folder.
class ClientProcess {
 public:
  ClientProcess(const std::filesystem::path& dir, std::string name)
      : dir_((dir / name).string()), name_(std::move(name)) {}

  CliResult run(std::vector<std::string> args, const std::string& input = "") const {
    args.insert(args.begin(), {"--dir", dir_});
    return run_program(BUDGETSYNC_TEST_CLI, args, input);
  }

  nlohmann::json json(std::vector<std::string> args) const {
    args.insert(args.begin(), "--json");
    const CliResult r = run(args);
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  nlohmann::json status() const { return json({"status"}); }

  // A new replica for `unit`, logged in to `server` as this client's user
  // (with the test password). The login's result.
  CliResult init_and_login(const ServerProcess& server, const std::string& unit) const {
    const CliResult init = run({"init", "--unit", unit, "--user", name_});
    if (init.exit_code != 0) return init;
    return run({"login", "--server", server.url(), "--ca", server.ca(), "--user", name_},
               test_password(name_) + "\n");
  }

  // Starts `sync --watch`; its log goes to DIR/agent.log.
  bool start_agent() {
    return agent_.start(BUDGETSYNC_TEST_CLI, {"--dir", dir_, "sync", "--watch"},
                        dir_ + "/agent.log");
  }
  int stop_agent() { return agent_.stop(SIGTERM); }
  void kill_agent() { agent_.stop(SIGKILL); }
  std::string agent_log() const {
    std::ifstream in(dir_ + "/agent.log");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  const std::string& dir() const { return dir_; }
  const std::string& name() const { return name_; }

 private:
  std::string dir_;
  std::string name_;
  Background agent_;
};

}  // namespace budgetsync::testing
