// Helpers for client tests: temporary folders, running the real budgetsync
// binary, and the shipped data.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace budgetsync::testing {

inline std::filesystem::path data_dir() {
  return BUDGETSYNC_TEST_DATA_DIR;
}
inline std::filesystem::path seeds_dir() {
  return data_dir() / "seeds";
}

// A folder under the system temp dir, removed with everything in it when the
// object goes away.
class TempDir {
 public:
  TempDir() : TempDir(std::filesystem::temp_directory_path()) {}
  // A folder under `base`: /dev/shm keeps thousands of commits off the disk
  // in tests about concurrency, not durability.
  explicit TempDir(const std::filesystem::path& base) {
    std::string tmpl = (base / "budgetsync-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

  std::filesystem::path write(const std::string& name, const std::string& text) const {
    const auto p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  std::filesystem::path path_;
};

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `program` with `args` and `input` on standard input, capturing
// standard output and standard error.
inline CliResult run_program(const std::string& program, const std::vector<std::string>& args,
                             const std::string& input = "") {
  TempDir tmp;
  const auto out_file = tmp.path() / "out";
  const auto err_file = tmp.path() / "err";
  const auto in_file = tmp.write("in", input);
  std::string cmd = shell_quote(program);
  // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict, falsely) on
  // "literal" + std::string.
  for (const auto& a : args) (cmd += ' ') += shell_quote(a);
  for (const auto& [redirect, file] :
       {std::pair{" >", out_file}, std::pair{" 2>", err_file}, std::pair{" <", in_file}}) {
    (cmd += redirect) += shell_quote(file.string());
  }
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto slurp = [](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  r.out = slurp(out_file);
  r.err = slurp(err_file);
  return r;
}

// Runs the built budgetsync program.
inline CliResult run_budgetsync(const std::vector<std::string>& args) {
  return run_program(BUDGETSYNC_TEST_CLI, args);
}

// A replica folder and the program run on it, as a user types commands: the
// fixture of the CLI tests. SetUp creates the replica of 411325-ybj.
class ReplicaCliFixture {
 public:
  CliResult cli(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--dir", dir_.path().string()});
    return run_budgetsync(args);
  }
  // The command with --json; its standard output read as one JSON document
  // (discarded when it is not one).
  nlohmann::json json_of(std::vector<std::string> args) const {
    args.insert(args.begin(), "--json");
    return nlohmann::json::parse(cli(args).out, nullptr, false);
  }
  size_t op_count() const { return json_of({"log"}).size(); }
  CliResult init(const std::string& user) const {
    return cli({"init", "--unit", "411325-ybj", "--name", "内乡县医疗保障局", "--user", user});
  }

 protected:
  TempDir dir_;
};

}  // namespace budgetsync::testing
