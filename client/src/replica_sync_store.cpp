#include "client/replica_sync_store.h"

#include <charconv>

namespace budgetsync::client {

Result<sync::ServerIdentity> ReplicaSyncStore::server() {
  sync::ServerIdentity s;
  BS_ASSIGN_OR_RETURN(store_id, replica_.setting("server.store_id"));
  BS_ASSIGN_OR_RETURN(epoch, replica_.setting("server.epoch"));
  BS_ASSIGN_OR_RETURN(scope, replica_.setting("server.scope"));
  s.store_id = store_id;
  s.scope = scope;
  if (!epoch.empty()) {
    const auto [end, ec] = std::from_chars(epoch.data(), epoch.data() + epoch.size(), s.epoch);
    if (ec != std::errc() || end != epoch.data() + epoch.size())
      return Status::Corruption("setting server.epoch is not a number: " + epoch);
  }
  return s;
}

Status ReplicaSyncStore::remember_server(const sync::ServerIdentity& server) {
  return replica_.set_settings({{"server.store_id", server.store_id},
                                {"server.epoch", std::to_string(server.epoch)},
                                {"server.scope", server.scope}});
}

}  // namespace budgetsync::client
