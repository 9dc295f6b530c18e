// libbudgetsync: the C API (budgetsync.h) over the client core and the sync
// transport. Every entry point catches everything: nothing crosses the C
// boundary but return values and bs_error.
#include "budgetsync.h"

#include <fmt/format.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "client/agent_state.h"
#include "client/findings_view.h"
#include "client/json_views.h"
#include "client/replica.h"
#include "client/replica_sync_store.h"
#include "client/report_view.h"
#include "client/review_workflow.h"
#include "client/stop_request.h"
#include "client/sync_agent.h"
#include "client/sync_text.h"
#include "files/data_files.h"
#include "sync/client_session.h"
#include "sync/supervisor.h"

namespace asio = boost::asio;
using json = nlohmann::ordered_json;

namespace budgetsync::client {
namespace {

// Copies `text` into the error's buffer, cut at a UTF-8 character boundary.
void set_error(bs_error* error, int domain, int code, std::string_view text) {
  if (!error) return;
  error->domain = domain;
  error->code = code;
  size_t n = std::min(text.size(), sizeof error->message - 1);
  while (n > 0 && n < text.size() && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  std::memcpy(error->message, text.data(), n);
  error->message[n] = '\0';
}

void clear_error(bs_error* error) {
  if (!error) return;
  error->domain = BS_ERROR_NONE;
  error->code = 0;
  error->message[0] = '\0';
}

void set_status(bs_error* error, const Status& s) {
  set_error(error, BS_ERROR_STATUS, static_cast<int>(s.code()), s.message());
}

char* copy_string(std::string_view s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (!out) return nullptr;
  std::memcpy(out, s.data(), s.size());
  out[s.size()] = '\0';
  return out;
}

class Listener {
 public:
  void set(bs_change_listener fn, void* context) {
    std::lock_guard lock(mutex_);
    fn_ = fn;
    context_ = context;
  }
  void notify(int changes) {
    bs_change_listener fn;
    void* context;
    {
      std::lock_guard lock(mutex_);
      fn = fn_;
      context = context_;
    }
    if (fn) fn(context, changes);
  }

 private:
  std::mutex mutex_;
  bs_change_listener fn_ = nullptr;
  void* context_ = nullptr;
};

// What both kinds of sync share: a thread of their own, with their own clock
// and randomness (the API's are the API threads').
class SyncRun {
 public:
  virtual ~SyncRun() = default;
  // Asks the sync to end; safe from any thread, its own included.
  virtual void request_stop() = 0;
  // Waits for the thread (never on the thread itself) and tidies up.
  virtual void finish() = 0;
  bool on_own_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

 protected:
  std::thread thread_;
  sync::SystemClock wall_;
  sync::SystemRandom random_;
};

// Sync over the host's own socket: a watching ClientSession on the library's
// thread, reconnected by a Supervisor; the host's callbacks post into it,
// naming the connection they are about.
class HostSync final : public SyncRun, public sync::Supervisor::Host {
 public:
  HostSync(const bs_transport& transport, Listener& listener)
      : transport_(transport),
        listener_(listener),
        retry_(io_),
        poll_(io_),
        timer_(*this),
        supervisor_(*this, timer_, waits_, random_) {}

  Status open_replica(const std::string& path, const Catalog& catalog) {
    auto opened = Replica::open(path, catalog, wall_, random_);
    if (!opened.ok()) return opened.status();
    replica_ = std::move(*opened);
    store_ = std::make_unique<ReplicaSyncStore>(*replica_);
    return Status::Ok();
  }

  void start() {
    asio::post(io_, [this] { supervisor_.start(); });
    arm_poll();
    thread_ = std::thread([this] {
      auto work = asio::make_work_guard(io_);
      // Whatever a handler throws, the sync carries on (offline, retrying).
      for (;;) {
        try {
          io_.run();
          return;
        } catch (const std::exception& e) {
          end_with(Status::IoError(e.what()));
        } catch (...) {
          end_with(Status::IoError("unknown failure"));
        }
      }
    });
  }
  void request_stop() override { io_.stop(); }
  void finish() override {
    io_.stop();
    if (thread_.joinable()) thread_.join();
    if (connection_ != 0) transport_.close(transport_.context, connection_);
    connection_ = 0;
    (void)replica_->set_settings(agent_settings(AgentConnection::kStopped, wall_.now_ms()));
  }
  void opened(uint64_t connection) {
    asio::post(io_, [this, connection] {
      if (connection == connection_) on_opened();
    });
  }
  void received(uint64_t connection, std::string frame) {
    asio::post(io_, [this, connection, frame = std::move(frame)] {
      if (connection == connection_) on_received(frame);
    });
  }
  void closed(uint64_t connection, bool unreachable) {
    asio::post(io_, [this, connection, unreachable] {
      if (connection == connection_) on_closed(unreachable);
    });
  }
  void network_changed(bool up) {
    asio::post(io_, [this, up] { up ? supervisor_.network_up() : supervisor_.network_down(); });
  }

  void connect() override {
    session_.reset();
    connection_ = ++connections_;
    transport_.open(transport_.context, connection_);
  }

 private:
  class Timer final : public sync::Timer {
   public:
    explicit Timer(HostSync& owner) : owner_(owner) {}
    void start(int64_t delay_ms) override {
      owner_.retry_.expires_after(std::chrono::milliseconds(delay_ms));
      owner_.retry_.async_wait([this](boost::system::error_code ec) {
        if (!ec) owner_.supervisor_.timer_fired();
      });
    }
    void cancel() override { owner_.retry_.cancel(); }

   private:
    HostSync& owner_;
  };

  void note(std::optional<AgentConnection> c, std::optional<std::string> error = std::nullopt) {
    (void)replica_->set_settings(agent_settings(c, wall_.now_ms(), std::move(error)));
    listener_.notify(BS_CHANGED_SYNC);
  }

  // Ends the current connection (asking the host to close it) and tells the
  // supervisor.
  void drop(bool reconnect) {
    session_.reset();
    const uint64_t ending = connection_;
    connection_ = 0;
    if (ending != 0) transport_.close(transport_.context, ending);
    if (reconnect) {
      supervisor_.reconnect_now();
    } else {
      supervisor_.disconnected(false);
    }
  }

  void on_opened() {
    const uint64_t connection = connection_;
    session_ = std::make_unique<sync::ClientSession>(
        *store_, sync::SessionOptions{1000, 1000, true},
        [this, connection](const sync::Message& m) {
          const std::string frame = sync::encode(m, sync::Encoding::kJson);
          transport_.send(transport_.context, connection, frame.data(), frame.size());
        });
    owed_since_ = 0;
    handle(session_->start());
  }

  void on_received(const std::string& frame) {
    if (!session_) return;
    sync::Limits limits;
    limits.max_frame_bytes = 256 * 1024 * 1024;
    limits.max_batch_ops = limits.max_pull_entries = 1'000'000;
    auto m = sync::decode(frame, sync::Encoding::kJson, limits);
    if (!m.ok()) {
      end_with(Status::Corruption(
          fmt::format("服务器发来的一帧本程序读不懂：{}", m.status().message())));
      return;
    }
    const int64_t pulled = session_->tally().pulled;
    handle(session_->receive(*m));
    if (session_ && session_->tally().pulled != pulled)
      listener_.notify(BS_CHANGED_CELLS | BS_CHANGED_REPORTS);
  }

  void on_closed(bool unreachable) {
    session_.reset();
    connection_ = 0;  // the host closed it: nothing to ask
    supervisor_.disconnected(unreachable);
    note(AgentConnection::kOffline, "连接已断开");
  }

  void end_with(const Status& why) {
    drop(false);
    note(AgentConnection::kOffline, why.message());
  }

  void handle(sync::SessionEvent event) {
    switch (event) {
      case sync::SessionEvent::kWelcomed:
        note(AgentConnection::kOnline, "");
        break;
      case sync::SessionEvent::kSynced:
        supervisor_.synced();
        (void)replica_->set_settings(synced_settings(wall_.now_ms()));
        listener_.notify(BS_CHANGED_SYNC);
        break;
      case sync::SessionEvent::kFailed:
        end_with(session_failure_status(session_->failure()));
        return;
      case sync::SessionEvent::kReconnect:
        drop(true);
        return;
      default:
        break;
    }
    owed_since_ =
        session_ && session_->awaiting_reply() ? (owed_since_ ? owed_since_ : waits_.now_ms()) : 0;
  }

  // Every quarter second: local edits are pushed; an answer owed for a
  // minute ends the connection.
  void arm_poll() {
    poll_.expires_after(std::chrono::milliseconds(250));
    poll_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      if (session_ && !session_->ended()) {
        if (!session_->awaiting_reply()) {
          handle(session_->poll());
        } else if (owed_since_ && waits_.now_ms() - owed_since_ > 60'000) {
          end_with(Status::IoError("服务器在 60 秒内没有应答"));
        }
      }
      arm_poll();
    });
  }

  std::unique_ptr<Replica> replica_;
  std::unique_ptr<ReplicaSyncStore> store_;
  bs_transport transport_;
  Listener& listener_;
  asio::io_context io_;
  asio::steady_timer retry_, poll_;
  sync::MonotonicClock waits_;
  Timer timer_;
  sync::Supervisor supervisor_;
  std::unique_ptr<sync::ClientSession> session_;
  uint64_t connections_ = 0;
  uint64_t connection_ = 0;  // the one open or being opened; 0: none
  int64_t owed_since_ = 0;
};

// Sync over the built-in TLS WebSocket: run_agent on a thread of its own.
class BuiltInSync final : public SyncRun {
 public:
  Status open_replica(const std::string& path, const Catalog& catalog) {
    auto opened = Replica::open(path, catalog, wall_, random_);
    if (!opened.ok()) return opened.status();
    replica_ = std::move(*opened);
    return Status::Ok();
  }
  void start(const SyncTarget& target, Listener& listener) {
    thread_ = std::thread([this, target, &listener] {
      AgentOptions options;
      options.stop = &stop_;
      options.remote = &remote_;
      options.changed = [&listener](int changes) { listener.notify(changes); };
      try {
        (void)run_agent(*replica_, target, options, wall_, random_);
      } catch (...) {
        // The agent ended; status shows it stopped.
      }
    });
  }
  void request_stop() override { stop_.request(); }
  void finish() override {
    stop_.request();
    if (thread_.joinable()) thread_.join();
  }
  void network_changed(bool up) { remote_.network_changed(up); }

 private:
  std::unique_ptr<Replica> replica_;
  StopRequest stop_;
  AgentRemote remote_;
};

}  // namespace
}  // namespace budgetsync::client

using namespace budgetsync;
using namespace budgetsync::client;

struct bs_replica {
  std::mutex mutex;  // one call at a time on the replica
  std::string path;
  std::unique_ptr<Catalog> catalog;
  sync::SystemClock clock;
  sync::SystemRandom random;
  std::unique_ptr<Replica> replica;
  Listener listener;
  // The running sync, if any, and one asked to stop from its own thread (to
  // be waited for later). Guarded by sync_mutex alone, never held while
  // waiting for a sync thread: its callbacks may call back in.
  std::mutex sync_mutex;
  std::shared_ptr<BuiltInSync> built_in;
  std::shared_ptr<HostSync> host;
  std::shared_ptr<SyncRun> retired;

  std::shared_ptr<HostSync> current_host() {
    std::lock_guard lock(sync_mutex);
    return host;
  }
};

namespace {

template <typename F>
auto guarded(bs_error* error, F&& f) noexcept -> decltype(f()) {
  clear_error(error);
  try {
    return f();
  } catch (const std::exception& e) {
    set_error(error, BS_ERROR_API, BS_API_INTERNAL, e.what());
  } catch (...) {
    set_error(error, BS_ERROR_API, BS_API_INTERNAL, "unknown failure");
  }
  return decltype(f()){};
}

bool null_argument(bs_error* error, std::initializer_list<const void*> args) {
  for (const void* a : args) {
    if (!a) {
      set_error(error, BS_ERROR_API, BS_API_NULL_ARGUMENT, "必填的参数为空");
      return true;
    }
  }
  return false;
}

Result<ReportKey> key_of(const char* text) {
  return ReportKey::parse(text);
}

bs_replica* finish_open(std::unique_ptr<bs_replica> r, Result<std::unique_ptr<Replica>> opened,
                        bs_error* error) {
  if (!opened.ok()) {
    set_status(error, opened.status());
    return nullptr;
  }
  r->replica = std::move(*opened);
  return r.release();
}

std::unique_ptr<bs_replica> new_handle(const char* path, const char* data_dir, bs_error* error) {
  auto catalog = load_catalog(data_dir);
  if (!catalog.ok()) {
    set_status(error, catalog.status());
    return nullptr;
  }
  auto r = std::make_unique<bs_replica>();
  r->path = path;
  r->catalog = std::make_unique<Catalog>(std::move(*catalog));
  return r;
}

// Takes the running sync out under sync_mutex, then ends it without any lock.
// On the sync's own thread it is only asked to stop, and kept to be waited
// for by the next start, stop or close.
void stop_sync(bs_replica* r) {
  std::shared_ptr<SyncRun> running, retired;
  {
    std::lock_guard lock(r->sync_mutex);
    running = r->built_in ? std::shared_ptr<SyncRun>(std::move(r->built_in))
                          : std::shared_ptr<SyncRun>(std::move(r->host));
    r->built_in.reset();
    r->host.reset();
    retired = std::move(r->retired);
  }
  for (auto& run : {retired, running}) {
    if (!run) continue;
    if (run->on_own_thread()) {
      run->request_stop();
      std::lock_guard lock(r->sync_mutex);
      r->retired = run;
    } else {
      run->finish();
    }
  }
}

// Waits for a sync that was asked to stop from its own thread (without any
// lock: it may still be calling back in).
// An edit of one report: under the replica's lock, `edit(key)` (a Status);
// the listener hears `changes` after the lock is let go (it may call back in).
template <typename Edit>
bool edit_report(bs_replica* r, const char* report, int changes, bs_error* error, Edit&& edit) {
  {
    std::lock_guard lock(r->mutex);
    auto key = key_of(report);
    if (!key.ok()) return set_status(error, key.status()), false;
    if (Status s = edit(*key); !s.ok()) return set_status(error, s), false;
  }
  r->listener.notify(changes);
  return true;
}

void reap_retired(bs_replica* r) {
  std::shared_ptr<SyncRun> retired;
  {
    std::lock_guard lock(r->sync_mutex);
    if (!r->retired || r->retired->on_own_thread()) return;
    retired = std::move(r->retired);
  }
  retired->finish();
}

static_assert(static_cast<int>(StatusCode::kInvalidArgument) == BS_STATUS_INVALID_ARGUMENT &&
                  static_cast<int>(StatusCode::kNotFound) == BS_STATUS_NOT_FOUND &&
                  static_cast<int>(StatusCode::kOutOfRange) == BS_STATUS_OUT_OF_RANGE &&
                  static_cast<int>(StatusCode::kFailedPrecondition) ==
                      BS_STATUS_FAILED_PRECONDITION &&
                  static_cast<int>(StatusCode::kIoError) == BS_STATUS_IO_ERROR &&
                  static_cast<int>(StatusCode::kCorruption) == BS_STATUS_CORRUPTION,
              "bs_status_code mirrors StatusCode");

}  // namespace

extern "C" {

const char* bs_version(void) {
  return "0.1.0";
}

bs_replica* bs_replica_create(const char* path, const char* data_dir, const char* unit,
                              const char* unit_name, const char* user, bs_error* error) {
  return guarded(error, [&]() -> bs_replica* {
    if (null_argument(error, {path, data_dir, unit, unit_name, user})) return nullptr;
    auto r = new_handle(path, data_dir, error);
    if (!r) return nullptr;
    auto created = Replica::create(path, {unit, unit_name, user}, *r->catalog, r->clock, r->random);
    return finish_open(std::move(r), std::move(created), error);
  });
}

bs_replica* bs_replica_open(const char* path, const char* data_dir, bs_error* error) {
  return guarded(error, [&]() -> bs_replica* {
    if (null_argument(error, {path, data_dir})) return nullptr;
    auto r = new_handle(path, data_dir, error);
    if (!r) return nullptr;
    auto opened = Replica::open(path, *r->catalog, r->clock, r->random);
    return finish_open(std::move(r), std::move(opened), error);
  });
}

void bs_replica_close(bs_replica* replica) {
  if (!replica) return;
  try {
    stop_sync(replica);
  } catch (...) {
  }
  delete replica;
}

void bs_string_free(char* s) {
  std::free(s);
}

bool bs_import_files(bs_replica* r, const char* const* paths, size_t count, bs_error* error) {
  return guarded(error, [&]() -> bool {
    if (null_argument(error, {r, paths})) return false;
    std::unique_lock lock(r->mutex);
    std::vector<Report> reports;
    for (size_t i = 0; i < count; ++i) {
      if (null_argument(error, {paths[i]})) return false;
      auto text = read_file(paths[i]);
      if (!text.ok()) return set_status(error, text.status()), false;
      auto report = parse_report(*text, paths[i], *r->catalog);
      if (!report.ok()) return set_status(error, report.status()), false;
      reports.push_back(std::move(*report));
    }
    std::vector<const Report*> all;
    for (const auto& rep : reports) all.push_back(&rep);
    if (Status s = r->replica->import_reports(all); !s.ok()) return set_status(error, s), false;
    lock.unlock();  // a listener may call back in
    r->listener.notify(BS_CHANGED_CELLS | BS_CHANGED_REPORTS | BS_CHANGED_SYNC);
    return true;
  });
}

char* bs_reports(bs_replica* r, bs_error* error) {
  return guarded(error, [&]() -> char* {
    if (null_argument(error, {r})) return nullptr;
    std::lock_guard lock(r->mutex);
    auto list = r->replica->reports();
    if (!list.ok()) return set_status(error, list.status()), nullptr;
    json out = json::array();
    for (const auto& s : *list) out.push_back(report_summary_json(s));
    return copy_string(out.dump());
  });
}

char* bs_report(bs_replica* r, const char* report, bs_error* error) {
  return guarded(error, [&]() -> char* {
    if (null_argument(error, {r, report})) return nullptr;
    std::lock_guard lock(r->mutex);
    auto key = key_of(report);
    if (!key.ok()) return set_status(error, key.status()), nullptr;
    auto loaded = r->replica->load(*key);
    if (!loaded.ok()) return set_status(error, loaded.status()), nullptr;
    return copy_string(render_report_json(*loaded));
  });
}

bool bs_set_cell(bs_replica* r, const char* report, const char* row, const char* column,
                 const char* value, bs_error* error) {
  return guarded(error, [&]() -> bool {
    if (null_argument(error, {r, report, row, column, value})) return false;
    return edit_report(r, report, BS_CHANGED_CELLS | BS_CHANGED_SYNC, error,
                       [&](const ReportKey& key) {
                         return r->replica->set_cell(key, row, column, value).status();
                       });
  });
}

char* bs_add_row(bs_replica* r, const char* report, const char* section, bs_error* error) {
  return guarded(error, [&]() -> char* {
    if (null_argument(error, {r, report})) return nullptr;
    std::string row;
    {
      std::lock_guard lock(r->mutex);
      auto key = key_of(report);
      if (!key.ok()) return set_status(error, key.status()), nullptr;
      auto added = r->replica->add_row(*key, section ? section : "", "", {});
      if (!added.ok()) return set_status(error, added.status()), nullptr;
      row = *added;
    }
    r->listener.notify(BS_CHANGED_CELLS | BS_CHANGED_SYNC);
    return copy_string(row);
  });
}

bool bs_delete_row(bs_replica* r, const char* report, const char* row, bs_error* error) {
  return guarded(error, [&]() -> bool {
    if (null_argument(error, {r, report, row})) return false;
    return edit_report(r, report, BS_CHANGED_CELLS | BS_CHANGED_SYNC, error,
                       [&](const ReportKey& key) { return r->replica->delete_row(key, row); });
  });
}

char* bs_validate(bs_replica* r, const char* report, bs_error* error) {
  return guarded(error, [&]() -> char* {
    if (null_argument(error, {r, report})) return nullptr;
    std::lock_guard lock(r->mutex);
    auto key = key_of(report);
    if (!key.ok()) return set_status(error, key.status()), nullptr;
    if (auto loaded = r->replica->load(*key); !loaded.ok())
      return set_status(error, loaded.status()), nullptr;
    auto all = check_unit_year(*r->replica, *r->catalog, *key);
    if (!all.ok()) return set_status(error, all.status()), nullptr;
    const CheckResult mine = findings_of(*all, *key);
    json findings = json::array();
    int warnings = 0;
    for (const auto& f : mine.findings) {
      findings.push_back(finding_json(f));
      warnings += f.severity == Severity::kWarning;
    }
    return copy_string(json{
        {"report", key->to_string()},
        {"errors", mine.errors()},
        {"warnings", warnings},
        {"findings",
         findings}}.dump());
  });
}

bool bs_submit(bs_replica* r, const char* report, bs_error* error) {
  return guarded(error, [&]() -> bool {
    if (null_argument(error, {r, report})) return false;
    return edit_report(
        r, report, BS_CHANGED_REPORTS | BS_CHANGED_SYNC, error, [&](const ReportKey& key) {
          auto check = check_unit_year(*r->replica, *r->catalog, key);
          if (!check.ok()) return check.status();
          const SubmitOutcome out = submit_report(*r->replica, *check, key);
          if (out.submitted) return Status::Ok();
          return Status::FailedPrecondition(
              out.errors.errors() > 0 ? fmt::format("报表 {} 有 {} 个审核错误，改正后才能上报",
                                                    key.to_string(), out.errors.errors())
                                      : out.refused);
        });
  });
}

char* bs_conflicts(bs_replica* r, bs_error* error) {
  return guarded(error, [&]() -> char* {
    if (null_argument(error, {r})) return nullptr;
    std::lock_guard lock(r->mutex);
    auto open = r->replica->conflicts();
    if (!open.ok()) return set_status(error, open.status()), nullptr;
    json out = json::array();
    for (const auto& c : *open) {
      out.push_back({{"report", c.report.to_string()},
                     {"row", c.row},
                     {"column", c.column},
                     {"visible", c.cell.value ? json(*c.cell.value) : json(nullptr)},
                     {"values", conflict_values_json(c)}});
    }
    return copy_string(out.dump());
  });
}

bool bs_resolve(bs_replica* r, const char* report, const char* row, const char* column,
                const char* value, const char* take, bs_error* error) {
  return guarded(error, [&]() -> bool {
    if (null_argument(error, {r, report, row, column})) return false;
    return edit_report(
        r, report, BS_CHANGED_CELLS | BS_CHANGED_SYNC, error, [&](const ReportKey& key) {
          return r->replica->resolve(key, row, column, value ? value : "", take ? take : "")
              .status();
        });
  });
}

char* bs_status(bs_replica* r, bs_error* error) {
  return guarded(error, [&]() -> char* {
    if (null_argument(error, {r})) return nullptr;
    std::lock_guard lock(r->mutex);
    auto s = r->replica->status();
    if (!s.ok()) return set_status(error, s.status()), nullptr;
    json out = status_fields(*s);
    add_sync_status(*r->replica, r->clock.now_ms(), out);
    return copy_string(out.dump());
  });
}

bool bs_login(bs_replica* r, const char* server_url, const char* ca_file, const char* password,
              bs_error* error) {
  return guarded(error, [&]() -> bool {
    if (null_argument(error, {r, server_url, ca_file, password})) return false;
    std::lock_guard lock(r->mutex);
    auto server = ServerAddress::parse(server_url);
    if (!server.ok()) return set_status(error, server.status()), false;
    auto answer = log_in(*r->replica, *server, ca_file, password);
    if (!answer.ok()) return set_status(error, answer.status()), false;
    return true;
  });
}

bool bs_sync_once(bs_replica* r, bs_error* error) {
  return guarded(error, [&]() -> bool {
    if (null_argument(error, {r})) return false;
    {
      std::lock_guard lock(r->mutex);
      auto target = SyncTarget::from(*r->replica);
      if (!target.ok()) return set_status(error, target.status()), false;
      auto tally = sync_once(*r->replica, *target, AgentOptions{}, r->clock);
      if (!tally.ok()) return set_status(error, tally.status()), false;
    }
    r->listener.notify(BS_CHANGED_CELLS | BS_CHANGED_REPORTS | BS_CHANGED_SYNC);
    return true;
  });
}

bool bs_sync_start(bs_replica* r, bs_error* error) {
  return guarded(error, [&]() -> bool {
    if (null_argument(error, {r})) return false;
    reap_retired(r);
    std::lock_guard lock(r->mutex);
    std::lock_guard running(r->sync_mutex);
    if (r->built_in || r->host) {
      set_error(error, BS_ERROR_API, BS_API_SYNC_RUNNING, "同步已在运行");
      return false;
    }
    auto target = SyncTarget::from(*r->replica);
    if (!target.ok()) return set_status(error, target.status()), false;
    // The agent's own connection to the replica: it notices edits made here
    // by the replica's data version, as it notices another program's.
    auto run = std::make_shared<BuiltInSync>();
    if (Status s = run->open_replica(r->path, *r->catalog); !s.ok())
      return set_status(error, s), false;
    run->start(*target, r->listener);
    r->built_in = std::move(run);
    return true;
  });
}

bool bs_sync_start_with_transport(bs_replica* r, const bs_transport* transport, bs_error* error) {
  return guarded(error, [&]() -> bool {
    if (null_argument(error, {r, transport})) return false;
    if (null_argument(error, {reinterpret_cast<const void*>(transport->open),
                              reinterpret_cast<const void*>(transport->send),
                              reinterpret_cast<const void*>(transport->close)}))
      return false;
    reap_retired(r);
    std::lock_guard lock(r->mutex);
    std::lock_guard running(r->sync_mutex);
    if (r->built_in || r->host) {
      set_error(error, BS_ERROR_API, BS_API_SYNC_RUNNING, "同步已在运行");
      return false;
    }
    auto run = std::make_shared<HostSync>(*transport, r->listener);
    if (Status s = run->open_replica(r->path, *r->catalog); !s.ok())
      return set_status(error, s), false;
    run->start();
    r->host = std::move(run);
    return true;
  });
}

void bs_transport_opened(bs_replica* r, unsigned long long connection) {
  guarded(nullptr, [&]() -> bool {
    if (!r) return false;
    if (auto host = r->current_host()) host->opened(connection);
    return true;
  });
}

void bs_transport_received(bs_replica* r, unsigned long long connection, const char* frame,
                           size_t size) {
  guarded(nullptr, [&]() -> bool {
    if (!r || !frame) return false;
    if (auto host = r->current_host()) host->received(connection, std::string(frame, size));
    return true;
  });
}

void bs_transport_closed(bs_replica* r, unsigned long long connection, bool unreachable) {
  guarded(nullptr, [&]() -> bool {
    if (!r) return false;
    if (auto host = r->current_host()) host->closed(connection, unreachable);
    return true;
  });
}

char* bs_sync_token(bs_replica* r, bs_error* error) {
  return guarded(error, [&]() -> char* {
    if (null_argument(error, {r})) return nullptr;
    std::lock_guard lock(r->mutex);
    auto token = r->replica->setting("server.token");
    if (!token.ok()) return set_status(error, token.status()), nullptr;
    return copy_string(*token);
  });
}

void bs_sync_stop(bs_replica* r) {
  guarded(nullptr, [&]() -> bool {
    if (!r) return false;
    stop_sync(r);
    return true;
  });
}

void bs_network_changed(bs_replica* r, bool up) {
  guarded(nullptr, [&]() -> bool {
    if (!r) return false;
    std::lock_guard lock(r->sync_mutex);
    if (r->built_in) r->built_in->network_changed(up);
    if (r->host) r->host->network_changed(up);
    return true;
  });
}

void bs_set_change_listener(bs_replica* r, bs_change_listener listener, void* context) {
  guarded(nullptr, [&]() -> bool {
    if (r) r->listener.set(listener, context);
    return true;
  });
}

}  // extern "C"
