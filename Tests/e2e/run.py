#!/usr/bin/env python3
"""Runs Colony's end-to-end scripts against one colony binary and prints a summary.

    python3 Tests/e2e/run.py --colony .build/debug/colony [--http URL] [--timeout 180] [script …]

Scripts: test_stdio.py, test_malformed.py, test_multiprocess.py, test_http.py, test_server_kill.py,
test_power_loss.py (default: all).
With --http URL, test_stdio.py also runs against that running Streamable HTTP server.
Needs the Python MCP SDK (`./scripts/bootstrap.sh` installs it).
Exit code: 0 when every script passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = ["test_stdio.py", "test_malformed.py", "test_multiprocess.py", "test_http.py", "test_server_kill.py",
           "test_power_loss.py"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--colony", required=True, help="the colony executable to test")
    p.add_argument("--http", metavar="URL", help="also run test_stdio.py against this Streamable HTTP endpoint")
    p.add_argument("--timeout", type=float, default=180, help="seconds per script (default 180)")
    p.add_argument("scripts", nargs="*", metavar="script", help=f"scripts to run (default: all of {', '.join(SCRIPTS)})")
    args = p.parse_args()
    unknown = [s for s in args.scripts if s not in SCRIPTS]
    if unknown:
        p.error(f"unknown script(s) {unknown}; choose from {SCRIPTS}")
    colony = os.path.abspath(args.colony)
    if not (os.path.isfile(colony) and os.access(colony, os.X_OK)):
        print(f"run.py: {colony} is not an executable; build it first (swift build --product colony)")
        return 2
    try:
        import mcp  # noqa: F401
    except ImportError:
        print("run.py: the Python MCP SDK is missing: run ./scripts/bootstrap.sh to install it")
        return 2

    runs = [(s, [sys.executable, os.path.join(HERE, s), "--colony", colony]) for s in (args.scripts or SCRIPTS)]
    if args.http:
        runs.append((f"test_stdio.py --http {args.http}", [sys.executable, os.path.join(HERE, "test_stdio.py"), "--http", args.http]))

    summary = []
    for name, command in runs:
        print(f"=== {name}", flush=True)
        start = time.monotonic()
        try:
            done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=args.timeout)
            output, code = done.stdout.decode(errors="replace"), done.returncode
            status = "PASS" if code == 0 else f"FAIL (exit {code})"
        except subprocess.TimeoutExpired as e:
            output = (e.stdout or b"").decode(errors="replace")
            status = f"FAIL (timed out after {args.timeout:.0f} s)"
        print(output, end="" if output.endswith("\n") or not output else "\n", flush=True)
        summary.append((name, status, time.monotonic() - start))

    print("=== summary")
    for name, status, seconds in summary:
        print(f"{status:<32} {name} ({seconds:.1f} s)")
    failed = [s for s in summary if s[1] != "PASS"]
    print(f"{len(summary) - len(failed)} of {len(summary)} scripts passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
