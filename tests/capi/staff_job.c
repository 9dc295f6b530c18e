/* A whole staff job through the C API, compiled as C, against a real
 * budgetsync-server over loopback TLS (tests/e2e/capi_e2e_test.cpp starts it
 * and runs this program):
 *
 *   staff_job SERVER_URL CA_FILE DATA_DIR WORK_DIR REPORT_FILE
 *
 * with the passwords of wang and zhang in $PW_WANG and $PW_ZHANG. wang imports
 * a report and syncs; zhang keeps in sync on the library's thread and learns
 * of wang's edit through the change listener; both edit one cell offline and
 * the conflict is settled; validation flags the edited total, and once it is
 * settled to the right value the report is submitted. Prints each step; exits
 * 0 when every check held, 1 at the first that did not. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budgetsync.h"

static const char* kReport = "411325-ybj/2024/final02";
static const char* kRow = "2101505";
static const char* kColumn = "本年收入合计";

static atomic_int cells_changed;
static atomic_int sync_changed;

static void on_change(void* context, int changes) {
  (void)context;
  if (changes & BS_CHANGED_CELLS) atomic_fetch_add(&cells_changed, 1);
  if (changes & BS_CHANGED_SYNC) atomic_fetch_add(&sync_changed, 1);
}

static int failed(const char* step, const bs_error* e) {
  fprintf(stderr, "FAILED: %s: domain %d code %d: %s\n", step, e ? e->domain : 0, e ? e->code : 0,
          e ? e->message : "");
  return 1;
}

#define CHECK(cond, step)                     \
  do {                                        \
    if (!(cond)) return failed(step, &error); \
    printf("ok: %s\n", step);                 \
  } while (0)

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Polls `cond` every 25 ms until it holds or `ms` pass (a named wait with a
 * deadline, not a sleep as synchronisation). */
static int wait_for(int (*cond)(bs_replica*), bs_replica* r, long long ms) {
  const long long deadline = now_ms() + ms;
  const struct timespec pause = {0, 25 * 1000 * 1000};
  while (!cond(r)) {
    if (now_ms() > deadline) return 0;
    nanosleep(&pause, NULL);
  }
  return 1;
}

/* The value of kRow/kColumn in the report's JSON ("" when absent). */
static char last_value[64];
static const char* cell_value(bs_replica* r) {
  bs_error error;
  char* report = bs_report(r, kReport, &error);
  last_value[0] = '\0';
  if (!report) return last_value;
  /* The row's object holds "key": "2101505", then its cells, among them
   * "total" (本年收入合计): "VALUE". */
  const char* row = strstr(report, "\"key\": \"2101505\"");
  const char* cell = row ? strstr(row, "\"total\": ") : NULL;
  if (cell) {
    cell = strchr(cell + strlen("\"total\": "), '"');
    const char* end = cell ? strchr(cell + 1, '"') : NULL;
    if (cell && end && end - cell - 1 < (long)sizeof last_value) {
      memcpy(last_value, cell + 1, (size_t)(end - cell - 1));
      last_value[end - cell - 1] = '\0';
    }
  }
  bs_string_free(report);
  return last_value;
}

static int has_report(bs_replica* r) {
  bs_error error;
  char* list = bs_reports(r, &error);
  const int found = list && strstr(list, kReport) != NULL;
  bs_string_free(list);
  return found;
}

static int shows_42(bs_replica* r) {
  return strcmp(cell_value(r), "42.00") == 0;
}

static int heard_before;
static int heard_more(bs_replica* r) {
  (void)r;
  return atomic_load(&cells_changed) > heard_before;
}

static int online(bs_replica* r) {
  bs_error error;
  char* status = bs_status(r, &error);
  const int yes = status && strstr(status, "\"online\":true") != NULL;
  bs_string_free(status);
  return yes;
}

int main(int argc, char** argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: staff_job SERVER_URL CA_FILE DATA_DIR WORK_DIR REPORT_FILE\n");
    return 2;
  }
  const char* server = argv[1];
  const char* ca = argv[2];
  const char* data = argv[3];
  const char* work = argv[4];
  const char* file = argv[5];
  char a_path[4096], b_path[4096];
  snprintf(a_path, sizeof a_path, "%s/wang.db", work);
  snprintf(b_path, sizeof b_path, "%s/zhang.db", work);
  bs_error error;
  memset(&error, 0, sizeof error);

  /* Misuse is an error, not a crash. */
  CHECK(bs_replica_open(NULL, data, &error) == NULL && error.domain == BS_ERROR_API &&
            error.code == BS_API_NULL_ARGUMENT,
        "a NULL path is refused as misuse");
  CHECK(bs_replica_open(a_path, data, &error) == NULL && error.domain == BS_ERROR_STATUS,
        "opening a replica that does not exist fails with a status");

  bs_replica* a = bs_replica_create(a_path, data, "411325-ybj", "内乡县医疗保障局", "wang", &error);
  CHECK(a != NULL, "wang creates his replica");
  bs_replica* b =
      bs_replica_create(b_path, data, "411325-ybj", "内乡县医疗保障局", "zhang", &error);
  CHECK(b != NULL, "zhang creates hers");

  const char* files[] = {file};
  CHECK(bs_import_files(a, files, 1, &error), "wang imports the report");
  CHECK(bs_login(a, server, ca, getenv("PW_WANG"), &error), "wang logs in");
  CHECK(!bs_login(b, server, ca, "wrong-password", &error) && error.domain == BS_ERROR_STATUS &&
            error.code == BS_STATUS_FAILED_PRECONDITION,
        "a wrong password is refused");
  CHECK(bs_login(b, server, ca, getenv("PW_ZHANG"), &error), "zhang logs in");
  CHECK(bs_sync_once(a, &error), "wang syncs once");

  /* zhang stays in sync on the library's thread. */
  bs_set_change_listener(b, on_change, NULL);
  CHECK(bs_sync_start(b, &error), "zhang's sync starts");
  CHECK(!bs_sync_start(b, &error) && error.domain == BS_ERROR_API &&
            error.code == BS_API_SYNC_RUNNING,
        "a second start is refused");
  CHECK(wait_for(has_report, b, 20000), "the report reaches zhang");
  CHECK(wait_for(online, b, 20000), "zhang's status says online");
  CHECK(strcmp(cell_value(b), "15.00") == 0, "zhang sees wang's value");

  /* wang's edit reaches zhang and her listener hears of it. */
  heard_before = atomic_load(&cells_changed);
  CHECK(bs_set_cell(a, kReport, kRow, kColumn, "42.00", &error), "wang edits a cell");
  CHECK(bs_sync_once(a, &error), "wang syncs the edit");
  CHECK(wait_for(shows_42, b, 20000), "zhang's replica shows the edit");
  /* Called after the entries are written, on the sync thread. */
  CHECK(wait_for(heard_more, b, 20000), "zhang's change listener was called for it");
  CHECK(atomic_load(&sync_changed) > 0, "and for the sync status");

  /* Validation flags the total that no longer adds up. */
  char* findings = bs_validate(a, kReport, &error);
  CHECK(findings != NULL && strstr(findings, "\"errors\":0") == NULL &&
            strstr(findings, kRow) != NULL,
        "validation finds the edited total wrong");
  bs_string_free(findings);
  CHECK(!bs_submit(a, kReport, &error) && error.code == BS_STATUS_FAILED_PRECONDITION,
        "submitting with errors is refused");

  /* Both edit the cell offline: a conflict, settled on zhang's device. */
  bs_sync_stop(b);
  CHECK(bs_set_cell(a, kReport, kRow, kColumn, "16.00", &error), "wang edits offline");
  CHECK(bs_set_cell(b, kReport, kRow, kColumn, "17.00", &error), "zhang edits offline");
  CHECK(bs_sync_once(a, &error) && bs_sync_once(b, &error), "both sync");
  char* conflicts = bs_conflicts(b, &error);
  CHECK(conflicts != NULL && strstr(conflicts, "16.00") && strstr(conflicts, "17.00"),
        "zhang has the conflict with both values");
  bs_string_free(conflicts);
  CHECK(!bs_resolve(b, kReport, kRow, "no-such-column", "1", NULL, &error) &&
            error.domain == BS_ERROR_STATUS,
        "settling a cell that has no conflict is refused");
  CHECK(bs_resolve(b, kReport, kRow, kColumn, "15.00", NULL, &error), "zhang settles it at 15.00");
  CHECK(bs_sync_once(b, &error) && bs_sync_once(a, &error), "both sync again");
  conflicts = bs_conflicts(a, &error);
  CHECK(conflicts != NULL && strcmp(conflicts, "[]") == 0, "wang has no conflict left");
  bs_string_free(conflicts);
  CHECK(strcmp(cell_value(a), "15.00") == 0, "wang sees the settled value");

  /* Valid again: wang submits. */
  findings = bs_validate(a, kReport, &error);
  CHECK(findings != NULL && strstr(findings, "\"errors\":0") != NULL, "validation is clean");
  bs_string_free(findings);
  CHECK(bs_submit(a, kReport, &error), "wang submits the report");
  CHECK(bs_sync_once(a, &error), "the submission is sent");
  char* reports = bs_reports(a, &error);
  CHECK(reports != NULL && strstr(reports, "\"state\":\"submitted\"") != NULL,
        "the report is submitted");
  bs_string_free(reports);

  bs_replica_close(a);
  bs_replica_close(b);
  printf("staff job done\n");
  return 0;
}
