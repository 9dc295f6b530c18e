// sync/protocol.h: decode() of a CBOR frame.
#include "sync_protocol_check.h"

using namespace budgetsync::sync;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = decode(fuzz_input(data, size), Encoding::kCbor);
  if (m.ok()) check_accepted_message(*m);
  return 0;
}
