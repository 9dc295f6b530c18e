// The sync wire protocol: versioned JSON messages (docs/protocol.md), with a
// CBOR encoding of the same objects that a connection may negotiate. Pure:
// bytes in, typed messages out, every malformed input a Status naming what was
// wrong. Limits are checked before anything is allocated for a message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "shared/status.h"
#include "sync/operation.h"
#include "sync/protocol_version.h"
#include "sync/server_core.h"

namespace budgetsync::sync {

struct Limits {
  size_t max_frame_bytes = 4 * 1024 * 1024;
  size_t max_batch_ops = 5000;
  size_t max_pull_entries = 5000;
  // Arrays and maps inside one another; a message needs six. Checked before a
  // CBOR frame is parsed, whose reader recurses once per level.
  size_t max_nesting = 64;
};

// client -> server: who is syncing and from where.
struct Hello {
  std::string device;
  int64_t cursor = 0;
  std::string store_id;  // the server store the cursor belongs to; empty on first contact
  int64_t epoch = 0;
  std::string scope;  // the scope the cursor was read under (from the last welcome)
};

// server -> client: the store's identity; `cursor_valid` false when the
// client's cursor cannot be honoured (another store, an older epoch): the client
// re-downloads what it may see and keeps re-pushing its outbox.
struct Welcome {
  std::string store_id;
  int64_t epoch = 0;
  int64_t last_seq = 0;
  bool cursor_valid = true;
  // A digest of the units the user may read. When it changes (a new role, a
  // unit moved under a bureau), the old cursor skipped entries now visible.
  std::string scope;
};

struct Push {
  std::string batch_id;
  std::vector<Operation> ops;
};

struct PushResult {
  std::string batch_id;
  std::vector<LogEntry> results;
};

struct Pull {
  int64_t cursor = 0;
  size_t limit = 1000;
};

struct PullResult {
  std::vector<LogEntry> entries;
  int64_t cursor = 0;
  bool more = false;
};

// server -> client: new operations exist up to `last_seq`.
struct Notify {
  int64_t last_seq = 0;
  // When present: the entries after `from` up to `last_seq` the receiver may
  // read, so a device whose cursor is `from` has them without pulling.
  std::optional<int64_t> from;
  std::vector<LogEntry> entries;
};

struct ErrorMessage {
  std::string code;  // malformed, too_large, unsupported_version, unauthorized, out_of_order, ...
  std::string message;
  bool fatal = false;  // the server closes the connection after sending it
};

using Message =
    std::variant<Hello, Welcome, Push, PushResult, Pull, PullResult, Notify, ErrorMessage>;

enum class Encoding { kJson, kCbor };

// The message as one frame's bytes.
std::string encode(const Message& m, Encoding enc = Encoding::kJson);

// Reads one frame. Refuses frames over the limit, unknown protocol versions and
// types, missing or mistyped fields, and batches over the limits, naming the
// field: "push.ops[3].value: must be a string or null". The status code says
// which: OutOfRange (a limit), FailedPrecondition (the protocol version),
// InvalidArgument (anything else).
Result<Message> decode(std::string_view frame, Encoding enc = Encoding::kJson,
                       const Limits& limits = {});
// The wire code of a frame decode() refused, from its status code:
// "too_large", "unsupported_version" or "malformed".
std::string_view frame_error_code(const Status& refused);

// The message type's wire name ("hello", "push", ...).
std::string_view message_type(const Message& m);

// One log entry as the JSON text the protocol carries, and back; stores keep
// entries in this form so what is served is what was stored.
std::string encode_entry(const LogEntry& e);
Result<LogEntry> decode_entry(std::string_view text);
std::string encode_cell(const ServerCell& c);
Result<ServerCell> decode_cell(std::string_view text);
std::string encode_contender(const Contender& c);
Result<Contender> decode_contender(std::string_view text);

}  // namespace budgetsync::sync
