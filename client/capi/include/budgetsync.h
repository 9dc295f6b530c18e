/* budgetsync.h: the client core for apps that embed it (the Android and iOS
 * apps, or any program in another language), as a C API over libbudgetsync.
 *
 * A replica is one unit's records on this device (SQLite, one file). Edits are
 * saved at once and sent when sync runs; the server merges everyone's edits
 * cell by cell and keeps conflicts for a person to settle.
 *
 * Errors. Every function that can fail takes a `bs_error*` (may be NULL) and
 * reports failure by its return value (false, NULL). The error says what
 * happened: `domain` BS_ERROR_STATUS with `code` one of BS_STATUS_*, or
 * BS_ERROR_API for misuse (a NULL argument, a closed replica); `message` is
 * for the user, in Chinese, UTF-8, NUL-terminated, cut at a character
 * boundary if longer than the buffer. Nothing in a bs_error needs freeing.
 *
 * Ownership. Strings returned as `char*` (JSON, UTF-8) belong to the caller,
 * who frees them with bs_string_free. Strings passed in are only read during
 * the call. A bs_replica is freed by bs_replica_close.
 *
 * Threading. Every function is safe to call from any thread; calls on one
 * replica are serialized (one at a time). No function throws or aborts: all
 * are noexcept at the C boundary. Sync runs on a thread of the library's
 * own; the change listener and the host transport's callbacks are called on
 * that thread (or, for edits and bs_sync_once made through this API, on the
 * caller's thread, before the call returns). A callback may call the API, but
 * not bs_replica_close on its replica.
 */
#ifndef BUDGETSYNC_H_
#define BUDGETSYNC_H_

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ---------------------------------------------------------- */

enum bs_error_domain {
  BS_ERROR_NONE = 0,
  BS_ERROR_STATUS = 1, /* code: enum bs_status_code */
  BS_ERROR_API = 2,    /* code: enum bs_api_code */
};

enum bs_status_code {
  BS_STATUS_INVALID_ARGUMENT = 1,    /* malformed input: a bad amount, code, key */
  BS_STATUS_NOT_FOUND = 2,           /* no such report, row, column, file */
  BS_STATUS_OUT_OF_RANGE = 3,        /* a number too large to hold exactly */
  BS_STATUS_FAILED_PRECONDITION = 4, /* not allowed now: locked report, refused login, errors */
  BS_STATUS_IO_ERROR = 5,            /* the disk, the network */
  BS_STATUS_CORRUPTION = 6,          /* stored data or an answer is not what was written */
};

enum bs_api_code {
  BS_API_NULL_ARGUMENT = 1,
  BS_API_SYNC_RUNNING = 2, /* bs_sync_start while sync runs */
  BS_API_INTERNAL = 3,     /* an unexpected failure inside the library */
};

typedef struct bs_error {
  int domain;
  int code;
  char message[1024];
} bs_error;

/* ---- replicas -------------------------------------------------------- */

typedef struct bs_replica bs_replica;

/* The library's version, "0.1.0". Static; do not free. */
const char* bs_version(void);

/* Creates a replica at `path` for `user` of `unit` (e.g. "411325-ybj",
 * "内乡县医疗保障局"). `data_dir` holds the form templates and code lists
 * (forms/, codes/), shipped with the app. */
bs_replica* bs_replica_create(const char* path, const char* data_dir, const char* unit,
                              const char* unit_name, const char* user, bs_error* error);
/* Opens an existing replica. */
bs_replica* bs_replica_open(const char* path, const char* data_dir, bs_error* error);
/* Stops sync if it runs, then closes and frees the replica. NULL is ignored. */
void bs_replica_close(bs_replica* replica);

void bs_string_free(char* s);

/* Imports report files (budgetsync-report JSON, as exported), all of them or
 * none. `paths` has `count` entries. */
bool bs_import_files(bs_replica* replica, const char* const* paths, size_t count, bs_error* error);

/* ---- reports and cells ----------------------------------------------- */

/* Report keys are "UNIT/YEAR/FORM" or "UNIT/YEAR/FORM:PROJECT". Rows and
 * columns are the template's keys (see the report's JSON). */

/* JSON array: one object per report — report, unit, unit_name, form_title,
 * name, state, state_by, state_reason. */
char* bs_reports(bs_replica* replica, bs_error* error);
/* JSON: the report as its file format has it (report, unit_name, money unit,
 * rows in printed order with their cells as entered). */
char* bs_report(bs_replica* replica, const char* report, bs_error* error);
/* Sets one cell ("" clears it); refused (INVALID_ARGUMENT) when the value
 * does not fit the column, (FAILED_PRECONDITION) when the report is locked. */
bool bs_set_cell(bs_replica* replica, const char* report, const char* row, const char* column,
                 const char* value, bs_error* error);
/* Adds a row to a dynamic section ("" for the form's only one); returns its
 * key (free with bs_string_free). */
char* bs_add_row(bs_replica* replica, const char* report, const char* section, bs_error* error);
bool bs_delete_row(bs_replica* replica, const char* report, const char* row, bs_error* error);

/* JSON: {"errors": N, "warnings": N, "findings": [...]} for the report,
 * checked with the other reports of its unit and year (cross-table rules),
 * scores included for scored forms. */
char* bs_validate(bs_replica* replica, const char* report, bs_error* error);
/* Submits the report for review; refused (FAILED_PRECONDITION, the message
 * naming the count) while validation finds errors on it. Warnings go with
 * the submission. Sent at the next sync. */
bool bs_submit(bs_replica* replica, const char* report, bs_error* error);

/* JSON array of open conflicts: report, row, column, visible, values [{op,
 * author, value, hlc, at}]. */
char* bs_conflicts(bs_replica* replica, bs_error* error);
/* Settles a conflict with `value`, or with competing value `take` (its "op")
 * when `take` is not NULL or "". */
bool bs_resolve(bs_replica* replica, const char* report, const char* row, const char* column,
                const char* value, const char* take, bs_error* error);

/* JSON: unit, unit_name, user, device, reports, pending_ops, rejected_ops,
 * open_conflicts, server, online, agent_running, last_sync, last_error. */
char* bs_status(bs_replica* replica, bs_error* error);

/* ---- sync ------------------------------------------------------------ */

/* Logs in to `server_url` ("https://host:port") as the replica's user,
 * trusting the certificate authority in `ca_file`; the token is kept in the
 * replica. */
bool bs_login(bs_replica* replica, const char* server_url, const char* ca_file,
              const char* password, bs_error* error);

/* Pushes and pulls once over the built-in TLS WebSocket, then returns. Like
 * bs_login, it holds the replica for the whole exchange: other calls on the
 * replica wait for it (call it off the UI thread). */
bool bs_sync_once(bs_replica* replica, bs_error* error);

/* Keeps the replica in sync on the library's own thread over the built-in
 * TLS WebSocket: local edits are sent within a quarter second, others' arrive
 * as the server announces them, and a lost connection is retried by itself
 * (at once when bs_network_changed says the network is back). */
bool bs_sync_start(bs_replica* replica, bs_error* error);

/* The host app's own socket, for platforms where it must own the network
 * (a WebSocket to the server's /sync with "Authorization: Bearer TOKEN"; the
 * token is bs_sync_token's). The library calls `open` when it wants a
 * connection, naming it by `connection` (a new number each time), `send` for
 * each frame of that connection (text, JSON), and `close` to end it; all on
 * the sync thread. The host answers with bs_transport_opened,
 * bs_transport_received and bs_transport_closed, from any thread (from inside
 * the callbacks too), naming the connection they are about: news of an older
 * connection (a close reported late, a frame still in flight) is ignored. */
typedef struct bs_transport {
  void* context;
  void (*open)(void* context, unsigned long long connection);
  void (*send)(void* context, unsigned long long connection, const char* frame, size_t size);
  void (*close)(void* context, unsigned long long connection);
} bs_transport;
bool bs_sync_start_with_transport(bs_replica* replica, const bs_transport* transport,
                                  bs_error* error);
void bs_transport_opened(bs_replica* replica, unsigned long long connection);
void bs_transport_received(bs_replica* replica, unsigned long long connection, const char* frame,
                           size_t size);
/* `unreachable`: the server could not be reached at all (vs. a connection
 * that was up and ended). */
void bs_transport_closed(bs_replica* replica, unsigned long long connection, bool unreachable);
/* The bearer token for the host's WebSocket (free with bs_string_free). */
char* bs_sync_token(bs_replica* replica, bs_error* error);

/* Stops sync (either kind) and waits for its thread; with the host's socket,
 * the open connection is closed (`close`) first. No callback runs after it
 * returns, and the host must not call bs_transport_* for that sync any more.
 * Called on the sync thread (from a listener or a transport callback), it
 * only asks the sync to stop; the thread is waited for by the next start,
 * stop or close. Harmless when none runs. */
void bs_sync_stop(bs_replica* replica);

/* The operating system says the network went away or came back: when it
 * comes back, a waiting sync connects at once instead of waiting out its
 * backoff. */
void bs_network_changed(bs_replica* replica, bool up);

/* ---- change listener ------------------------------------------------- */

enum bs_change {
  BS_CHANGED_CELLS = 1,   /* cell values changed (an edit here, or arrived by sync) */
  BS_CHANGED_REPORTS = 2, /* reports appeared or changed state */
  BS_CHANGED_SYNC = 4,    /* online/offline, last sync, pending count */
};
/* `changes`: a bitwise OR of enum bs_change. */
typedef void (*bs_change_listener)(void* context, int changes);
/* Replaces the listener (NULL removes it). A call already under way on the
 * sync thread may still finish after this returns: stop sync (bs_sync_stop)
 * before freeing what `context` points to. */
void bs_set_change_listener(bs_replica* replica, bs_change_listener listener, void* context);

#ifdef __cplusplus
}
#endif

#endif /* BUDGETSYNC_H_ */
