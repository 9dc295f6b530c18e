// server/login_request.h: parse_login_request(), the body of POST /api/login.
#include "fuzz_check.h"
#include "server/login_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)budgetsync::server::parse_login_request(fuzz_input(data, size));
  return 0;
}
