// The invariant both sync frame targets check: a frame decode() accepts is a
// message that encodes again, in either encoding, to a frame that decodes to
// the same message (what the server stores and relays is what it read).
#pragma once

#include <string>

#include "fuzz_check.h"
#include "sync/protocol.h"

namespace budgetsync::sync {

inline void check_accepted_message(const Message& m) {
  const std::string json_frame = encode(m, Encoding::kJson);
  auto json_back = decode(json_frame, Encoding::kJson);
  FUZZ_CHECK(json_back.ok(), "an accepted message re-encoded as JSON decodes");
  FUZZ_CHECK(encode(*json_back, Encoding::kJson) == json_frame, "the JSON round trip is exact");
  const std::string cbor_frame = encode(m, Encoding::kCbor);
  auto cbor_back = decode(cbor_frame, Encoding::kCbor);
  FUZZ_CHECK(cbor_back.ok(), "an accepted message re-encoded as CBOR decodes");
  FUZZ_CHECK(encode(*cbor_back, Encoding::kJson) == json_frame, "the CBOR round trip is exact");
  // What the stores keep: each entry as its own JSON text.
  auto entries = [](const Message& msg) -> const std::vector<LogEntry>* {
    if (auto* r = std::get_if<PushResult>(&msg)) return &r->results;
    if (auto* r = std::get_if<PullResult>(&msg)) return &r->entries;
    if (auto* r = std::get_if<Notify>(&msg)) return &r->entries;
    return nullptr;
  };
  if (const auto* list = entries(m)) {
    for (const LogEntry& e : *list) {
      const std::string text = encode_entry(e);
      auto back = decode_entry(text);
      FUZZ_CHECK(back.ok(), "an accepted entry re-encoded decodes");
      FUZZ_CHECK(encode_entry(*back) == text, "the entry round trip is exact");
      FUZZ_CHECK(decode_cell(encode_cell(e.cell)).ok(), "an accepted cell re-encoded decodes");
    }
  }
}

}  // namespace budgetsync::sync
