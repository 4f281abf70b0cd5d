#!/usr/bin/env python3
"""Two `colony serve` processes on one store, each driven by the official Python SDK.

    python3 Tests/e2e/test_multiprocess.py [--colony PATH] [--writes 200]

- a write through A is in B's next get_context (and resources/read);
- B's subscription (2025-11-25 resources/subscribe, and a 2026-07-28 listen) is
  notified of a write made through A: the notifier follows the shared head;
- concurrent writes through both (--writes each, interleaved tasks) all land:
  final head == total, positions dense and distinct, no duplicates;
- the same event_id sent through both at once is stored once.
Exits 1 when any check fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
import warnings

import anyio

import common
from common import check, check_eq

warnings.simplefilter("ignore")

import mcp_types as types  # noqa: E402
from mcp import Client, StdioServerParameters  # noqa: E402


def client(colony: str, store: str, mode: str = "legacy", on_message=None) -> Client:
    params = StdioServerParameters(command=colony, args=["serve", "--store", store, "--log-level", "warning"])
    return Client(params, mode=mode, read_timeout_seconds=30, message_handler=on_message, cache=None)


def structured(result: types.CallToolResult, what: str) -> dict:
    check(not result.is_error, f"{what}: isError result: {result.content!r}")
    check(isinstance(result.structured_content, dict), f"{what}: no structuredContent in {result!r}")
    return result.structured_content


async def log(c: Client, scope: str, text: str, **extra) -> dict:
    return structured(await c.call_tool("log_event", {"scope": scope, "text": text, **extra}), f"log_event {text!r}")


async def context(c: Client, scope: str, **extra) -> dict:
    return structured(await c.call_tool("get_context", {"scope": scope, **extra}), f"get_context {scope!r}")


def cli_head(colony: str, store: str) -> int:
    out = subprocess.run([colony, "stats", "--json", "--store", store], capture_output=True, timeout=30)
    check_eq(out.returncode, 0, f"`colony stats --json` exit code ({out.stderr.decode(errors='replace')!r})")
    return json.loads(out.stdout)["headPosition"]


async def read_your_writes(colony: str, store: str) -> None:
    with anyio.fail_after(60):
        async with client(colony, store) as a, client(colony, store) as b:
            empty = await context(b, "shared")
            check_eq(empty["events"], 0, "B's context before A writes")
            for n in range(1, 6):
                written = await log(a, "shared/a", f"from A #{n}")
                seen = await context(b, "shared")  # at once, no sleeping
                check_eq(seen["position"], written["position"], f"B's context position after A's write #{n}")
                check_eq(seen["events"], n, f"B's event count after A's write #{n}")
                check_eq(seen["recent"][0]["text"], f"from A #{n}", f"B's newest event after A's write #{n}")
            # And the other way round, through a resource read.
            back = await log(b, "shared/b", "from B")
            read = await a.read_resource("colony://context/shared")
            doc = json.loads(read.contents[0].text)
            check_eq((doc["position"], doc["recent"][0]["text"]), (back["position"], "from B"), "A's resource read after B's write")
            sa = structured(await a.call_tool("get_stats", {}), "get_stats A")
            sb = structured(await b.call_tool("get_stats", {}), "get_stats B")
            check_eq((sa["head_position"], sb["head_position"]), (6, 6), "head position seen by A and B")


async def cross_process_notifications(colony: str, store: str) -> None:
    """B subscribes (both eras); writes go through A; B must hear of them."""
    updates: list[str] = []
    got = anyio.Event()

    async def on_message(msg) -> None:
        if isinstance(msg, types.ResourceUpdatedNotification):
            updates.append(str(msg.params.uri))
            got.set()

    uri = "colony://context/watched"
    with anyio.fail_after(60):
        async with client(colony, store) as a, client(colony, store, on_message=on_message) as b, \
                client(colony, store, mode="auto") as modern:
            check_eq(modern.protocol_version, "2026-07-28", "modern client's version")
            await b.subscribe_resource(uri)
            async with modern.listen(resource_subscriptions=[uri]) as sub:
                # A write to an unrelated scope must not notify.
                await log(a, "elsewhere", "not watched")
                await anyio.sleep(0.3)
                check_eq(updates, [], "notifications after a write to another scope")

                start = time.monotonic()
                await log(a, "watched/deep/scope", "through A")
                with anyio.fail_after(5):
                    await got.wait()
                latency = time.monotonic() - start
                check_eq(updates, [uri], "B's resources/updated after A's write")
                with anyio.fail_after(5):
                    event = await sub.__anext__()
                check_eq(str(getattr(event, "uri", None)), uri, f"listen event after A's write: {event!r}")
                print(f"  cross-process notification after {latency * 1000:.0f} ms")

                # Another write notifies again.
                got = anyio.Event()
                updates.clear()
                await log(a, "watched", "through A again")
                with anyio.fail_after(5):
                    await got.wait()
                check_eq(updates, [uri], "B's second notification")
                with anyio.fail_after(5):
                    event = await sub.__anext__()
                check_eq(str(getattr(event, "uri", None)), uri, "second listen event")

            # After unsubscribing, nothing more.
            await b.unsubscribe_resource(uri)
            updates.clear()
            await log(a, "watched", "after unsubscribe")
            await anyio.sleep(0.5)
            check_eq(updates, [], "notifications after unsubscribing")


async def concurrent_writes(colony: str, store: str, per_client: int) -> None:
    results: dict[str, list[dict]] = {"A": [], "B": []}
    errors: list[str] = []
    limit = anyio.Semaphore(64)  # per both clients: plenty of interleaving, bounded pipes

    async def write(c: Client, name: str, n: int) -> None:
        async with limit:
            r = await c.call_tool("log_event", {"scope": f"load/{name}", "text": f"{name} write {n}", "data": {"n": n}})
        if r.is_error or not isinstance(r.structured_content, dict):
            errors.append(f"{name} #{n}: {r.content!r}")
        else:
            results[name].append(r.structured_content)

    start = time.monotonic()
    with anyio.fail_after(240):
        async with client(colony, store) as a, client(colony, store) as b:
            async with anyio.create_task_group() as tg:
                for n in range(per_client):  # interleaved: A, B, A, B…
                    tg.start_soon(write, a, "A", n)
                    tg.start_soon(write, b, "B", n)
            elapsed = time.monotonic() - start
            check(not errors, f"{len(errors)} writes failed: {errors[:5]}")
            total = 2 * per_client
            every = results["A"] + results["B"]
            check_eq(len(every), total, "acknowledged writes")
            positions = [r["position"] for r in every]
            check_eq(len(set(positions)), total, "distinct positions")
            check_eq(sorted(positions), list(range(1, total + 1)), "positions are dense 1…total")
            check_eq(len({r["event_id"] for r in every}), total, "distinct event ids")
            check_eq([r for r in every if r["duplicate"]], [], "writes reported as duplicates")
            for name in "AB":
                check(all(r["scope"] == f"load/{name}" for r in results[name]), f"{name}'s results name its scope")
            stats_a = structured(await a.call_tool("get_stats", {}), "get_stats A")
            stats_b = structured(await b.call_tool("get_stats", {}), "get_stats B")
            check_eq((stats_a["head_position"], stats_b["head_position"]), (total, total), "final head through A and B")
            ctx = await context(b, "load", max_events=0)
            check_eq((ctx["events"], ctx["counts"], ctx["position"]), (total, {"event": total}, total), "context of load/")
            for name in "AB":
                sub = await context(a, f"load/{name}", max_events=0)
                check_eq(sub["events"], per_client, f"events in load/{name}")
    check_eq(cli_head(colony, store), 2 * per_client, "`colony stats --json` head after both servers exited")
    print(f"  {2 * per_client} concurrent writes through two processes in {elapsed:.1f} s")


async def same_id_through_both(colony: str, store: str) -> None:
    with anyio.fail_after(60):
        async with client(colony, store) as a, client(colony, store) as b:
            head = structured(await a.call_tool("get_stats", {}), "get_stats")["head_position"]
            for round in range(10):
                event_id = str(uuid.uuid4())
                answers: list[dict] = []

                async def send(c: Client) -> None:
                    answers.append(await log(c, "idempotent", f"round {round}", event_id=event_id))

                async with anyio.create_task_group() as tg:
                    tg.start_soon(send, a)
                    tg.start_soon(send, b)
                check_eq(len({r["position"] for r in answers}), 1, f"round {round}: positions {answers!r}")
                check_eq(sorted(r["duplicate"] for r in answers), [False, True], f"round {round}: duplicate flags {answers!r}")
            after = structured(await b.call_tool("get_stats", {}), "get_stats")["head_position"]
            check_eq(after - head, 10, "events stored for 10 rounds of the same id through both servers")
            ctx = await context(a, "idempotent", max_events=0)
            check_eq(ctx["events"], 10, "events in the idempotent scope")


def main() -> int:
    p = common.argument_parser(__doc__.split("\n\n")[0])
    p.add_argument("--writes", type=int, default=200, help="concurrent writes through each server (default 200)")
    args = p.parse_args()
    colony = common.find_colony(args.colony)
    runner = common.Runner("test_multiprocess.py")
    with common.temp_dir("colony-e2e-multi-", args.keep) as store:
        runner.run("a write through A is in B's next read", read_your_writes, colony, store)
        runner.run("B is notified of A's writes", cross_process_notifications, colony, store)
        runner.run("the same event_id through both is stored once", same_id_through_both, colony, store)
    with common.temp_dir("colony-e2e-multi-", args.keep) as store:
        runner.run(f"{args.writes} concurrent writes through each of A and B", concurrent_writes, colony, store, args.writes)
    return runner.finish()


if __name__ == "__main__":
    sys.exit(main())
