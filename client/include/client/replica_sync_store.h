// The replica as the client session's store (sync/client_store.h): its outbox,
// cursor and server identity. The identity is kept in the replica's settings
// (server.store_id, server.epoch, server.scope), beside the address and token.
#pragma once

#include "client/replica.h"
#include "sync/client_store.h"

namespace budgetsync::client {

class ReplicaSyncStore final : public sync::ClientStore {
 public:
  explicit ReplicaSyncStore(Replica& replica) : replica_(replica) {}

  Result<std::string> device() override { return replica_.device(); }
  Result<int64_t> cursor() override { return replica_.sync_cursor(); }
  Result<sync::ServerIdentity> server() override;
  Result<bool> note_server(const std::string& store_id, int64_t epoch) override {
    return replica_.note_server(store_id, epoch);
  }
  Status restart_download() override { return replica_.restart_download(); }
  Status remember_server(const sync::ServerIdentity& server) override;
  Result<std::vector<sync::Operation>> outbox(size_t limit) override {
    return replica_.outbox(limit);
  }
  Result<bool> acknowledge(const std::vector<sync::LogEntry>& results) override {
    return replica_.acknowledge(results);
  }
  Status apply_pulled(const std::vector<sync::LogEntry>& entries, int64_t cursor) override {
    return replica_.apply_pulled(entries, cursor);
  }
  Result<int64_t> data_version() override { return replica_.data_version(); }

 private:
  Replica& replica_;
};

}  // namespace budgetsync::client
