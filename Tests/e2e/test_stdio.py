#!/usr/bin/env python3
"""Colony's MCP server through the official Python SDK (`mcp` 2.3.0), in both
protocol eras: 2025-11-25 (mode="legacy": initialize handshake, resources/subscribe)
and 2026-07-28 (mode="auto": server/discover, per-request _meta, subscriptions/listen).

    python3 Tests/e2e/test_stdio.py [--colony PATH]     # spawns `colony serve --store TMPDIR` per era
    python3 Tests/e2e/test_stdio.py --http URL          # a running `colony serve --http …` (e.g. http://127.0.0.1:8765/mcp)

Every check uses its own scope (e2e-<uuid>/…) and positions relative to the head
it found, so the HTTP target may serve a store that is not empty.
Exits 1 (after running every section) when any check fails.
"""

from __future__ import annotations

import json
import sys
import uuid
import warnings

import anyio

import common
from common import check, check_eq, check_in

warnings.simplefilter("ignore")  # subscribe_resource/send_ping are deprecated at 2026-07-28

import mcp_types as types  # noqa: E402
from mcp import Client, MCPError, StdioServerParameters  # noqa: E402

LEGACY = "2025-11-25"
MODERN = "2026-07-28"
TOOLS = {"get_context", "log_event", "log_insight", "get_stats", "start_export", "start_backup", "start_verify", "start_rebuild", "get_ticket",
         "register_agent", "heartbeat", "create_task", "assign_task", "complete_task", "explain_assignment",
         "open_proposal", "cast_vote", "get_proposal", "get_swarm"}


class Target:
    """Where the server is: a stdio command (spawned per client) or an HTTP URL."""

    def __init__(self, colony: str | None = None, store: str | None = None, url: str | None = None):
        self.colony, self.store, self.url = colony, store, url

    @property
    def fresh_store(self) -> bool:
        return self.url is None

    def client(self, version: str, on_message=None) -> Client:
        if self.url:
            server = self.url
        else:
            server = StdioServerParameters(command=self.colony, args=["serve", "--store", self.store, "--log-level", "warning"])
        mode = "legacy" if version == LEGACY else "auto"
        return Client(server, mode=mode, read_timeout_seconds=10, message_handler=on_message, cache=None)


def structured(result: types.CallToolResult, what: str) -> dict:
    check(not result.is_error, f"{what}: isError result: {text_of(result)!r}")
    sc = result.structured_content
    check(isinstance(sc, dict), f"{what}: no structuredContent in {result!r}")
    # The text content is the same JSON, for clients that ignore structuredContent.
    check_eq(json.loads(text_of(result)), sc, f"{what}: text content parsed as JSON vs structuredContent")
    return sc


def text_of(result: types.CallToolResult) -> str:
    check(len(result.content) >= 1, f"no content in {result!r}")
    item = result.content[0]
    check(isinstance(item, types.TextContent), f"content[0] is not text: {item!r}")
    return item.text


def tool_error(result: types.CallToolResult, *mentions: str, what: str) -> str:
    check(result.is_error is True, f"{what}: expected an isError result, got {result!r}")
    message = text_of(result)
    check(message.strip(), f"{what}: empty error message")
    for m in mentions:
        check_in(m, message, f"{what}: error message")
    return message


async def expect_mcp_error(coro, code: int | None, *mentions: str, what: str) -> MCPError:
    try:
        value = await coro
    except MCPError as e:
        if code is not None:
            check_eq(e.code, code, f"{what}: error code")
        check(e.message.strip(), f"{what}: empty error message")
        for m in mentions:
            check_in(m, e.message, f"{what}: error message")
        return e
    raise common.CheckFailed(f"{what}: expected a JSON-RPC error (MCPError), got {value!r}")


async def scenario(target: Target, version: str) -> None:
    with anyio.fail_after(90):
        await _scenario(target, version)


async def _scenario(target: Target, version: str) -> None:
    updates: list[str] = []
    updated = anyio.Event()

    async def on_message(msg) -> None:
        if isinstance(msg, types.ResourceUpdatedNotification):
            updates.append(str(msg.params.uri))
            updated.set()

    scope = f"e2e-{uuid.uuid4().hex[:12]}"
    async with target.client(version, on_message) as c:
        # --- connection ---
        check_eq(c.protocol_version, version, "negotiated protocol version")
        check(c.server_info is not None and c.server_info.name == "colony", f"server info: {c.server_info!r}")
        caps = c.server_capabilities
        check(caps.tools is not None, f"capabilities lack tools: {caps!r}")
        check(caps.resources is not None and caps.resources.subscribe is True, f"capabilities lack resources.subscribe: {caps!r}")
        if version == LEGACY:
            await c.send_ping()

        # --- tools/list ---
        listed = await c.list_tools()
        names = [t.name for t in listed.tools]
        check_eq(sorted(names), sorted(TOOLS), "tool names")
        by_name = {t.name: t for t in listed.tools}
        for t in listed.tools:
            check_eq(t.input_schema.get("type"), "object", f"{t.name} inputSchema type")
            check(t.output_schema is not None and t.output_schema.get("type") == "object", f"{t.name} has no object outputSchema")
            check(t.description, f"{t.name} has no description")
        check_eq(by_name["get_context"].input_schema.get("required"), ["scope"], "get_context required arguments")
        check_eq(sorted(by_name["log_event"].input_schema.get("required")), ["scope", "text"], "log_event required arguments")
        check_eq(sorted(by_name["log_event"].output_schema.get("required")), ["duplicate", "event_id", "position", "scope"],
                 "log_event output schema required")

        # --- get_stats before anything is written ---
        stats = structured(await c.call_tool("get_stats", {}), "get_stats")
        base = stats["head_position"]
        check(isinstance(base, int) and base >= 0, f"head_position: {stats!r}")
        if target.fresh_store:
            check_eq(base, 0, "head position of a new store")

        # --- log_event, log_insight ---
        logged = structured(await c.call_tool("log_event", {
            "scope": f"{scope}/api", "text": "deployed v2", "kind": "deploy", "data": {"v": 2}, "agent": "e2e"}), "log_event")
        check_eq(sorted(logged), ["duplicate", "event_id", "position", "scope"], "log_event result keys")
        check_eq(logged["scope"], f"{scope}/api", "log_event scope")
        check_eq(logged["duplicate"], False, "log_event duplicate")
        check(isinstance(logged["position"], int) and logged["position"] > base, f"log_event position {logged['position']} after head {base}")
        uuid.UUID(logged["event_id"])  # a UUID
        event_position = logged["position"]

        insight = structured(await c.call_tool("log_insight", {
            "scope": scope, "text": "run the migration before deploying", "importance": 0.9, "tags": ["db"]}), "log_insight")
        check_eq(insight["scope"], scope, "log_insight scope")
        check_eq(insight["duplicate"], False, "log_insight duplicate")
        check(insight["position"] > event_position, f"insight position {insight['position']} after the event's {event_position}")
        if target.fresh_store:
            check_eq((event_position, insight["position"]), (1, 2), "positions in a new store")
        insight_position = insight["position"]

        # --- get_context (json) ---
        ctx = structured(await c.call_tool("get_context", {"scope": scope}), "get_context")
        check_eq(ctx["scope"], scope, "context scope")
        check_eq(ctx["position"], insight_position, "context position")
        check_eq(ctx["events"], 2, "context events")
        check_eq(ctx["truncated"], False, "context truncated")
        check_eq(ctx["counts"], {"deploy": 1, "insight": 1}, "context counts")
        check_eq(len(ctx["recent"]), 1, f"recent events (insights are listed apart): {ctx['recent']!r}")
        recent = ctx["recent"][0]
        check_eq((recent["position"], recent["text"], recent["kind"], recent["scope"]),
                 (event_position, "deployed v2", "deploy", f"{scope}/api"), "recent[0]")
        check_eq(len(ctx["insights"]), 1, "insights")
        check_eq(ctx["insights"][0]["text"], "run the migration before deploying", "insights[0].text")
        # The parent scope's sibling sees nothing.
        other = structured(await c.call_tool("get_context", {"scope": f"{scope}-other"}), "get_context of an empty scope")
        check_eq((other["events"], other["recent"], other["insights"], other["position"]), (0, [], [], 0), "empty scope")

        # --- get_context (markdown) ---
        md = await c.call_tool("get_context", {"scope": scope, "format": "markdown"})
        check(not md.is_error, f"markdown get_context failed: {md!r}")
        text = text_of(md)
        check(text.startswith(f"# Context of `{scope}`"), f"markdown heading: {text[:200]!r}")
        check_in("| position |", text, "markdown table header")
        check_in("|---|", text, "markdown table rule")
        check_in("deployed v2", text, "markdown recent events")
        check_in("run the migration before deploying", text, "markdown insights")
        with_md = md.structured_content
        check(isinstance(with_md, dict) and with_md.get("position") == insight_position,
              f"markdown answer's structuredContent: {with_md!r}")

        # --- since_position ---
        since = structured(await c.call_tool("get_context", {"scope": scope, "since_position": event_position}), "since event")
        check_eq(since["recent"], [], "recent since the event's position")
        check_eq([i["text"] for i in since["insights"]], ["run the migration before deploying"], "insights since the event")
        since_all = structured(await c.call_tool("get_context", {"scope": scope, "since_position": insight_position}), "since head")
        check_eq((since_all["recent"], since_all["insights"]), ([], []), "nothing since the newest position")
        limited = structured(await c.call_tool("get_context", {"scope": scope, "max_events": 0, "max_insights": 0}), "limits 0")
        check_eq((limited["recent"], limited["insights"], limited["events"]), ([], [], 2), "max_events/max_insights 0")

        # --- get_stats after writes ---
        stats = structured(await c.call_tool("get_stats", {}), "get_stats")
        for key in ("head_position", "events", "store_bytes", "queue_depth", "shed_events", "view_lag", "tools"):
            check(key in stats, f"get_stats lacks {key}: {stats!r}")
        check(stats["head_position"] >= insight_position, f"head {stats['head_position']} before {insight_position}")
        if target.fresh_store:
            check_eq(stats["head_position"], 2, "head position after two writes")
        check(stats["tools"].get("log_event", {}).get("calls", 0) >= 1, f"tool metrics lack log_event: {stats['tools']!r}")

        # --- idempotent retry ---
        event_id = str(uuid.uuid4())
        args = {"scope": f"{scope}/retry", "text": "retried write", "event_id": event_id}
        first = structured(await c.call_tool("log_event", args), "log_event with event_id")
        check_eq((first["event_id"], first["duplicate"]), (event_id, False), "first write with an event_id")
        again = structured(await c.call_tool("log_event", args), "log_event retried")
        check_eq(again, {**first, "duplicate": True}, "retry with the same event_id")
        retried_ctx = structured(await c.call_tool("get_context", {"scope": f"{scope}/retry"}), "context after retry")
        check_eq(retried_ctx["events"], 1, "events after a retried write")

        # --- resources ---
        templates = await c.list_resource_templates()
        check_eq([t.uri_template for t in templates.resource_templates], ["colony://context/{scope}"], "resource templates")
        check_eq(templates.resource_templates[0].mime_type, "application/json", "template mimeType")
        uri = f"colony://context/{scope}"
        read = await c.read_resource(uri)
        check_eq(len(read.contents), 1, "resource contents")
        content = read.contents[0]
        check_eq(str(content.uri), uri, "resource uri")
        check_eq(content.mime_type, "application/json", "resource mimeType")
        check(isinstance(content, types.TextResourceContents), f"resource content is not text: {content!r}")
        now = structured(await c.call_tool("get_context", {"scope": scope}), "get_context")
        check_eq(json.loads(content.text), now, "resource text vs get_context")
        nested = await c.read_resource(f"{uri}/api")
        check_eq(json.loads(nested.contents[0].text)["scope"], f"{scope}/api", "nested scope resource")

        # --- subscriptions ---
        if version == LEGACY:
            await c.subscribe_resource(uri)
            await c.call_tool("log_event", {"scope": f"{scope}/api", "text": "change one"})
            with anyio.fail_after(5):
                await updated.wait()
            check_eq(updates, [uri], "resources/updated notifications after one write")
            await c.unsubscribe_resource(uri)
            updates.clear()
            await c.call_tool("log_event", {"scope": f"{scope}/api", "text": "after unsubscribe"})
            await anyio.sleep(0.5)  # the notifier polls every 20 ms
            check_eq(updates, [], "notifications after unsubscribing")
        else:
            async with c.listen(resource_subscriptions=[uri]) as sub:
                check_eq(sub.honored.resource_subscriptions, [uri], "honored resource subscriptions")
                await c.call_tool("log_event", {"scope": f"{scope}/api", "text": "change one"})
                with anyio.fail_after(5):
                    event = await sub.__anext__()
                check_eq(str(getattr(event, "uri", None)), uri, f"listen event {event!r}")
            # Leaving the block cancels the listen; the connection keeps working.
            structured(await c.call_tool("get_stats", {}), "get_stats after a listen")

        # --- tickets: long operations answer at once and are followed with get_ticket ---
        head = structured(await c.call_tool("get_stats", {}), "get_stats for tickets")["head_position"]
        for tool, args in (("start_export", {}), ("start_verify", {}), ("start_rebuild", {"view": "context"})):
            started = structured(await c.call_tool(tool, args), tool)
            check_eq(started["state"], "running", f"{tool} state at start")
            ticket = started["ticket"]
            for _ in range(600):
                state = structured(await c.call_tool("get_ticket", {"ticket": ticket}), f"get_ticket {tool}")
                if state["state"] != "running":
                    break
                await anyio.sleep(0.05)
            check_eq(state["state"], "succeeded", f"{tool} final state ({state.get('error')})")
            if tool == "start_export" and state["state"] == "succeeded":
                with open(state["result"]["path"], "rb") as f:
                    lines = f.read().splitlines()
                check(len(lines) >= head, f"export wrote {len(lines)} lines, head was {head}")
            if tool == "start_verify" and state["state"] == "succeeded":
                check_eq(state["result"]["clean"], True, f"verify findings {state['result'].get('findings')}")
            if tool == "start_rebuild" and state["state"] == "succeeded":
                check_eq(state["result"]["views"], ["context"], "rebuilt views")
                check(state["result"]["position"] >= head, f"rebuild swapped in at {state['result']['position']}, head was {head}")
        missing = await c.call_tool("get_ticket", {"ticket": "nope"})
        check(missing.is_error and "no ticket" in text_of(missing), f"get_ticket of an unknown ticket: {text_of(missing)!r}")

        # --- errors ---
        await expect_mcp_error(c.call_tool("no_such_tool", {}), -32602, "no_such_tool", what="unknown tool")
        tool_error(await c.call_tool("get_context", {"scope": 42}), "scope", what="get_context scope as a number")
        tool_error(await c.call_tool("get_context", {}), "scope", what="get_context without scope")
        tool_error(await c.call_tool("get_context", {"scope": scope, "max_events": "ten"}), "max_events",
                   what="get_context max_events as a string")
        tool_error(await c.call_tool("get_context", {"scope": scope, "max_events": 9999}), "max_events",
                   what="get_context max_events out of range")
        tool_error(await c.call_tool("get_context", {"scope": scope, "format": "xml"}), "format", what="get_context format xml")
        tool_error(await c.call_tool("get_context", {"scope": scope, "colour": "red"}), "colour", what="unknown argument")
        tool_error(await c.call_tool("get_context", {"scope": "a//b"}), "scope", what="malformed scope")
        tool_error(await c.call_tool("log_event", {"scope": scope}), "text", what="log_event without text")
        tool_error(await c.call_tool("log_event", {"scope": scope, "text": ""}), "text", what="log_event with empty text")
        tool_error(await c.call_tool("log_event", {"scope": scope, "text": 5}), "text", what="log_event text as a number")
        tool_error(await c.call_tool("log_event", {"scope": scope, "text": "x", "event_id": "nope"}), "event_id",
                   what="log_event bad event_id")
        tool_error(await c.call_tool("log_insight", {"scope": scope, "text": "x", "importance": 2}), "importance",
                   what="log_insight importance 2")
        tool_error(await c.call_tool("get_stats", {"verbose": True}), "verbose", what="get_stats with an argument")
        await expect_mcp_error(c.read_resource("file:///etc/passwd"), None, "file:///etc/passwd", what="unknown resource")
        await expect_mcp_error(c.read_resource("colony://context/"), None, what="resource without a scope")
        # Nothing above was written: head is where the last good write left it.
        final = structured(await c.call_tool("get_stats", {}), "get_stats")
        written = 3 + (2 if version == LEGACY else 1)  # event, insight, retried event; the subscription writes
        if target.fresh_store:
            check_eq(final["head_position"], written, "head position after the error calls")
        ctx_final = structured(await c.call_tool("get_context", {"scope": scope}), "get_context")
        check_eq(ctx_final["events"], written, "events in the scope after the error calls")

        # --- swarm: agents, a task assigned by ACO and completed, a vote ---
        v = version.replace("-", "")
        a1, a2, task, prop = f"a1-{v}", f"a2-{v}", f"t-{v}", f"p-{v}"
        structured(await c.call_tool("register_agent", {"agent": a1, "capabilities": ["swift"], "capacity": 2}), "register_agent")
        structured(await c.call_tool("register_agent", {"agent": a2, "capabilities": ["python"]}), "register_agent 2")
        structured(await c.call_tool("heartbeat", {"agent": a1}), "heartbeat")
        structured(await c.call_tool("create_task", {"task": task, "type": "review", "requires": ["swift"], "payload": {"pr": 1}}), "create_task")
        assigned = structured(await c.call_tool("assign_task", {"task": task, "seed": 3}), "assign_task")
        check_eq(assigned["assignments"][0]["agent_id"], a1, "the only agent with swift takes the task")
        explained = structured(await c.call_tool("explain_assignment", {"task": task}), "explain_assignment")
        check_eq(explained["decision"]["agent_id"], a1, "explained decision")
        done = structured(await c.call_tool("complete_task", {"task": task, "success": True, "duration_ms": 900}), "complete_task")
        check_eq(done["state"], "succeeded", "completed task")
        tool_error(await c.call_tool("complete_task", {"task": task, "success": True, "duration_ms": 1}), "already",
                   what="a task completed twice")
        structured(await c.call_tool("create_task", {"task": task + "-gpu", "type": "ml", "requires": ["cuda"]}), "create_task gpu")
        tool_error(await c.call_tool("assign_task", {"task": task + "-gpu"}), "no eligible agent", what="capabilities nobody has")
        structured(await c.call_tool("open_proposal", {"proposal": prop, "options": ["yes", "no"], "voters": [a1, a2],
                                                     "quorum": 2, "rule": "unanimous", "deadline_seconds": 600}), "open_proposal")
        structured(await c.call_tool("cast_vote", {"proposal": prop, "agent": a1, "option": "yes"}), "cast_vote 1")
        tally = structured(await c.call_tool("cast_vote", {"proposal": prop, "agent": a2, "option": "yes"}), "cast_vote 2")
        check_eq((tally["status"], tally.get("winner")), ("decided", "yes"), "unanimous vote decided")
        swarm = structured(await c.call_tool("get_swarm", {"limit": 5}), "get_swarm")
        check(swarm["agent_count"] >= 2, f"get_swarm agents {swarm['agent_count']}")


def raw_exit_after(colony: str, store: str, lines: list[dict], answers: int) -> tuple[float, int]:
    """Sends `lines` to a fresh `colony serve`, reads `answers` lines, closes stdin; returns (seconds to exit, exit code)."""
    import subprocess
    import time

    p = subprocess.Popen([colony, "serve", "--store", store, "--log-level", "warning"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        for m in lines:
            p.stdin.write((json.dumps(m) + "\n").encode())
        p.stdin.flush()
        for _ in range(answers):
            check(p.stdout.readline(), "the server closed stdout early")
        start = time.monotonic()
        p.stdin.close()
        try:
            code = p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            raise common.CheckFailed("colony serve did not exit within 15 s of stdin closing")
        return time.monotonic() - start, code
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def shutdown(colony: str, store: str) -> None:
    """stdin closing ends `colony serve` at once (exit 0) unless a write is still in flight;
    an open or cancelled 2026-07-28 listen stream is not a write to wait for."""
    meta = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}
    listen = {"jsonrpc": "2.0", "id": "listen-1", "method": "subscriptions/listen",
              "params": {"notifications": {"resourceSubscriptions": ["colony://context/a"]}, "_meta": meta}}
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "listen-1", "reason": "caller cancelled"}}
    tools = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"_meta": meta}}
    cases = [
        ("plain session", [tools], 1),
        ("after a cancelled subscriptions/listen", [listen, cancel, tools], 2),
        ("with a subscriptions/listen still open", [listen, tools], 2),
    ]
    slow = []
    for name, lines, answers in cases:
        seconds, code = raw_exit_after(colony, store, lines, answers)
        check_eq(code, 0, f"exit code {name}")
        if seconds > 1.5:
            slow.append(f"{name}: exited {seconds:.2f} s after stdin closed (the SDK's stdio client kills the server after 2 s)")
    check(not slow, "colony serve is slow to exit on end of input:\n" + "\n".join(slow))


async def sdk_close(colony: str, store: str) -> None:
    """The SDK's stdio client closes stdin and waits 2 s before killing the server: a 2026-07-28
    session that used listen() must end well within that."""
    import time

    target = Target(colony=colony, store=store)
    async with target.client(MODERN) as c:
        async with c.listen(resource_subscriptions=["colony://context/a"]):
            pass
        start = time.monotonic()
    seconds = time.monotonic() - start
    check(seconds < 1.5, f"closing the client took {seconds:.2f} s: colony serve did not exit on end of input "
                         "and was killed by the SDK after its 2 s grace period")


def main() -> int:
    p = common.argument_parser(__doc__.split("\n\n")[0])
    p.add_argument("--http", metavar="URL", help="test a running Streamable HTTP server instead of spawning stdio ones")
    p.add_argument("--version", dest="versions", action="append", choices=[LEGACY, MODERN],
                   help="only this protocol version (repeatable; default both)")
    args = p.parse_args()
    versions = args.versions or [LEGACY, MODERN]
    runner = common.Runner("test_stdio.py")
    if args.http:
        print(f"target: {args.http}")
        for v in versions:
            runner.run(f"http {v}", scenario, Target(url=args.http), v)
    else:
        colony = common.find_colony(args.colony)
        print(f"target: {colony} serve (stdio)")
        for v in versions:
            with common.temp_dir("colony-e2e-stdio-", args.keep) as store:
                runner.run(f"stdio {v}", scenario, Target(colony=colony, store=store), v)
        with common.temp_dir("colony-e2e-stdio-", args.keep) as store:
            runner.run("stdio exit on end of input (raw pipes)", shutdown, colony, store)
            runner.run("stdio 2026-07-28 client close after listen()", sdk_close, colony, store)
    return runner.finish()


if __name__ == "__main__":
    sys.exit(main())
