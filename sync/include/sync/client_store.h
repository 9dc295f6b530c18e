// What a client session needs of the device's local store: the replica in the
// desktop program and the mobile library, a simplified model in tests. The
// session (client_session.h) decides what to send and when; the store keeps
// what must survive a crash — the outbox, the cursor, the server's identity —
// each call one transaction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared/status.h"
#include "sync/operation.h"
#include "sync/server_core.h"  // LogEntry

namespace budgetsync::sync {

// The server a cursor belongs to, as its last welcome named it.
struct ServerIdentity {
  std::string store_id;  // empty before the first welcome
  int64_t epoch = 0;
  std::string scope;
};

class ClientStore {
 public:
  virtual ~ClientStore() = default;

  // This device's id as the store has it now: another program on the same
  // replica may have re-keyed it since the session's hello.
  virtual Result<std::string> device() = 0;
  // Where the download stands: the last log sequence applied.
  virtual Result<int64_t> cursor() = 0;
  // The identity stored by remember_server ({} before the first welcome).
  virtual Result<ServerIdentity> server() = 0;

  // A welcome's store id and epoch. The first time they are just kept. A
  // different store or a risen epoch (another server, one restored from a
  // backup) resets: the cursor goes back to 0 and every operation this device
  // made is queued again. Returns whether that reset happened.
  virtual Result<bool> note_server(const std::string& store_id, int64_t epoch) = 0;
  // Starts the download over from 0 (the user's scope changed); the outbox is
  // untouched.
  virtual Status restart_download() = 0;
  // Keeps the identity for the next hello. Called after the reset or restart
  // it calls for, so a crash in between repeats them rather than skips them.
  virtual Status remember_server(const ServerIdentity& server) = 0;

  // Operations not yet acknowledged, oldest first, at most `limit`; a resend
  // repeats exactly the same operations.
  virtual Result<std::vector<Operation>> outbox(size_t limit) = 0;
  // The server's answers to a pushed batch. Returns true when the device took
  // a new id (the server held another change under one of its ids) and its
  // waiting operations were renumbered under it, to be sent on a new hello.
  virtual Result<bool> acknowledge(const std::vector<LogEntry>& results) = 0;
  // A page of log entries and the cursor after it, in one transaction.
  virtual Status apply_pulled(const std::vector<LogEntry>& entries, int64_t cursor) = 0;

  // Moves whenever something (this process or another) committed to the
  // store: a watching session pushes when it has moved.
  virtual Result<int64_t> data_version() = 0;
};

}  // namespace budgetsync::sync
