"""colony serve --http: the official Python client in both protocol versions, the plain
endpoints, and the HTTP guard rails (Origin, Host, bearer token, non-loopback binding,
tokens limited to a scope prefix, body/header/JSON-depth limits), with raw HTTP requests.

    python3 Tests/e2e/test_http.py --colony .build/debug/colony
"""
import argparse, http.client, json, os, re, signal, socket, subprocess, sys, tempfile, time, warnings

import anyio
import mcp_types as types
from mcp import Client, MCPError

warnings.simplefilter("ignore")
FAILURES = []


def check(condition, message):
    if not condition:
        FAILURES.append(message)
        print("FAIL:", message, flush=True)


class Server:
    """A `colony serve --http 127.0.0.1:0` process; the bound port is read from its log."""

    def __init__(self, colony, store, extra_env=None, address="127.0.0.1:0", extra_args=()):
        env = dict(os.environ, **(extra_env or {}))
        self.proc = subprocess.Popen([colony, "serve", "--store", store, "--http", address, *extra_args],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=env, text=True)
        self.port = None
        deadline = time.time() + 30
        self.log = ""
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.log += line
            m = re.search(r"serving MCP over HTTP on http://[^:]+:(\d+)/mcp", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.proc.kill()
            raise RuntimeError("server did not start:\n" + self.log + self.proc.stderr.read())

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/mcp"

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        h.update(headers or {})
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def client_round(url, mode):
    updated = anyio.Event()

    async def on_message(msg):
        if isinstance(msg, types.ResourceUpdatedNotification) and msg.params.uri == "colony://context/h":
            updated.set()

    async with Client(url, mode=mode, read_timeout_seconds=10, message_handler=on_message, cache=None) as c:
        expected = "2025-11-25" if mode == "legacy" else "2026-07-28"
        check(c.protocol_version == expected, f"{mode}: negotiated {c.protocol_version}, expected {expected}")
        names = sorted(t.name for t in (await c.list_tools()).tools)
        check(names == sorted(["get_context", "get_stats", "get_ticket", "log_event", "log_insight", "start_backup", "start_export",
                               "start_rebuild", "start_verify", "register_agent", "heartbeat", "create_task", "assign_task",
                               "complete_task", "explain_assignment", "open_proposal", "cast_vote", "get_proposal", "get_swarm"]),
              f"{mode}: tools {names}")
        r = await c.call_tool("log_event", {"scope": "h/x", "text": f"hello {mode}"})
        check(not r.is_error and r.structured_content["position"] > 0, f"{mode}: log_event {r}")
        position = r.structured_content["position"]
        r = await c.call_tool("get_context", {"scope": "h"})
        check(r.structured_content["position"] >= position, f"{mode}: get_context misses the write: {r.structured_content}")
        check(r.structured_content["recent"][0]["text"] == f"hello {mode}", f"{mode}: recent {r.structured_content['recent']}")
        r = await c.call_tool("get_context", {"scope": 7})
        check(r.is_error and "scope must be a string" in r.content[0].text, f"{mode}: bad argument answered {r}")
        rr = await c.read_resource("colony://context/h")
        check(json.loads(rr.contents[0].text)["position"] >= position, f"{mode}: resource {rr.contents[0].text[:80]}")
        if mode == "legacy":
            await c.subscribe_resource("colony://context/h")
            await c.call_tool("log_insight", {"scope": "h", "text": "subscriptions work over HTTP", "importance": 0.8})
            with anyio.fail_after(5):
                await updated.wait()
        else:
            async with c.listen(resource_subscriptions=["colony://context/h"]) as sub:
                check(sub.honored.resource_subscriptions == ["colony://context/h"], f"listen honoured {sub.honored}")
                await c.call_tool("log_event", {"scope": "h", "text": "listen works over HTTP"})
                with anyio.fail_after(5):
                    event = await sub.__anext__()
                check("colony://context/h" in str(event), f"listen event {event}")
        try:
            await c.call_tool("no_such_tool", {})
            check(False, f"{mode}: unknown tool did not raise")
        except MCPError as e:
            check(e.error.code == -32602 and "no_such_tool" in e.error.message, f"{mode}: unknown tool {e.error}")


def plain_endpoints(s):
    status, headers, body = s.request("GET", "/health")
    check(status == 200 and json.loads(body)["status"] == "ok", f"/health {status} {body}")

    init = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
    status, headers, body = s.request("POST", "/mcp", init)
    sid = headers.get("mcp-session-id")
    check(status == 200 and sid, f"initialize over HTTP: {status} {headers}")
    call = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                       "params": {"name": "get_context", "arguments": {"scope": "h", "max_events": 3}}})
    status, _, body = s.request("POST", "/mcp", call, {"Mcp-Session-Id": sid})
    tool_json = json.loads(body)["result"]["structuredContent"]
    status, headers, body = s.request("GET", "/context/h?max_events=3")
    check(status == 200 and headers.get("content-type") == "application/json", f"/context/h {status} {headers}")
    check(json.loads(body) == tool_json, "GET /context/{scope} differs from the tool's structured content")
    status, _, body = s.request("GET", "/context/h?max_events=999")
    check(status == 400 and "max_events" in json.loads(body)["error"], f"/context bad query {status} {body}")

    status, _, body = s.request("GET", "/metrics")
    text = body.decode()
    check(status == 200 and "colony_head_position" in text and 'colony_calls_total{name="get_context"}' in text,
          f"/metrics {status} {text[:200]}")
    check('colony_writer_batch_seconds_count{phase="commit"}' in text and 'colony_writer_batch_seconds{phase="work",quantile="0.99"}' in text,
          f"/metrics has no writer timing: {text[:400]}")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            try:
                float(value)
            except ValueError:
                check(False, f"/metrics line without a number: {line}")
            check(re.fullmatch(r'[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})?', name) is not None,
                  f"/metrics line not in the text format: {line}")

    # Session errors and methods.
    status, _, body = s.request("POST", "/mcp", call)
    check(status == 400 and json.loads(body)["error"]["code"] == -32600, f"no session id: {status} {body}")
    status, _, body = s.request("POST", "/mcp", call, {"Mcp-Session-Id": "nope"})
    check(status == 404, f"unknown session: {status} {body}")
    status, _, body = s.request("POST", "/mcp", "{nope", {"Mcp-Session-Id": sid})
    check(status == 400 and json.loads(body)["error"]["code"] == -32700, f"parse error: {status} {body}")
    status, _, body = s.request("POST", "/mcp", call, {"Mcp-Session-Id": sid, "Content-Type": "text/plain"})
    check(status == 415, f"wrong content type: {status}")
    status, _, _ = s.request("POST", "/mcp", " " * (5 << 20), {"Mcp-Session-Id": sid})
    check(status == 413, f"oversized body: {status}")
    status, headers, _ = s.request("PUT", "/mcp", "{}")
    check(status == 405 and "POST" in headers.get("allow", ""), f"PUT /mcp: {status} {headers}")
    notification = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"})
    status, _, body = s.request("POST", "/mcp", notification, {"Mcp-Session-Id": sid})
    check(status == 202 and body == b"", f"notification: {status} {body}")
    status, _, _ = s.request("DELETE", "/mcp", None, {"Mcp-Session-Id": sid})
    check(status == 200, f"DELETE session: {status}")
    status, _, _ = s.request("POST", "/mcp", call, {"Mcp-Session-Id": sid})
    check(status == 404, f"deleted session still answers: {status}")

    # 2026-07-28: stateless POSTs, unknown method is 404, bad version is 400 with -32022.
    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
    modern = {"MCP-Protocol-Version": "2026-07-28"}
    status, _, body = s.request("POST", "/mcp", json.dumps({"jsonrpc": "2.0", "id": 3, "method": "nope", "params": {"_meta": meta}}), modern)
    check(status == 404 and json.loads(body)["error"]["code"] == -32601, f"2026 unknown method: {status} {body}")
    bad = dict(meta, **{"io.modelcontextprotocol/protocolVersion": "2099-01-01"})
    status, _, body = s.request("POST", "/mcp", json.dumps({"jsonrpc": "2.0", "id": 4, "method": "tools/list", "params": {"_meta": bad}}),
                                {"MCP-Protocol-Version": "2099-01-01"})
    err = json.loads(body)["error"]
    check(status == 400 and err["code"] == -32022 and "2026-07-28" in err["data"]["supported"], f"2026 bad version: {status} {body}")

    # Origin and Host (DNS rebinding).
    status, _, _ = s.request("GET", "/context/h", headers={"Origin": "https://evil.example"})
    check(status == 403, f"foreign Origin: {status}")
    status, _, _ = s.request("POST", "/mcp", init, {"Origin": "https://evil.example"})
    check(status == 403, f"foreign Origin on /mcp: {status}")
    status, _, _ = s.request("GET", "/context/h", headers={"Origin": f"http://localhost:{s.port}"})
    check(status == 200, f"loopback Origin: {status}")
    status, _, _ = s.request("GET", "/context/h", headers={"Host": "evil.example"})
    check(status == 421, f"foreign Host: {status}")


def token_rules(colony, store):
    # --allow-origin admits one more Origin; others are still refused.
    s = Server(colony, store, extra_args=("--allow-origin", "https://app.example"))
    try:
        status, _, _ = s.request("GET", "/context/h", headers={"Origin": "https://app.example"})
        check(status == 200, f"--allow-origin Origin: {status}")
        status, _, _ = s.request("GET", "/context/h", headers={"Origin": "https://evil.example"})
        check(status == 403, f"other Origin with --allow-origin: {status}")
    finally:
        s.stop()
    s = Server(colony, store, {"COLONY_TOKEN": "s3cret"})
    try:
        status, headers, _ = s.request("GET", "/context/h")
        check(status == 401 and headers.get("www-authenticate") == "Bearer", f"no token: {status} {headers}")
        status, _, _ = s.request("GET", "/context/h", headers={"Authorization": "Bearer wrong"})
        check(status == 401, f"wrong token: {status}")
        status, _, _ = s.request("GET", "/context/h", headers={"Authorization": "Bearer s3cret"})
        check(status == 200, f"right token: {status}")
        status, _, _ = s.request("GET", "/health")
        check(status == 200, f"/health needs no token: {status}")
    finally:
        s.stop()
    # A non-loopback address without a token is refused at start.
    env = dict(os.environ)
    env.pop("COLONY_TOKEN", None)
    r = subprocess.run([colony, "serve", "--store", store, "--http", "0.0.0.0:0"], env=env,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    check(r.returncode == 2 and "without a token" in r.stderr, f"non-loopback without token: {r.returncode} {r.stderr}")


API_TOKEN = "api-token-0123456789abcdef"
FULL_TOKEN = "full-token-0123456789abcdef"


def rpc(s, token, method, params, session=None, modern=True):
    headers = {"Authorization": f"Bearer {token}"}
    if modern:
        headers["MCP-Protocol-Version"] = "2026-07-28"
        params = dict(params, _meta={"io.modelcontextprotocol/protocolVersion": "2026-07-28"})
    if session:
        headers["Mcp-Session-Id"] = session
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    status, h, data = s.request("POST", "/mcp", body=body, headers=headers)
    return status, h, (json.loads(data) if data else None)


def tool(s, token, name, arguments):
    status, _, answer = rpc(s, token, "tools/call", {"name": name, "arguments": arguments})
    return status, answer


def scoped_tokens(colony, store, tmp):
    """A token limited to acme/api reads and writes only under it: REST, tools, resources, sessions."""
    tokens_file = os.path.join(tmp, "tokens")
    with open(tokens_file, "w") as f:
        f.write(f"# token scope-prefix\n{API_TOKEN} acme/api\n")
    s = Server(colony, store, {"COLONY_TOKEN": FULL_TOKEN}, extra_args=("--tokens-file", tokens_file))
    try:
        auth = lambda t: {"Authorization": f"Bearer {t}"}
        _, answer = tool(s, FULL_TOKEN, "log_event", {"scope": "acme/web", "text": "web secret"})
        check(answer and answer["result"]["isError"] is False, f"full token writes anywhere: {answer}")
        _, answer = tool(s, API_TOKEN, "log_event", {"scope": "acme/api/s1", "text": "api note"})
        check(answer and answer["result"]["isError"] is False, f"scoped token writes inside: {answer}")

        status, _, body = s.request("GET", "/context/acme%2Fapi", headers=auth(API_TOKEN))
        check(status == 200 and b"api note" in body, f"REST inside the prefix: {status} {body[:200]}")
        for path in ("/context/acme", "/context/acme%2Fweb", "/context/acme%2Fapix"):
            status, _, body = s.request("GET", path, headers=auth(API_TOKEN))
            check(status == 403 and b"web secret" not in body, f"REST {path} outside the prefix: {status} {body[:200]}")
        # The path's scope is the one checked: a scope in the query may not override it.
        status, _, body = s.request("GET", "/context/acme%2Fapi?scope=acme", headers=auth(API_TOKEN))
        check(status == 400 and b"web secret" not in body, f"REST scope smuggled in the query: {status} {body[:200]}")
        status, _, _ = s.request("GET", "/metrics", headers=auth(API_TOKEN))
        check(status == 403, f"/metrics to a scoped token: {status}")

        for name, arguments in (("get_context", {"scope": "acme"}), ("log_event", {"scope": "acme/web", "text": "x"}),
                                ("log_insight", {"scope": "acme", "text": "x"}), ("get_stats", {}),
                                ("start_backup", {}), ("start_export", {}), ("start_verify", {})):
            _, answer = tool(s, API_TOKEN, name, arguments)
            text = json.dumps(answer)
            check(answer and answer.get("result", {}).get("isError") is True and "forbidden" in text and "web secret" not in text,
                  f"scoped {name} {arguments}: {text[:300]}")
        status, _, answer = rpc(s, API_TOKEN, "resources/read", {"uri": "colony://context/acme%2Fweb"})
        check(status == 400 and "forbidden" in json.dumps(answer), f"scoped resources/read outside: {status} {answer}")

        # A session belongs to the token that started it.
        status, h, _ = rpc(s, FULL_TOKEN, "initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                                          "clientInfo": {"name": "raw", "version": "1"}}, modern=False)
        session = h.get("mcp-session-id")
        check(status == 200 and session, f"initialize with the full token: {status} {h}")
        status, _, answer = rpc(s, API_TOKEN, "tools/call", {"name": "get_context", "arguments": {"scope": "acme"}},
                                session=session, modern=False)
        check(status == 403, f"a scoped token riding a full token's session: {status} {answer}")

        _, _, body = s.request("GET", "/context/acme", headers=auth(FULL_TOKEN))
        check(json.loads(body).get("events") == 2, f"no refused write landed (2 events under acme): {body[:300]}")
    finally:
        s.stop()


def request_limits(colony, store):
    """Bodies over --max-message-bytes get 413, oversized headers are refused, deep JSON is a parse error."""
    s = Server(colony, store, extra_args=("--max-message-bytes", "65536"))
    try:
        big = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": "x" * 70000}})
        status, _, _ = s.request("POST", "/mcp", body=big, headers={"MCP-Protocol-Version": "2026-07-28"})
        check(status == 413, f"body over the limit: {status}")
        deep = '{"jsonrpc":"2.0","id":1,"method":"ping","params":' + "[" * 100 + "]" * 100 + "}"
        status, _, body = s.request("POST", "/mcp", body=deep, headers={"MCP-Protocol-Version": "2026-07-28"})
        check(status == 400 and b"-32700" in body, f"JSON nested 100 deep: {status} {body[:200]}")
        status, _, _ = s.request("GET", "/health", headers={"X-Big": "y" * (32 << 10)})
        check(status == 431, f"32 KB of headers: {status}")
        try:
            status, _, _ = s.request("GET", "/health", headers={"X-Big": "y" * (1 << 20)})
            check(status in (400, 431), f"a 1 MB header: {status}")
        except (ConnectionError, http.client.HTTPException, OSError):
            pass  # the server closed the connection: refused too
        status, _, _ = s.request("GET", "/health")
        check(status == 200, f"the server still answers after the oversized header: {status}")
    finally:
        s.stop()


MODERN = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}


def raw_request(method, path, body=b"", headers=(), version="HTTP/1.1"):
    lines = [f"{method} {path} {version}", "Host: 127.0.0.1", *headers]
    if body or method == "POST":
        lines += ["Content-Type: application/json", "MCP-Protocol-Version: 2026-07-28", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def recv_or_eof(sock):
    """The next bytes off a socket; b"" at its end, whether closed or reset by the server."""
    try:
        return sock.recv(65536)
    except ConnectionResetError:
        return b""


def read_responses(sock, count, timeout=10):
    """Reads `count` HTTP/1.1 responses (Content-Length framed) off a socket, in order."""
    sock.settimeout(timeout)
    data, out = b"", []
    while len(out) < count:
        while b"\r\n\r\n" not in data:
            chunk = recv_or_eof(sock)
            if not chunk:
                return out, data
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = dict((k.strip().lower(), v.strip()) for k, _, v in (l.partition(":") for l in lines[1:]))
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = recv_or_eof(sock)
            if not chunk:
                return out, rest
            rest += chunk
        out.append((int(lines[0].split()[1]), headers, rest[:length]))
        data = rest[length:]
    return out, data


def log_event_body(scope, text, rid):
    return json.dumps({"jsonrpc": "2.0", "id": rid, "method": "tools/call",
                       "params": {"name": "log_event", "arguments": {"scope": scope, "text": text}, "_meta": MODERN}}).encode()


def answering_order(s, label, on_event_loop):
    """Requests on one connection are answered in order, whatever each waits for: a durable
    write, then reads sent behind it in the same packet (HTTP/1.1 pipelining), which must see
    the write; a client that half-closes after a write still gets the answer; HTTP/1's
    connection persistence (Connection: close, HTTP/1.0 with and without keep-alive) is
    honoured and said in the answer's Connection header."""
    with socket.create_connection(("127.0.0.1", s.port)) as sock:
        sock.sendall(raw_request("POST", "/mcp", log_event_body("order/a", "first", 1))
                     + raw_request("GET", "/context/order/a")
                     + raw_request("POST", "/mcp", log_event_body("order/a", "second", 2))
                     + raw_request("GET", "/health"))
        answers, _ = read_responses(sock, 4)
        check(len(answers) == 4 and all(a[0] == 200 for a in answers),
              f"{label}: four pipelined requests, answers {[(a[0], a[2][:80]) for a in answers]}")
        try:
            first = json.loads(answers[0][2])["result"]["structuredContent"]["position"]
            context = json.loads(answers[1][2])
            second = json.loads(answers[2][2])["result"]["structuredContent"]["position"]
            health = json.loads(answers[3][2])
        except (IndexError, KeyError, TypeError, ValueError) as e:
            check(False, f"{label}: pipelined answers not a write, a context, a write and /health in that order ({e!r}): "
                         f"{[a[2][:80] for a in answers]}")
        else:
            check(context.get("position") == first and context.get("events", 0) >= 1,
                  f"{label}: the read behind a write sees it (position {first}): {answers[1][2][:200]}")
            check(second > first and health.get("head_position", 0) >= second,
                  f"{label}: answers out of order: positions {first}, {second}, health {health}")
    with socket.create_connection(("127.0.0.1", s.port)) as sock:
        sock.sendall(raw_request("POST", "/mcp", log_event_body("order/b", "then half-closed", 3)))
        sock.shutdown(socket.SHUT_WR)
        answers, _ = read_responses(sock, 1)
        check(len(answers) == 1 and answers[0][0] == 200 and b'"position"' in answers[0][2],
              f"{label}: a write from a client that half-closed is still answered: {answers}")
    # A request that does not keep the connection alive is answered with `Connection: close`,
    # then the connection closes: `close` (alone, or among other tokens in any case), and
    # HTTP/1.0 without `keep-alive`. An HTTP/1.0 `keep-alive` request is answered with
    # `Connection: keep-alive` and the connection stays open for the next request.
    def closed_within(sock, seconds):
        sock.settimeout(seconds)
        try:
            return sock.recv(1) == b""
        except TimeoutError:
            return False  # still open: not closed
        except OSError:
            return True  # reset by the server
    for connection, version in (("Connection: close", "HTTP/1.1"), ("Connection: keep-alive,\tCLOSE ", "HTTP/1.1"),
                                (None, "HTTP/1.0")):
        with socket.create_connection(("127.0.0.1", s.port)) as sock:
            sock.sendall(raw_request("GET", "/health", headers=(connection,) if connection else (), version=version))
            answers, rest = read_responses(sock, 1)
            closed = closed_within(sock, 5)
            check(len(answers) == 1 and answers[0][0] == 200 and answers[0][1].get("connection") == "close"
                  and closed and rest == b"",
                  f"{label}: {version} {connection!r} is answered with Connection: close, then closed: {answers} closed={closed}")
    with socket.create_connection(("127.0.0.1", s.port)) as sock:
        for i in range(2):
            sock.sendall(raw_request("GET", "/health", headers=("Connection: keep-alive",), version="HTTP/1.0"))
            answers, rest = read_responses(sock, 1)
            check(len(answers) == 1 and answers[0][0] == 200 and answers[0][1].get("connection") == "keep-alive",
                  f"{label}: HTTP/1.0 keep-alive request {i + 1} is answered with Connection: keep-alive: {answers}")
        check(not closed_within(sock, 1), f"{label}: an HTTP/1.0 keep-alive connection stays open")
    with socket.create_connection(("127.0.0.1", s.port)) as sock:
        sock.sendall(raw_request("GET", "/health"))
        answers, _ = read_responses(sock, 1)
        check(len(answers) == 1 and "connection" not in answers[0][1] and not closed_within(sock, 1),
              f"{label}: a plain HTTP/1.1 request gets no Connection header and the connection stays open: {answers}")
        if on_event_loop:
            # Later on an HTTP/1.1 connection the tokens are read by the event loop's responder;
            # Hummingbird's own path (--http-answer-in-tasks, for comparisons) matches `close` alone.
            sock.sendall(raw_request("GET", "/health", headers=("Connection: keep-alive,\tCLOSE ",)))
            answers, rest = read_responses(sock, 1)
            check(len(answers) == 1 and answers[0][1].get("connection") == "close" and closed_within(sock, 5),
                  f"{label}: a later request with close among other tokens is answered with Connection: close, then closed: {answers}")


def graceful_stop(colony, store, extra, label):
    """SIGTERM while writes pipelined on one connection are being answered: every write the
    client got an answer for is in the store, no write is in the store without its answer,
    no answer is cut short, and the server exits 0."""
    scope = "stop/" + ("tasks" if extra else "loop")
    s = Server(colony, store, extra_args=extra)
    try:
        with socket.create_connection(("127.0.0.1", s.port)) as sock:
            sock.sendall(b"".join(raw_request("POST", "/mcp", log_event_body(scope, f"write {i}", i)) for i in range(300)))
            time.sleep(0.03)
            s.proc.send_signal(signal.SIGTERM)
            answers, rest = read_responses(sock, 300, timeout=20)
        code = s.proc.wait(20)
    except subprocess.TimeoutExpired:
        s.proc.kill()
        check(False, f"{label}: the server did not exit within 20 s of SIGTERM")
        return
    finally:
        if s.proc.poll() is None:
            s.stop()
    check(code == 0, f"{label}: exit status {code} after SIGTERM")
    check(rest == b"", f"{label}: an answer was cut short: {rest[:120]}")
    for status, _, body in answers:
        try:
            json.loads(body)["result"]["structuredContent"]["position"]
        except (KeyError, TypeError, ValueError):
            check(False, f"{label}: an answer during shutdown is not a write's result: {status} {body[:160]}")
    check(len(answers) >= 1, f"{label}: no write answered before the stop (SIGTERM came too early to test anything)")
    out = subprocess.run([colony, "context", "--store", store, scope], capture_output=True, text=True)
    events = json.loads(out.stdout).get("events", 0) if out.returncode == 0 else 0
    check(out.returncode in (0, 4) and events == len(answers),
          f"{label}: {len(answers)} writes answered before the stop, {events} in the store")


def same_answers(colony, store):
    """A server answering on its event loops and one answering in tasks (--http-answer-in-tasks)
    give the same status, headers and bytes for the same requests."""
    a = Server(colony, store)
    b = Server(colony, store, extra_args=("--http-answer-in-tasks",))
    try:
        get = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                          "params": {"name": "get_context", "arguments": {"scope": "h", "max_events": 2}, "_meta": MODERN}})
        cases = [
            ("GET", "/context/h?max_events=2", None, {}),
            ("GET", "/context/h?max_events=999", None, {}),
            ("GET", "/context/", None, {}),
            ("GET", "/nowhere", None, {}),
            ("PUT", "/context/h", "{}", {}),
            ("PATCH", "/mcp", "{}", {}),
            ("POST", "/mcp", get, {"MCP-Protocol-Version": "2026-07-28"}),
            ("POST", "/mcp", "{nope", {"MCP-Protocol-Version": "2026-07-28"}),
            ("POST", "/mcp", get, {"MCP-Protocol-Version": "2026-07-28", "Content-Type": "text/plain"}),
            ("POST", "/mcp", get, {}),
            ("POST", "/mcp", get, {"Mcp-Session-Id": "nope"}),
            ("POST", "/mcp", " " * (5 << 20), {"MCP-Protocol-Version": "2026-07-28"}),
            ("GET", "/context/h", None, {"Origin": "https://evil.example"}),
            ("GET", "/context/h", None, {"Host": "evil.example"}),
            ("GET", "/health", None, {"X-Big": "y" * (32 << 10)}),
        ]
        for method, path, body, headers in cases:
            ra = a.request(method, path, body, headers)
            rb = b.request(method, path, body, headers)
            strip = lambda h: {k: v for k, v in h.items() if k != "date"}
            check((ra[0], strip(ra[1]), ra[2]) == (rb[0], strip(rb[1]), rb[2]),
                  f"{method} {path} {list(headers)}: event loop {ra[0]} {strip(ra[1])} {ra[2][:120]} against tasks {rb[0]} {strip(rb[1])} {rb[2][:120]}")
    finally:
        a.stop()
        b.stop()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--colony", required=True)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "store")
        # Both ways of answering, each through the whole client and endpoint rounds.
        for extra in ((), ("--http-answer-in-tasks",)):
            s = Server(args.colony, store, extra_args=extra)
            label = "in tasks" if extra else "on the event loop"
            try:
                for mode in ("legacy", "auto"):
                    anyio.run(client_round, s.url, mode)
                plain_endpoints(s)
                answering_order(s, label, on_event_loop=not extra)
            finally:
                s.stop()
        same_answers(args.colony, store)
        for extra in ((), ("--http-answer-in-tasks",)):
            graceful_stop(args.colony, store, extra, "in tasks" if extra else "on the event loop")
        token_rules(args.colony, store)
        scoped_tokens(args.colony, os.path.join(tmp, "scoped"), tmp)
        request_limits(args.colony, store)
    if FAILURES:
        print(f"test_http: {len(FAILURES)} failure(s)")
        sys.exit(1)
    print("test_http: all checks passed")


if __name__ == "__main__":
    main()
