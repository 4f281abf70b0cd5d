#!/usr/bin/env python3
"""SIGKILL of `colony serve` under multi-process write load, repeated.

    python3 Tests/e2e/test_server_kill.py --colony PATH [--cycles 20]

Each cycle starts three `colony serve` (stdio) processes on one store and pipelines
log_event calls into each over raw JSON-RPC, every call with its own event_id. Two
servers are killed with SIGKILL mid-write; the third writes a fixed number of events
and exits. Afterwards, and after every cycle:
- every log_event a server acknowledged (a result with isError false) is in the log
  exactly once, at the position it was acknowledged with;
- every survivor write is there;
- `colony verify` is clean: records, indexes, and the context view equal to a rebuild.
COLONY_FAULT_CYCLES (or --cycles) sets the number of cycles. Up to 20 cycles, every cycle
checks the whole store; past that, the whole store is checked every cycles/20-th cycle and at
the last, and the other cycles check the events they added (dense after the previous head, no
id stored twice, this cycle's acknowledgements where they were acknowledged), so a long run
costs about as much per cycle as a short one. Exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

FAILURES: list[str] = []


def check(condition: bool, message: str) -> None:
    if not condition:
        FAILURES.append(message)
        print("FAIL:", message, flush=True)


class Writer:
    """One `colony serve` over stdio, fed log_event calls as fast as it takes them."""

    def __init__(self, colony: str, store: str, name: str, count: int):
        self.proc = subprocess.Popen([colony, "serve", "--store", store, "--log-level", "error"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.name = name
        self.sent: dict[int, str] = {}          # request id -> event id
        self.acked: dict[str, int] = {}         # event id -> acknowledged position
        self.errors: list[str] = []
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()
        self.feeder = threading.Thread(target=self.feed, args=(count,), daemon=True)
        self.feeder.start()

    def send(self, message: dict) -> bool:
        try:
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, ValueError, OSError):
            return False

    def feed(self, count: int) -> None:
        self.send({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                   "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "kill", "version": "1"}}})
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        for i in range(1, count + 1):
            event_id = str(uuid.uuid4())
            self.sent[i] = event_id
            ok = self.send({"jsonrpc": "2.0", "id": i, "method": "tools/call",
                            "params": {"name": "log_event", "arguments": {"scope": f"kill/{self.name}", "text": f"n{i}",
                                                                          "event_id": event_id}}})
            if not ok:
                return
        if count < 10**6:
            time.sleep(0.05)

    def read(self) -> None:
        for line in self.proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                self.errors.append(f"unparsable line {line[:100]!r}")
                continue
            rid, result = message.get("id"), message.get("result")
            if not isinstance(rid, int) or rid == 0:
                continue
            if result and result.get("isError") is False:
                self.acked[self.sent[rid]] = result["structuredContent"]["position"]
            else:
                self.errors.append(json.dumps(message)[:300])

    def finish(self, timeout: float = 60) -> None:
        self.feeder.join(timeout)
        deadline = time.time() + timeout
        while len(self.acked) + len(self.errors) < len(self.sent) and time.time() < deadline and self.proc.poll() is None:
            time.sleep(0.01)
        self.proc.stdin.close()
        self.proc.wait(timeout)
        self.reader.join(timeout)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.reader.join(10)


def log_of(colony: str, store: str, since: int = 0) -> list[tuple[int, str]]:
    """(position, id) of the store's events after position `since`, read from `colony export`
    line by line: a million events' whole records held at once took gigabytes."""
    proc = subprocess.Popen([colony, "export", "--store", store, "--quiet", "--since", str(since)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    events = []
    for line in proc.stdout:
        if line.strip():
            e = json.loads(line)
            events.append((e["position"], e["id"]))
    stderr = proc.stderr.read()
    code = proc.wait(300)
    check(code == 0, f"export: {code} {stderr[-300:]!r}")
    return events


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--colony", required=True)
    p.add_argument("--cycles", type=int, default=int(os.environ.get("COLONY_FAULT_CYCLES", "20")))
    args = p.parse_args()
    acked: dict[str, int] = {}
    killed_with_acks = 0
    # Every cycle is audited; with more than 20 cycles, the whole store (every acknowledged
    # event, and `colony verify`) only every cycles/20-th cycle and at the last, and the other
    # cycles' new events alone: a whole audit reads every event so far, so a long run's time
    # (and this script's memory) grew with the square of its cycles.
    whole_every = max(1, args.cycles // 20)
    head = 0
    where: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "store")
        for cycle in range(args.cycles):
            victims = [Writer(args.colony, store, f"{cycle}-v{v}", 10**6) for v in range(2)]
            survivor = Writer(args.colony, store, f"{cycle}-s", 100)
            time.sleep(random.uniform(0.1, 0.4))
            for v in victims:
                v.kill()
            survivor.finish()
            check(survivor.proc.returncode == 0, f"cycle {cycle}: survivor exited {survivor.proc.returncode}")
            check(len(survivor.acked) == 100 and not survivor.errors,
                  f"cycle {cycle}: survivor acknowledged {len(survivor.acked)} of 100; errors {survivor.errors[:3]}")
            new_acks: dict[str, int] = {}
            for w in victims + [survivor]:
                new_acks.update(w.acked)
            acked.update(new_acks)
            killed_with_acks += sum(1 for v in victims if v.acked)

            whole = (cycle + 1) % whole_every == 0 or cycle == args.cycles - 1
            if whole:
                head, where = 0, {}
            log = log_of(args.colony, store, since=head)
            positions = [position for position, _ in log]
            check(positions == list(range(head + 1, head + len(log) + 1)),
                  f"cycle {cycle}: positions not dense {head + 1}..{head + len(log)}")
            for position, event_id in log:
                check(event_id not in where, f"cycle {cycle}: event {event_id} stored twice")
                where[event_id] = position
            head += len(log)
            lost = [i for i, pos in (acked if whole else new_acks).items() if where.get(i) != pos]
            check(not lost, f"cycle {cycle}: {len(lost)} acknowledged events missing or moved, e.g. {lost[:3]}")
            if whole:
                r = subprocess.run([args.colony, "verify", "--store", store], capture_output=True, text=True, timeout=600)
                check(r.returncode == 0, f"cycle {cycle}: verify exit {r.returncode}: {r.stdout[-500:]} {r.stderr[-500:]}")
            if FAILURES:
                break
        print(f"test_server_kill: {args.cycles} cycles, {len(acked)} acknowledged events, "
              f"{killed_with_acks} killed servers had acknowledged writes")
        check(killed_with_acks > 0, "no killed server had acknowledged anything: the kills came too early")
    if FAILURES:
        print(f"test_server_kill: {len(FAILURES)} failure(s)")
        sys.exit(1)
    print("test_server_kill: all checks passed")


if __name__ == "__main__":
    main()
