#include "sync/protocol_version.h"

namespace budgetsync::sync {

const char* protocol_name() {
  return "budgetsync-sync/1";
}

}  // namespace budgetsync::sync
