#include "client/sync_text.h"

#include <fmt/format.h>

#include <algorithm>

namespace budgetsync::client {

Status session_failure_status(const sync::SessionFailure& f) {
  using sync::SessionError;
  switch (f.error) {
    case SessionError::kNone:
      return Status::Ok();
    case SessionError::kStore:
      return f.store;
    case SessionError::kUnexpectedMessage:
      return Status::Corruption(fmt::format("服务器发来的是 {}，应为 {}", f.got, f.wanted));
    case SessionError::kWrongBatch:
      return Status::Corruption(
          fmt::format("服务器答复的是批次 {}，应答复的是 {}", f.got, f.wanted));
    case SessionError::kShortAnswer:
      return Status::Corruption(
          fmt::format("服务器只答复了 {} 项修改，共发送 {} 项", f.answered, f.sent));
    case SessionError::kResentUnchanged:
      return Status::FailedPrecondition(fmt::format(
          "服务器已答复从 {} 起的 {} 项修改，它们却仍在待发送；不再原样重发", f.first_op, f.sent));
    case SessionError::kServerRefused:
      return Status::FailedPrecondition(
          fmt::format("服务器拒绝：{}（{}）", f.server_message, f.server_code));
  }
  return Status::Corruption("unknown session error");
}

std::string push_progress_text(const sync::SyncTally& t) {
  return fmt::format("推送 {} 项修改", t.pushed);
}

std::string pull_progress_text(const sync::SyncTally& t) {
  return fmt::format("下载 {}/{}", t.cursor, std::max(t.server_last_seq, t.cursor));
}

}  // namespace budgetsync::client
