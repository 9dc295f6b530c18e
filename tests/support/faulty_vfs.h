// An SQLite VFS that wraps the default one and fails the n-th write, sync or
// truncate with an I/O error, the way SQLite's own test VFS injects faults.
// Tests loop n from 1 until an operation succeeds and check, at every n, that
// the failure left the store exactly as before.
#pragma once

namespace budgetsync::testing {

class FaultyVfs {
 public:
  static constexpr const char* kName = "budgetsync-faulty";
  // Registers the VFS (once); it is not the default.
  static void install();
  // The n-th write-like call from now fails (n >= 1).
  static void fail_nth(int n);
  // No further call fails; fired() still tells whether one did.
  static void disarm();
  // Write-like calls seen since the last fail_nth().
  static int calls();
  // Whether the armed fault has fired.
  static bool fired();
};

}  // namespace budgetsync::testing
