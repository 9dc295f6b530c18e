// A test-only TLS WebSocket relay on 127.0.0.1 between the real client sync
// code and the real server, which can drop, duplicate or cut at the n-th data
// message: the transport half of "a transport that fails at the n-th frame,
// looped over n until the session succeeds".
//
// A client connects to port() as it would to the server (the relay presents
// the server's own certificate, so the client's CA check passes); the relay
// opens a WebSocket to the upstream server's /sync with the client's
// Authorization and User-Agent headers and then forwards every data message
// both ways, text as text and binary as binary. Control frames (ping, close)
// are answered hop by hop; a close on one side closes the other.
//
// The relay runs its io_context on a thread of its own; every public function
// is safe to call from any thread. Beast stays inside faulty_relay.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "shared/status.h"

namespace budgetsync::testing {

class FaultyRelay {
 public:
  enum class Fault {
    kDrop,       // the message is not forwarded
    kDuplicate,  // the message is forwarded twice
    kCut,        // both TCP connections are closed at once; the message is not forwarded
  };
  enum class Direction { kToServer, kToClient };

  // Where an armed fault fired.
  struct Hit {
    Direction direction = Direction::kToServer;
    int64_t message = 0;  // its number since the plan was armed, from 1, both directions
    std::string type;     // the sync message's type ("push_result"), or "?" when undecodable
  };

  // Relays to the server at 127.0.0.1:`upstream_port`, whose certificate
  // `ca_file` verifies; presents `cert_file` and `key_file` to clients.
  FaultyRelay(int upstream_port, std::string cert_file, std::string key_file, std::string ca_file);
  FaultyRelay(const FaultyRelay&) = delete;
  FaultyRelay& operator=(const FaultyRelay&) = delete;
  // Stops the thread; connections still open are abandoned.
  ~FaultyRelay();

  // Loads the certificates and listens on a free port.
  Status start();
  int port() const;

  // From now on, counts the data messages of connections opened after this
  // call and applies `fault` to the n-th (n >= 1). Fires at most once. A new
  // arm (or disarm) replaces the plan and restarts the count.
  void arm(Fault fault, int64_t n);
  // Relays faithfully from now on (still counting, from zero).
  void disarm();
  // Where the current plan fired; none when it has not (yet).
  std::optional<Hit> fired() const;
  // Data messages counted since the last arm or disarm.
  int64_t messages() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

const char* fault_name(FaultyRelay::Fault fault);
const char* direction_name(FaultyRelay::Direction direction);

}  // namespace budgetsync::testing
