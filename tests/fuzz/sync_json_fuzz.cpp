// sync/protocol.h: decode() of a JSON frame, and the stored entry, cell and
// contender texts (decode_entry, decode_cell, decode_contender); sync/
// report_state.h: parse_state_change(), the value a state operation carries;
// sync/report_info.h: parse_report_info(), the value a report_info one carries.
#include "sync/report_info.h"
#include "sync/report_state.h"
#include "sync_protocol_check.h"

using namespace budgetsync::sync;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view frame = fuzz_input(data, size);
  auto m = decode(frame, Encoding::kJson);
  if (m.ok()) check_accepted_message(*m);
  if (auto e = decode_entry(frame); e.ok()) {
    FUZZ_CHECK(decode_entry(encode_entry(*e)).ok(), "a decoded entry re-encoded decodes");
  }
  if (auto c = decode_cell(frame); c.ok()) {
    FUZZ_CHECK(decode_cell(encode_cell(*c)).ok(), "a decoded cell re-encoded decodes");
  }
  if (auto c = decode_contender(frame); c.ok()) {
    FUZZ_CHECK(decode_contender(encode_contender(*c)).ok(),
               "a decoded contender re-encoded decodes");
  }
  if (auto c = parse_state_change(frame); c.ok()) {
    auto back = parse_state_change(encode_state_change(*c));
    FUZZ_CHECK(back.ok(), "a state change re-encoded parses");
  }
  if (auto i = parse_report_info(frame); i.ok()) {
    auto back = parse_report_info(encode_report_info(*i));
    FUZZ_CHECK(back.ok() && *back == *i, "report info re-encoded parses to itself");
  }
  return 0;
}
