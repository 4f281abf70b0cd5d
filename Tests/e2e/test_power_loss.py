#!/usr/bin/env python3
"""A power cut at any moment loses no acknowledged write: simulated from a record of the writes.

    python3 Tests/e2e/test_power_loss.py --colony PATH [--points 40] [--seed N]

SIGKILL (test_server_kill.py) leaves the kernel's page cache whole, so it cannot show that a
write was on stable storage when it was acknowledged. This test can. `colony serve` runs with
Tests/e2e/powerloss/shim.c preloaded, which records, in order, every write to the store's
data.mdb, every flush of it (fsync/fdatasync: begin and return) and whether a write went
through an O_DSYNC descriptor. The test feeds three servers (one alone, then two at once on
the same store) log_event and log_insight calls over stdio, and appends an acknowledgement
record to the same log for every call answered without an error. Then, for many crash points in that log, it rebuilds data.mdb as the disk could hold
it after a power cut there:
- every write made before the start of a flush that returned before the crash point, and
  every O_DSYNC write that returned before it, are on the disk;
- any of the other writes before the crash point may or may not be (variants: none of them,
  a random half, all of them);
and checks, on a copy of that file alone:
- `colony export` reads it, positions are dense from 1, no event is stored twice, and every
  event acknowledged before the crash point is there at the position it was acknowledged with;
- `colony verify` finds nothing wrong (records, indexes, views equal to a rebuild).
Before the first acknowledgement, the names that lead to data.mdb must be on the disk too: the
shim records the file's creation, each directory made, each rename and each flush of a
directory, and the file and every directory made for the store must each be followed by a flush
of the directory that holds it. The same for what `colony export`, `colony backup` (and its
rename into place) and an MCP `start_export` ticket report done.
Then the same for the offline CLI: `colony import` of that store's export in batches of 7 lines
(its exit acknowledges every event; before it, the store must hold a prefix of the file), then
a `colony rebuild` in chunks of 16 events, through its shadow tables and its swap.
Exits 1 when a check fails. Needs a C compiler (cc, gcc or the Swift toolchain's clang).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = struct.Struct("<B3xIQQQ")  # type, pid, a, b, length (shim.c's struct header)
FAILURES: list[str] = []


def check(condition: bool, message: str) -> None:
    if not condition:
        FAILURES.append(message)
        print("FAIL:", message, flush=True)


def ack_record(event_id: str, position: int) -> bytes:
    """The log record 'A': the test was told `event_id` is stored at `position`."""
    data = event_id.encode()
    return HEADER.pack(ord("A"), 0, position, 0, len(data)) + data


def build_shim(directory: str) -> str:
    out = os.path.join(directory, "shim.so")
    source = os.path.join(HERE, "powerloss", "shim.c")
    for compiler in ("cc", "gcc", "clang"):
        if shutil.which(compiler):
            r = subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", out, source, "-ldl"], capture_output=True, text=True)
            if r.returncode == 0:
                return out
            print(f"{compiler} failed: {r.stderr[-800:]}")
    sys.exit("test_power_loss: no C compiler could build powerloss/shim.c (install cc or use the Swift toolchain's clang)")


class Server:
    """`colony serve` over stdio with the shim preloaded; acknowledgements go to the record log."""

    def __init__(self, colony: str, store: str, shim: str, log: str):
        env = dict(os.environ, LD_PRELOAD=shim, POWERLOSS_LOG=log, POWERLOSS_MATCH=os.path.join(store, "data.mdb"))
        self.proc = subprocess.Popen([colony, "serve", "--store", store, "--log-level", "error"], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.log_fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.pending: dict[int, str] = {}
        self.acked: dict[str, int] = {}
        self.errors: list[str] = []
        self.answered = threading.Condition()
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def send(self, message: dict) -> None:
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        self.proc.stdin.flush()

    def read(self) -> None:
        for line in self.proc.stdout:
            message = json.loads(line)
            rid, result = message.get("id"), message.get("result")
            if not isinstance(rid, int) or rid == 0:
                continue
            with self.answered:
                event_id = self.pending.pop(rid)
                if result and result.get("isError") is False:
                    position = result["structuredContent"]["position"]
                    self.acked[event_id] = position
                    # One write on an O_APPEND descriptor: after every record of the commit it acknowledges.
                    os.write(self.log_fd, ack_record(event_id, position))
                else:
                    self.errors.append(json.dumps(message)[:300])
                self.answered.notify_all()

    def call(self, rid: int, tool: str, arguments: dict) -> None:
        event_id = str(uuid.uuid4())
        with self.answered:
            self.pending[rid] = event_id
        self.send({"jsonrpc": "2.0", "id": rid, "method": "tools/call",
                   "params": {"name": tool, "arguments": dict(arguments, event_id=event_id)}})

    def wait_all(self, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        with self.answered:
            while self.pending and time.time() < deadline:
                self.answered.wait(0.1)
        check(not self.pending, f"{len(self.pending)} calls unanswered")

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(60)
        self.reader.join(10)
        os.close(self.log_fd)


def run_workload(server: Server, scopes: list[str], calls: int, burst: int) -> None:
    server.send({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                 "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "power-loss", "version": "1"}}})
    server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    rid = 0
    while rid < calls:
        # A burst in flight at once, so that commits carry several calls.
        for _ in range(min(burst, calls - rid)):
            rid += 1
            scope = scopes[rid % len(scopes)]
            if rid % 7 == 0:
                server.call(rid, "log_insight", {"scope": scope, "text": f"insight {rid % 3}", "importance": (rid % 5) / 4})
            else:
                server.call(rid, "log_event", {"scope": scope, "text": f"event {rid} " + "x" * (rid * 37 % 300)})
        server.wait_all()
    server.close()


def read_records(log: str) -> list[tuple]:
    data = open(log, "rb").read()
    records, at = [], 0
    while at < len(data):
        kind, pid, a, b, length = HEADER.unpack_from(data, at)
        at += HEADER.size
        records.append((chr(kind), pid, a, b, data[at:at + length]))
        at += length
    return records


def disk_at(records: list[tuple], crash: int, keep_volatile: float, rng: random.Random) -> bytes:
    """data.mdb as a power cut just before records[crash] could leave it."""
    begins = {r[2]: i for i, r in enumerate(records[:crash]) if r[0] == "B"}
    durable_before = 0  # every write before this index is on the disk
    for i, r in enumerate(records[:crash]):
        if r[0] == "S" and r[2] in begins:
            durable_before = max(durable_before, begins[r[2]])
    image = bytearray()
    for i, (kind, _pid, a, b, data) in enumerate(records[:crash]):
        if kind == "T" and i < durable_before:
            del image[a:]
        if kind != "W":
            continue
        if not (i < durable_before or b == 1 or rng.random() < keep_volatile):
            continue
        if len(image) < a + len(data):
            image.extend(bytes(a + len(data) - len(image)))
        image[a:a + len(data)] = data
    return bytes(image)


def flushed_between(records: list[tuple], start: int, end: int, directory: str) -> bool:
    """Whether a flush of `directory` returned (shim record 'D') between records start and end."""
    return any(r[0] == "D" and r[4].decode() == directory for r in records[start:end])


def check_names_flushed(records: list[tuple], target: str, label: str) -> None:
    """Before the first acknowledgement, the names on the way to `target` that this run made
    were on the disk: `target` itself (shim record 'N') and each directory made on the way to
    it ('M'), each followed by a flush of the directory that holds it ('D'). A file's contents
    flushed under a name that a power cut loses are lost with it: flushing a file does not
    flush the directory entry that names it (fsync(2)), and some file systems do not."""
    target = os.path.realpath(target)
    first_ack = next((i for i, r in enumerate(records) if r[0] == "A"), len(records))
    made = [(i, r[4].decode()) for i, r in enumerate(records[:first_ack])
            if (r[0] == "N" and r[4].decode() == target) or (r[0] == "M" and target.startswith(r[4].decode() + "/"))]
    check(any(path == target for _, path in made),
          f"{label}: the shim recorded no creation of {target} before the first acknowledgement")
    for i, path in made:
        parent = os.path.dirname(path)
        check(flushed_between(records, i + 1, first_ack, parent),
              f"{label}: {path} was made (record {i}) but {parent} was not flushed before the first "
              f"acknowledgement (record {first_ack}): a power cut could lose the name, and what it names")


def acknowledge_exit(log: str, what: str) -> list[tuple]:
    """Appends the acknowledgement of a whole command (`what` is done, on the disk) to the
    record log, and returns the log's records."""
    with open(log, "ab") as f:
        f.write(ack_record(what, 0))
    return read_records(log)


def check_state(colony: str, work: str, image: bytes, acked: dict[str, int], label: str,
                prefix: list[str] | None = None) -> None:
    """The store a crash left: opens, dense, holds every acknowledged event where it was
    acknowledged (and, with `prefix`, exactly a prefix of those ids in order), verifies clean."""
    store = os.path.join(work, "crash")
    shutil.rmtree(store, ignore_errors=True)
    os.makedirs(store)
    with open(os.path.join(store, "data.mdb"), "wb") as f:
        f.write(image)
    r = subprocess.run([colony, "export", "--store", store, "--quiet"], capture_output=True, timeout=120)
    check(r.returncode == 0, f"{label}: export exit {r.returncode}: {r.stderr[-400:]!r}")
    if r.returncode != 0:
        return
    log = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    check([e["position"] for e in log] == list(range(1, len(log) + 1)), f"{label}: positions not dense 1..{len(log)}")
    where: dict[str, int] = {}
    for e in log:
        check(e["id"] not in where, f"{label}: event {e['id']} stored twice")
        where[e["id"]] = e["position"]
    lost = [i for i, position in acked.items() if where.get(i) != position]
    check(not lost, f"{label}: {len(lost)} of {len(acked)} acknowledged events missing or moved, e.g. {lost[:2]}")
    if prefix is not None:
        ids = [e["id"] for e in log]
        check(ids == prefix[:len(ids)], f"{label}: the {len(ids)} events are not the first {len(ids)} of the imported file")
    r = subprocess.run([colony, "verify", "--store", store], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, f"{label}: verify exit {r.returncode}: {r.stdout[-600:]} {r.stderr[-300:]}")


def durable_store_from(records: list[tuple]) -> int:
    """The first crash point at which a commit's meta page (a write of under a page into the
    first two pages; creating the file writes both whole) is on the disk: through an O_DSYNC
    descriptor, or covered by a flush that began after it."""
    meta = next(i for i, r in enumerate(records) if r[0] == "W" and r[2] < 8192 and len(r[4]) < 4096)
    if records[meta][3] == 1:
        return meta + 1
    begun_after = {r[2] for r in records[meta + 1:] if r[0] == "B"}
    return next(i + 1 for i, r in enumerate(records) if r[0] == "S" and r[2] in begun_after)


def check_points(colony: str, work: str, records: list[tuple], points: list[int], rng: random.Random,
                 label: str, prefix: list[str] | None = None) -> int:
    """Checks the crash states at `points`; returns how many."""
    acks = [i + 1 for i, r in enumerate(records) if r[0] == "A"]
    checked = 0
    for crash in points:
        acked = {r[4].decode(): r[2] for r in records[:crash] if r[0] == "A"}
        for keep in (0.0, 0.5, 1.0) if crash == len(records) or crash in acks[-3:] else (0.0, 0.5):
            check_state(colony, work, disk_at(records, crash, keep, rng), acked,
                        f"{label}: crash before record {crash} of {len(records)} ({len(acked)} acknowledged, "
                        f"{int(keep * 100)}% of unflushed writes kept)", prefix)
            checked += 1
        if len(FAILURES) > 5:
            break
    return checked


def serve_scenario(args, work: str, shim: str, rng: random.Random) -> str:
    """Three servers answer log_event/log_insight calls; returns their store."""
    store, log = os.path.join(work, "store"), os.path.join(work, "serve.log")
    # The first server creates the store and writes alone; then two more write at once, as two
    # Claude windows would (LMDB serialises their commits; a flush by either covers both).
    first = Server(args.colony, store, shim, log)
    run_workload(first, ["pl/a/x", "pl/a/y", "pl/b/x"], args.calls // 3, burst=6)
    servers = [Server(args.colony, store, shim, log) for _ in range(2)]
    threads = [threading.Thread(target=run_workload, args=(s, [f"pl/{n}/x", f"pl/{n}/y", "pl/c/z"], args.calls // 3, 6))
               for n, s in zip("cd", servers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    acknowledged = 0
    for server in [first] + servers:
        check(server.proc.returncode == 0, f"a server exited {server.proc.returncode}")
        check(len(server.acked) == args.calls // 3 and not server.errors,
              f"{len(server.acked)} of {args.calls // 3} calls acknowledged; errors {server.errors[:2]}")
        acknowledged += len(server.acked)
    records = read_records(log)
    kinds = {k: sum(1 for r in records if r[0] == k) for k in "WBSA"}
    check(kinds["W"] > 0 and kinds["S"] > 0, f"the shim recorded no writes or flushes of data.mdb: {kinds}")
    check(kinds["A"] == acknowledged, f"{kinds['A']} acknowledgements in the log for {acknowledged} calls")
    check(len({r[1] for r in records if r[0] == "W"}) >= 2, "the writes of fewer than two server processes were recorded")
    check_names_flushed(records, os.path.join(store, "data.mdb"), "serve")

    # Crash points: just after acknowledgements (the strictest: that event must be there),
    # then random ones from the first acknowledgement on, the last record included. (Before
    # it, a power cut may leave a store that was never completely created: not a store.)
    acks = [i + 1 for i, r in enumerate(records) if r[0] == "A"]
    check(bool(acks), "no acknowledgement recorded")
    points = sorted(set(rng.sample(acks, min(len(acks), args.points // 2))
                        + [rng.randrange(acks[0], len(records) + 1) for _ in range(args.points - args.points // 2)]
                        + [len(records)]))
    checked = check_points(args.colony, work, records, points, rng, "serve")
    print(f"test_power_loss: serve: {acknowledged} acknowledged calls from three servers, {len(records)} records "
          f"({kinds['W']} writes, {kinds['S']} flushes), {checked} crash states checked")
    return store


def offline_scenario(args, work: str, shim: str, rng: random.Random, source: str) -> None:
    """`colony import` of the first store's export in batches, then a chunked `colony rebuild`."""
    ndjson = os.path.join(work, "events.ndjson")
    export_log = os.path.join(work, "export.log")
    r = subprocess.run([args.colony, "export", "--store", source, "--quiet", "--output", ndjson], capture_output=True, timeout=120,
                       env=dict(os.environ, LD_PRELOAD=shim, POWERLOSS_LOG=export_log, POWERLOSS_MATCH=ndjson))
    check(r.returncode == 0, f"export of the served store: {r.returncode} {r.stderr[-300:]!r}")
    # The export's exit says the file is on the disk: its name must be too.
    check_names_flushed(acknowledge_exit(export_log, "export"), ndjson, "export")
    exported = [json.loads(line) for line in open(ndjson) if line.strip()]
    store, log = os.path.join(work, "offline"), os.path.join(work, "offline.log")
    env = dict(os.environ, LD_PRELOAD=shim, POWERLOSS_LOG=log, POWERLOSS_MATCH=os.path.join(store, "data.mdb"))
    r = subprocess.run([args.colony, "import", "--store", store, "--batch-lines", "7", ndjson], env=env, capture_output=True, timeout=120)
    check(r.returncode == 0, f"import: {r.returncode} {r.stderr[-300:]!r}")
    # The import's exit is its acknowledgement of every event.
    with open(log, "ab") as f:
        for e in exported:
            f.write(ack_record(e["id"], e["position"]))
    r = subprocess.run([args.colony, "rebuild", "--store", store, "--chunk-events", "16"], env=env, capture_output=True, timeout=120)
    check(r.returncode == 0, f"rebuild: {r.returncode} {r.stderr[-300:]!r}")
    records = read_records(log)
    check_names_flushed(records, os.path.join(store, "data.mdb"), "import")
    # From the moment the first commit's meta page is on the disk (the store exists from then
    # on): during the import the store must hold a prefix of the file's batches; after it, all
    # of it, through every chunk of the rebuild and its swap.
    first = durable_store_from(records)
    points = sorted(set(rng.randrange(first, len(records) + 1) for _ in range(args.points // 2)) | {len(records)})
    checked = check_points(args.colony, work, records, points, rng, "import and rebuild", [e["id"] for e in exported])
    print(f"test_power_loss: import and rebuild: {len(exported)} events, {len(records)} records, {checked} crash states checked")


def backup_scenario(args, work: str, shim: str, source: str) -> None:
    """`colony backup`: its exit says the copy is on the disk, so the copy's names must be too.
    The copy is made as data.mdb in a new hidden directory beside DEST, then renamed to DEST:
    data.mdb's name in the hidden directory, and the rename in DEST's parent, must both have
    been flushed before the exit."""
    dest, log = os.path.join(work, "backup"), os.path.join(work, "backup.log")
    r = subprocess.run([args.colony, "backup", "--store", source, "--no-verify", dest], capture_output=True, timeout=120,
                       env=dict(os.environ, LD_PRELOAD=shim, POWERLOSS_LOG=log, POWERLOSS_MATCH="/data.mdb"))
    check(r.returncode == 0, f"backup: {r.returncode} {r.stderr[-300:]!r}")
    records = acknowledge_exit(log, "backup")
    copies = [r[4].decode() for r in records if r[0] == "N" and ".partial-" in r[4].decode()]
    check(len(copies) == 1, f"backup: the shim recorded {len(copies)} copies made (1 expected): {copies}")
    for copy in copies:
        check_names_flushed(records, copy, "backup")
    # The rename that puts the copy at DEST, then a flush of DEST's parent, before the exit.
    target = os.path.realpath(dest)
    renames = [i for i, r in enumerate(records) if r[0] == "R" and r[4].decode() == target]
    check(len(renames) == 1, f"backup: the shim recorded {len(renames)} renames to {target} (1 expected)")
    ack = next(i for i, r in enumerate(records) if r[0] == "A")
    for i in renames:
        check(flushed_between(records, i + 1, ack, os.path.dirname(target)),
              f"backup: the copy was renamed to {target} (record {i}) but {os.path.dirname(target)} was not flushed before the exit")
    print(f"test_power_loss: backup: {len(records)} records, the copy's names checked")


def ticket_scenario(args, work: str, shim: str, source: str) -> None:
    """An MCP `start_export` ticket: once `get_ticket` says it succeeded, the file it names is
    on the disk, so its name is too, and so are the names of the work directories the server
    made for it (`work`, `work/exports` in the store's directory)."""
    log = os.path.join(work, "ticket.log")
    env = dict(os.environ, LD_PRELOAD=shim, POWERLOSS_LOG=log, POWERLOSS_MATCH=".ndjson")
    proc = subprocess.Popen([args.colony, "serve", "--store", source, "--log-level", "error"], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def call(rid: int, method: str, params: dict) -> dict:
        proc.stdin.write((json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params}) + "\n").encode())
        proc.stdin.flush()
        for line in proc.stdout:
            message = json.loads(line)
            if message.get("id") == rid:
                return message
        raise RuntimeError("the server closed its output")

    call(1, "initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "power-loss", "version": "1"}})
    proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
    started = call(2, "tools/call", {"name": "start_export", "arguments": {}})["result"]["structuredContent"]
    ticket, state, rid = started["ticket"], started, 3
    deadline = time.time() + 60
    while state.get("state") == "running" and time.time() < deadline:
        time.sleep(0.05)
        state = call(rid, "tools/call", {"name": "get_ticket", "arguments": {"ticket": ticket}})["result"]["structuredContent"]
        rid += 1
    proc.stdin.close()
    proc.wait(60)
    check(state.get("state") == "succeeded", f"ticket: start_export ended {state}")
    if state.get("state") != "succeeded":
        return
    records = acknowledge_exit(log, "ticket")
    # The file, and the work directories the server made on the way to it (checked to be there).
    check_names_flushed(records, state["result"]["path"], "ticket")
    made = [r[4].decode() for r in records if r[0] == "M"]
    check(any(m.endswith("/exports") for m in made), f"ticket: the shim recorded no work directory made: {made}")
    print(f"test_power_loss: ticket: {len(records)} records, the export's names checked ({len(made)} directories made)")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--colony", required=True)
    p.add_argument("--calls", type=int, default=60, help="log_event/log_insight calls, a third per server (default 60)")
    p.add_argument("--points", type=int, default=int(os.environ.get("COLONY_POWER_LOSS_POINTS", "40")),
                   help="crash points checked in the servers' writes (default 40, or COLONY_POWER_LOSS_POINTS); half as many in the import and rebuild")
    p.add_argument("--seed", type=int, default=int(time.time()))
    args = p.parse_args()
    rng = random.Random(args.seed)
    print(f"test_power_loss: seed {args.seed} (--seed repeats this run)")
    with tempfile.TemporaryDirectory() as work:
        shim = build_shim(work)
        store = serve_scenario(args, work, shim, rng)
        if not FAILURES:
            offline_scenario(args, work, shim, rng, store)
            backup_scenario(args, work, shim, store)
            ticket_scenario(args, work, shim, store)
    if FAILURES:
        print(f"test_power_loss: {len(FAILURES)} failure(s)")
        sys.exit(1)
    print("test_power_loss: all checks passed")


if __name__ == "__main__":
    main()
