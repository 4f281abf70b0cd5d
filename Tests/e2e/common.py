"""Shared helpers for Colony's end-to-end scripts (Tests/e2e/test_*.py).

Each script runs named sections. A failed check raises `CheckFailed`; the
section is reported as FAIL with the message (and the traceback's last frames),
the remaining sections still run, and the script exits 1. Nothing here needs
more than the standard library.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from typing import Any, Callable, Iterator

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


class CheckFailed(AssertionError):
    """A check of the server's behaviour did not hold."""


def check(condition: Any, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def check_eq(actual: Any, expected: Any, what: str) -> None:
    if actual != expected:
        raise CheckFailed(f"{what}: expected {short(expected)}, got {short(actual)}")


def check_in(needle: str, haystack: Any, what: str) -> None:
    if not isinstance(haystack, str) or needle.lower() not in haystack.lower():
        raise CheckFailed(f"{what}: expected text mentioning {needle!r}, got {short(haystack)}")


def short(value: Any, limit: int = 600) -> str:
    if isinstance(value, (bytes, bytearray)):
        text = repr(bytes(value))
    elif isinstance(value, str):
        text = repr(value)
    else:
        try:
            text = json.dumps(value, sort_keys=True, default=repr)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


def find_colony(path: str | None) -> str:
    """The colony executable: --colony, else $COLONY, else a build under the repository."""
    candidates = [path] if path else []
    if not path:
        if os.environ.get("COLONY"):
            candidates.append(os.environ["COLONY"])
        for build in (".build", ".build-e2e"):
            candidates.append(os.path.join(REPO, build, "debug", "colony"))
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    sys.exit(f"error: no colony executable (tried {candidates}); build it and pass --colony PATH")


def argument_parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--colony", help="the colony executable (default: $COLONY, else .build/debug/colony)")
    p.add_argument("--keep", action="store_true", help="keep the temporary stores for inspection")
    return p


@contextlib.contextmanager
def temp_dir(prefix: str, keep: bool = False) -> Iterator[str]:
    d = tempfile.mkdtemp(prefix=prefix)
    try:
        yield d
    finally:
        if keep:
            print(f"  (kept {d})")
        else:
            shutil.rmtree(d, ignore_errors=True)


class Runner:
    """Runs named sections, sync or async (anyio), and reports each."""

    def __init__(self, script: str):
        self.script = script
        self.failures: list[str] = []
        self.passed = 0

    def run(self, name: str, fn: Callable[..., Any], *args: Any) -> None:
        start = time.monotonic()
        try:
            if inspect.iscoroutinefunction(fn):
                import anyio

                anyio.run(fn, *args)
            else:
                fn(*args)
        except BaseException as e:  # noqa: BLE001 - report everything, including timeouts and exception groups
            if isinstance(e, KeyboardInterrupt):
                raise
            elapsed = time.monotonic() - start
            self.failures.append(name)
            print(f"FAIL {name} ({elapsed:.1f}s)")
            print(indent(describe(e)))
            sys.stdout.flush()
            return
        self.passed += 1
        print(f"PASS {name} ({time.monotonic() - start:.1f}s)")
        sys.stdout.flush()

    def finish(self) -> int:
        total = self.passed + len(self.failures)
        if self.failures:
            print(f"{self.script}: {len(self.failures)} of {total} sections FAILED: {', '.join(self.failures)}")
            return 1
        print(f"{self.script}: all {total} sections passed")
        return 0


def describe(e: BaseException) -> str:
    """A failure as text: the message first, then where it happened."""
    leaves = list(_leaves(e))
    parts = []
    for leaf in leaves:
        kind = "" if isinstance(leaf, CheckFailed) else f"{type(leaf).__name__}: "
        parts.append(f"{kind}{leaf}")
        tb = traceback.extract_tb(leaf.__traceback__)
        ours = [f for f in tb if os.path.dirname(os.path.abspath(f.filename)) == HERE and not f.filename.endswith("common.py")]
        for frame in (ours or tb)[-4:]:
            parts.append(f"    at {os.path.basename(frame.filename)}:{frame.lineno} {frame.line}")
    return "\n".join(parts)


def _leaves(e: BaseException) -> Iterator[BaseException]:
    if isinstance(e, BaseExceptionGroup):
        for sub in e.exceptions:
            yield from _leaves(sub)
    else:
        yield e


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())
