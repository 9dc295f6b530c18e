// The C API against the real server over loopback TLS: a C program
// (tests/capi/staff_job.c, compiled as C) and a Python ctypes script
// (tests/capi/staff_job.py) each do a whole staff job through libbudgetsync —
// open, import, log in, edit, sync, hear a colleague's edit through the change
// listener, validate, settle a conflict, submit.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "../support/processes.h"

namespace budgetsync::testing {
namespace {

class CApi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(server_.admin({"init"}).exit_code, 0);
    ASSERT_EQ(server_.admin({"unit", "add", "411325-ybj", "内乡县医疗保障局"}).exit_code, 0);
    for (const char* user : {"wang", "zhang"}) {
      ASSERT_EQ(server_.add_user(user, "staff", "411325-ybj"), 0);
    }
    ASSERT_TRUE(server_.start()) << server_.error();
    setenv("PW_WANG", test_password("wang").c_str(), 1);
    setenv("PW_ZHANG", test_password("zhang").c_str(), 1);
    std::filesystem::create_directories(work());
  }

  std::string work() const { return (dir_.path() / "work").string(); }
  std::string report_file() const { return (seed_folder("003_") / "final02.json").string(); }

  TempDir dir_;
  ServerProcess server_{dir_.path()};
};

TEST_F(CApi, AStaffJobInC) {
  const CliResult r =
      run_program(BUDGETSYNC_TEST_CAPI_JOB,
                  {server_.url(), server_.ca(), data_dir().string(), work(), report_file()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("staff job done"), std::string::npos) << r.out << r.err;
  std::printf("%s", r.out.c_str());  // the steps, for the log
}

TEST_F(CApi, AStaffJobInPythonThroughCtypes) {
#ifdef BUDGETSYNC_TEST_ASAN_RUNTIME
  // An instrumented library in an uninstrumented interpreter: the sanitizer's
  // runtime must be loaded first, and Python's own allocations are not ours.
  setenv("LD_PRELOAD", BUDGETSYNC_TEST_ASAN_RUNTIME, 1);
  setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
#endif
  const CliResult r = run_program(
      BUDGETSYNC_TEST_PYTHON, {BUDGETSYNC_TEST_CAPI_SCRIPT, BUDGETSYNC_TEST_CAPI_LIB, server_.url(),
                               server_.ca(), data_dir().string(), work(), report_file()});
#ifdef BUDGETSYNC_TEST_ASAN_RUNTIME
  unsetenv("LD_PRELOAD");
  unsetenv("ASAN_OPTIONS");
#endif
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("staff job done"), std::string::npos) << r.out << r.err;
  std::printf("%s", r.out.c_str());  // the steps, for the log
}

}  // namespace
}  // namespace budgetsync::testing
