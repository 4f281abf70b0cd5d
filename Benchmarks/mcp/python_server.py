"""Baseline MCP server for the stdio load test: the official Python SDK (mcp 2.3.0).

The same two tools as `colony serve`, kept in memory: `get_context` returns the
most recent events of a scope as a small JSON text, `log_event` appends one.
It is written the way the SDK's docs show (MCPServer, one decorator per tool),
so it measures the SDK's own per-call cost, not a tuned server.

    python3 Benchmarks/mcp/python_server.py [--seed EVENTS --scopes S]

`--seed` fills EVENTS events over S scopes named like colony-load's
`seed` (bench/s0000/agent ...), so get_context answers carry about as much text.
"""

import argparse
import json
from collections import defaultdict, deque
from datetime import datetime, timezone

from mcp.server import MCPServer

KEEP_PER_SCOPE = 100

mcp = MCPServer("colony-python-baseline")
events: dict[str, deque[dict]] = defaultdict(lambda: deque(maxlen=KEEP_PER_SCOPE))
position = 0


@mcp.tool()
def get_context(scope: str, max_events: int = 20) -> str:
    """The most recent events logged to a scope, newest first."""
    recent = list(events.get(scope, ()))[-max_events:][::-1] if max_events > 0 else []
    return json.dumps({"scope": scope, "events": recent})


@mcp.tool()
def log_event(scope: str, text: str) -> dict:
    """Appends an event to a scope; returns its position in the log."""
    global position
    position += 1
    # The fields colony's get_context gives each recent event, so both answers carry as much JSON.
    time = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    events[scope].append({"position": position, "time": time, "kind": "event", "scope": scope, "text": text})
    return {"position": position}


def seed_scope(index: int) -> str:
    # colony-load's `seed` names its leaf scopes the same way.
    return f"bench/s{index:04d}/agent"


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0, help="events to pre-fill")
    parser.add_argument("--scopes", type=int, default=1000, help="scopes the pre-filled events go to")
    args = parser.parse_args()
    for i in range(args.seed):
        log_event(seed_scope(i % args.scopes), f"seeded event {i}: the agent ran the test suite and logged what it saw")
    mcp.run()  # stdio
