#include "client/cli_pdf.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>
#include <vector>

extern char** environ;

namespace budgetsync::client {
namespace fs = std::filesystem;

std::string find_chromium() {
  if (const char* env = std::getenv("BUDGETSYNC_CHROMIUM"); env && *env) return env;
  const char* path = std::getenv("PATH");
  const std::string dirs = path ? path : "/usr/bin:/bin";
  for (const char* name :
       {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}) {
    size_t begin = 0;
    while (begin <= dirs.size()) {
      size_t end = dirs.find(':', begin);
      if (end == std::string::npos) end = dirs.size();
      const fs::path candidate = fs::path(dirs.substr(begin, end - begin)) / name;
      if (!candidate.parent_path().empty() && access(candidate.c_str(), X_OK) == 0)
        return candidate.string();
      begin = end + 1;
    }
  }
  return "";
}

Status print_to_pdf(const std::string& browser, const std::string& html, const fs::path& pdf) {
  std::error_code ec;
  const fs::path work = fs::path(pdf.string() + ".print");
  fs::remove_all(work, ec);
  fs::create_directories(work, ec);
  if (ec)
    return Status::IoError(fmt::format("{}：无法创建临时文件夹：{}", work.string(), ec.message()));
  const fs::path page = fs::absolute(work / "page.html");
  const fs::path out = fs::absolute(work / "page.pdf");
  {
    std::ofstream f(page, std::ios::binary);
    f << html;
    if (!f) {
      fs::remove_all(work, ec);
      return Status::IoError(fmt::format("{}：无法写入", page.string()));
    }
  }
  std::vector<std::string> args{browser,
                                "--headless",
                                "--disable-gpu",
                                "--no-first-run",
                                "--no-pdf-header-footer",
                                "--user-data-dir=" + (fs::absolute(work) / "profile").string(),
                                "--print-to-pdf=" + out.string()};
  // Chromium's sandbox refuses to run as root (a packaging build, a container).
  if (geteuid() == 0) args.push_back("--no-sandbox");
  args.push_back("file://" + page.string());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, browser.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    fs::remove_all(work, ec);
    return Status::IoError(fmt::format("无法启动 {}", browser));
  }
  // A minute at most; the browser prints a page in a second or two.
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      fs::remove_all(work, ec);
      return Status::IoError(fmt::format("{} 一分钟内没有打印完，已停止", browser));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !fs::exists(out)) {
    fs::remove_all(work, ec);
    return Status::IoError(fmt::format("{} 没能把报表打印为 PDF", browser));
  }
  fs::rename(out, pdf, ec);
  fs::remove_all(work, ec);
  if (ec) return Status::IoError(fmt::format("{}：无法写入文件：{}", pdf.string(), ec.message()));
  return Status::Ok();
}

}  // namespace budgetsync::client
