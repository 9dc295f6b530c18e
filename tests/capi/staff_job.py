"""The staff job of staff_job.c, from Python through ctypes: what an app in
another language does with libbudgetsync. Run by tests/e2e/capi_e2e_test.cpp:

    staff_job.py LIBBUDGETSYNC SERVER_URL CA_FILE DATA_DIR WORK_DIR REPORT_FILE

with the passwords of wang and zhang in $PW_WANG and $PW_ZHANG. Exits 0 when
every check held."""
import ctypes
import json
import os
import sys
import threading
import time

REPORT = "411325-ybj/2024/final02"
ROW, COLUMN = "2101505", "本年收入合计"

BS_ERROR_STATUS, BS_ERROR_API = 1, 2
BS_STATUS_FAILED_PRECONDITION = 4
BS_CHANGED_CELLS, BS_CHANGED_SYNC = 1, 4


class Error(ctypes.Structure):
    _fields_ = [("domain", ctypes.c_int), ("code", ctypes.c_int), ("message", ctypes.c_char * 1024)]


Listener = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int)


class Api:
    def __init__(self, path):
        lib = ctypes.CDLL(path)
        P, S, B = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_bool
        E = ctypes.POINTER(Error)
        sig = {
            "bs_version": (S, []),
            "bs_replica_create": (P, [S, S, S, S, S, E]),
            "bs_replica_open": (P, [S, S, E]),
            "bs_replica_close": (None, [P]),
            "bs_string_free": (None, [P]),
            "bs_import_files": (B, [P, ctypes.POINTER(S), ctypes.c_size_t, E]),
            "bs_reports": (P, [P, E]),
            "bs_report": (P, [P, S, E]),
            "bs_set_cell": (B, [P, S, S, S, S, E]),
            "bs_validate": (P, [P, S, E]),
            "bs_submit": (B, [P, S, E]),
            "bs_conflicts": (P, [P, E]),
            "bs_resolve": (B, [P, S, S, S, S, S, E]),
            "bs_status": (P, [P, E]),
            "bs_login": (B, [P, S, S, S, E]),
            "bs_sync_once": (B, [P, E]),
            "bs_sync_start": (B, [P, E]),
            "bs_sync_stop": (None, [P]),
            "bs_set_change_listener": (None, [P, Listener, P]),
        }
        for name, (res, args) in sig.items():
            f = getattr(lib, name)
            f.restype, f.argtypes = res, args
        self.lib = lib
        self.error = Error()

    def call(self, name, *args):
        return getattr(self.lib, name)(*args, ctypes.byref(self.error))

    def json_call(self, name, *args):
        p = self.call(name, *args)
        if not p:
            raise RuntimeError(f"{name}: {self.error.message.decode()}")
        try:
            return json.loads(ctypes.string_at(p).decode())
        finally:
            self.lib.bs_string_free(p)


def enc(s):
    return s.encode()


def check(cond, step, api=None):
    if not cond:
        why = api.error.message.decode() if api else ""
        print(f"FAILED: {step}: {why}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {step}")


def wait_for(cond, seconds=20):
    deadline = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.025)  # a poll interval under a deadline
    return True


def main():
    libpath, server, ca, data, work, report_file = sys.argv[1:7]
    api = Api(libpath)
    check(api.lib.bs_version().decode() == "0.1.0", "the library says its version")
    a = api.call("bs_replica_create", enc(os.path.join(work, "wang.db")), enc(data),
                 enc("411325-ybj"), enc("内乡县医疗保障局"), enc("wang"))
    check(a, "wang creates his replica", api)
    b = api.call("bs_replica_create", enc(os.path.join(work, "zhang.db")), enc(data),
                 enc("411325-ybj"), enc("内乡县医疗保障局"), enc("zhang"))
    check(b, "zhang creates hers", api)
    files = (ctypes.c_char_p * 1)(enc(report_file))
    check(api.call("bs_import_files", a, files, 1), "wang imports the report", api)
    check(api.call("bs_login", a, enc(server), enc(ca), enc(os.environ["PW_WANG"])), "wang logs in", api)
    check(api.call("bs_login", b, enc(server), enc(ca), enc(os.environ["PW_ZHANG"])), "zhang logs in", api)
    check(api.call("bs_sync_once", a), "wang syncs", api)

    heard = {"cells": 0}
    lock = threading.Lock()

    @Listener
    def on_change(_context, changes):
        if changes & BS_CHANGED_CELLS:
            with lock:
                heard["cells"] += 1

    api.lib.bs_set_change_listener(b, on_change, None)
    check(api.call("bs_sync_start", b), "zhang's sync starts", api)

    def value(replica):
        rep = api.json_call("bs_report", replica, enc(REPORT))
        for row in rep["rows"]:
            if row["key"] == ROW:
                return row["cells"].get("total")
        return None

    def has_report():
        return any(r["report"] == REPORT for r in api.json_call("bs_reports", b))

    check(wait_for(has_report), "the report reaches zhang")
    check(value(b) == "15.00", "zhang sees wang's value")
    before = heard["cells"]
    check(api.call("bs_set_cell", a, enc(REPORT), enc(ROW), enc(COLUMN), enc("42.00")), "wang edits", api)
    check(api.call("bs_sync_once", a), "wang syncs the edit", api)
    check(wait_for(lambda: value(b) == "42.00"), "zhang's replica shows the edit")
    def heard_more():
        with lock:
            return heard["cells"] > before

    # The listener is called after the entries are written, on the sync thread.
    check(wait_for(heard_more), "zhang's listener heard of it")

    found = api.json_call("bs_validate", a, enc(REPORT))
    check(found["errors"] > 0 and any(f["row"] == ROW for f in found["findings"]),
          "validation finds the edited total wrong")
    check(not api.call("bs_submit", a, enc(REPORT))
          and api.error.domain == BS_ERROR_STATUS
          and api.error.code == BS_STATUS_FAILED_PRECONDITION,
          "submitting with errors is refused")

    api.lib.bs_sync_stop(b)
    check(api.call("bs_set_cell", a, enc(REPORT), enc(ROW), enc(COLUMN), enc("16.00")), "wang edits offline", api)
    check(api.call("bs_set_cell", b, enc(REPORT), enc(ROW), enc(COLUMN), enc("17.00")), "zhang edits offline", api)
    check(api.call("bs_sync_once", a) and api.call("bs_sync_once", b), "both sync", api)
    conflicts = api.json_call("bs_conflicts", b)
    check(len(conflicts) == 1 and {v["value"] for v in conflicts[0]["values"]} == {"16.00", "17.00"},
          "zhang has the conflict with both values")
    take = next(v["op"] for v in conflicts[0]["values"] if v["value"] == "16.00")
    check(api.call("bs_resolve", b, enc(REPORT), enc(ROW), enc(COLUMN), None, enc(take)),
          "zhang settles it by taking wang's value", api)
    check(api.call("bs_sync_once", b) and api.call("bs_sync_once", a), "both sync again", api)
    left = api.json_call("bs_conflicts", a)
    check(left == [], f"wang has no conflict left {left} / zhang {api.json_call('bs_conflicts', b)}")
    check(value(a) == "16.00", "wang sees the settled value")
    status = api.json_call("bs_status", a)
    check(status["pending_ops"] == 0 and status["open_conflicts"] == 0, "nothing waits on wang's side")

    api.lib.bs_replica_close(a)
    api.lib.bs_replica_close(b)
    print("staff job done")


if __name__ == "__main__":
    main()
