// The sync protocol's version. The change log, merge rules and wire protocol
// live in this module (see docs/ and ../shared/design/architecture.md); until they
// land, this header fixes the version number both sides will agree on.
#pragma once

namespace budgetsync::sync {

inline constexpr int kProtocolVersion = 1;

// A human-readable name for the version, for --version output.
const char* protocol_name();

}  // namespace budgetsync::sync
