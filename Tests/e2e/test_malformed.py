#!/usr/bin/env python3
"""Malformed input to `colony serve` over stdio, with raw pipes (no SDK).

    python3 Tests/e2e/test_malformed.py [--colony PATH]

A store gets one event and one insight through a proper session; then a corpus of
bad lines goes in, each followed by a `ping` that must still be answered. Each bad
line must get exactly the expected answer (or none), and afterwards nothing may
have been written: the head position (via get_stats and `colony stats --json`)
and the get_context answer (byte for byte) are what they were.

Phase "limit 64 KiB" runs the corpus with `--max-message-bytes 65536`; phase
"default limit" runs the cases that need a message bigger than 64 KiB to pass the
size check (a 1 MB log_event text) and a line over the default 4 MiB limit.
Exits 1 when any case fails, listing each failing input, expected and actual answer.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import common
from common import check, check_eq

PARSE, INVALID_REQUEST, NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
RESOURCE_NOT_FOUND, UNSUPPORTED_VERSION = -32002, -32022
SCOPE = "acme/api"


def js(value: Any) -> bytes:
    """Compact JSON, UTF-8 (non-ASCII kept as is)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def req(id: Any, method: str, params: Any = None) -> bytes:
    m: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        m["params"] = params
    return js(m)


def call(id: Any, tool: str, arguments: Any) -> bytes:
    return req(id, "tools/call", {"name": tool, "arguments": arguments})


# --- expectations ------------------------------------------------------------------------------

@dataclass
class Expect:
    kind: str                      # "error", "tool_error", "result", "none"
    code: int | None = None
    id: Any = None
    mentions: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.kind == "none":
            return "no answer"
        if self.kind == "error":
            return f"error {self.code} with id {json.dumps(self.id)}" + (f" mentioning {list(self.mentions)}" if self.mentions else "")
        if self.kind == "tool_error":
            return f"result with isError true and id {json.dumps(self.id)} mentioning {list(self.mentions)}"
        return f"a result with id {json.dumps(self.id)}"


def parse_error() -> Expect:
    return Expect("error", PARSE, None)


def invalid_request(id: Any = None, *mentions: str) -> Expect:
    return Expect("error", INVALID_REQUEST, id, mentions)


def error(code: int, id: Any, *mentions: str) -> Expect:
    return Expect("error", code, id, mentions)


def tool_error(id: Any, *mentions: str) -> Expect:
    return Expect("tool_error", None, id, mentions)


def result(id: Any) -> Expect:
    return Expect("result", None, id)


def no_answer() -> Expect:
    return Expect("none")


@dataclass
class Case:
    name: str
    line: bytes                    # sent as is, then b"\n" unless it already ends with one
    expect: Expect
    note: str = field(default="")

    @property
    def wire(self) -> bytes:
        return self.line if self.line.endswith(b"\n") else self.line + b"\n"


def same_id(actual: Any, expected: Any) -> bool:
    return type(actual) is type(expected) and actual == expected


def verify(case: Case, answers: list[bytes]) -> str | None:
    """None when the answers are what the case expects, else why not."""
    e = case.expect
    if e.kind == "none":
        return None if not answers else f"expected no answer, got {len(answers)}"
    if len(answers) != 1:
        return f"expected exactly one answer, got {len(answers)}"
    raw = answers[0]
    try:
        msg = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        return f"the answer is not JSON ({err})"
    if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0":
        return "the answer is not a JSON-RPC 2.0 object"
    if "id" not in msg or not same_id(msg["id"], e.id):
        return f"id {json.dumps(msg.get('id', '<absent>'))}, expected {json.dumps(e.id)}"
    if e.kind == "error":
        if set(msg) != {"jsonrpc", "id", "error"}:
            return f"members {sorted(msg)}, expected jsonrpc, id, error"
        err = msg["error"]
        if not isinstance(err, dict) or not set(err) <= {"code", "message", "data"}:
            return "error is not {code, message, data?}"
        if not same_id(err.get("code"), e.code):
            return f"error code {err.get('code')}, expected {e.code}"
        message = err.get("message")
        if not isinstance(message, str) or not message.strip():
            return "empty error message"
        for m in e.mentions:
            if m.lower() not in message.lower():
                return f"error message does not mention {m!r}"
        return None
    if set(msg) != {"jsonrpc", "id", "result"}:
        return f"members {sorted(msg)}, expected jsonrpc, id, result"
    res = msg["result"]
    if not isinstance(res, dict):
        return "result is not an object"
    if e.kind == "result":
        return None if res.get("isError") in (None, False) else "isError result"
    if res.get("isError") is not True:
        return "expected isError: true"
    content = res.get("content")
    if not isinstance(content, list) or not content or not isinstance(content[0], dict) or content[0].get("type") != "text":
        return "content is not [{type: text, …}]"
    text = content[0].get("text")
    if not isinstance(text, str) or not text.strip():
        return "empty error text"
    for m in e.mentions:
        if m.lower() not in text.lower():
            return f"error text does not mention {m!r}"
    return None


# --- the corpus ----------------------------------------------------------------------------------

def corpus() -> list[Case]:
    C = Case
    ping = b'{"jsonrpc":"2.0","id":1,"method":"ping"}'
    cases = [
        # Not JSON at all.
        C("truncated object", b'{"jsonrpc":"2.0","id":1,"method":"ping"', parse_error()),
        C("truncated inside a string", b'{"jsonrpc":"2.0","id":1,"meth', parse_error()),
        C("truncated after a colon", b'{"jsonrpc":', parse_error()),
        C("trailing comma in an object", b'{"jsonrpc":"2.0","id":1,"method":"ping",}', parse_error()),
        C("trailing comma in an array", call(1, "get_stats", {})[:-2] + b',"x":[1,2,]}}', parse_error()),
        C("single quotes", b"{'jsonrpc':'2.0','id':1,'method':'ping'}", parse_error()),
        C("unquoted member names", b'{jsonrpc:"2.0",id:1,method:"ping"}', parse_error()),
        C("bare word", b"hello", parse_error()),
        C("bare words", b"ping please", parse_error()),
        C("NaN", b"NaN", parse_error()),
        C("Python True", b"True", parse_error()),
        C("lone open brace", b"{", parse_error()),
        C("lone close bracket", b"]", parse_error()),
        C("comment after the object", ping + b" // ping", parse_error()),
        C("two objects on one line", ping + b'{"jsonrpc":"2.0","id":2,"method":"ping"}', parse_error()),
        C("leading zero in the id", b'{"jsonrpc":"2.0","id":01,"method":"ping"}', parse_error()),
        C("invalid escape", b'{"jsonrpc":"2.0","id":1,"method":"\\x70ing"}', parse_error()),
        C("truncated \\u escape", b'{"jsonrpc":"2.0","id":1,"method":"\\u70"}', parse_error()),
        C("unterminated string", b'{"jsonrpc":"2.0","id":1,"method":"ping}', parse_error()),
        C("1000 levels of [", b"[" * 1000, parse_error()),
        C("1000 balanced levels of []", b"[" * 1000 + b"]" * 1000, parse_error()),
        C("1000 levels of {\"a\":", b'{"a":' * 1000 + b"1" + b"}" * 1000, parse_error()),
        C("log_event with data nested 100 deep", call(1, "log_event", {"scope": SCOPE, "text": "deep"})[:-2]
          .replace(b'"text":"deep"', b'"text":"deep","data":' + b"[" * 100 + b"]" * 100) + b"}}", parse_error()),
        # Bytes that are not UTF-8, surrogates, NUL.
        C("invalid UTF-8 byte in a string", b'{"jsonrpc":"2.0","id":1,"method":"pi\xffng"}', parse_error()),
        C("overlong UTF-8 in a string", b'{"jsonrpc":"2.0","id":1,"method":"\xc0\xafping"}', parse_error()),
        C("truncated UTF-8 sequence in a string", b'{"jsonrpc":"2.0","id":1,"method":"ping\xe2\x82"}', parse_error()),
        C("UTF-8-encoded surrogate in a string", b'{"jsonrpc":"2.0","id":1,"method":"\xed\xa0\x80"}', parse_error()),
        C("invalid UTF-8 in log_event text", call(1, "log_event", {"scope": SCOPE, "text": "caf_"}).replace(b"caf_", b"caf\xe9"),
          parse_error()),
        C("invalid UTF-8 outside a string", b"\xff\xfe" + ping, parse_error()),
        C("lone high surrogate escape in the method", b'{"jsonrpc":"2.0","id":1,"method":"\\ud800"}', parse_error()),
        C("lone low surrogate escape", b'{"jsonrpc":"2.0","id":1,"method":"\\udc00"}', parse_error()),
        C("high surrogate then a letter", b'{"jsonrpc":"2.0","id":1,"method":"\\ud800\\u0041"}', parse_error()),
        C("lone surrogate in log_event text", call(1, "log_event", {"scope": SCOPE, "text": "SURR"}).replace(b"SURR", b"\\ud800"),
          parse_error()),
        C("lone NUL byte", b"\x00", parse_error()),
        C("raw NUL inside a string", b'{"jsonrpc":"2.0","id":1,"method":"pi\x00ng"}', parse_error()),
        C("NUL after the object", ping + b"\x00", parse_error()),
        C("raw control character in a string", b'{"jsonrpc":"2.0","id":1,"method":"pi\x01ng"}', parse_error()),
        # JSON, but not an object.
        C("number", b"42", invalid_request()),
        C("string", b'"ping"', invalid_request()),
        C("null", b"null", invalid_request()),
        C("boolean", b"true", invalid_request()),
        C("empty array", b"[]", invalid_request()),
        C("batch of one request", b"[" + ping + b"]", invalid_request(None, "batch")),
        C("batch of two requests", b"[" + ping + b"," + ping.replace(b'"id":1', b'"id":2') + b"]", invalid_request(None, "batch")),
        # Objects that are not valid JSON-RPC requests.
        C("empty object", b"{}", invalid_request()),
        C("no jsonrpc member", b'{"id":3,"method":"ping"}', invalid_request(3, "jsonrpc")),
        C("jsonrpc 1.0", b'{"jsonrpc":"1.0","id":4,"method":"ping"}', invalid_request(4, "jsonrpc")),
        C("jsonrpc as a number", b'{"jsonrpc":2.0,"id":5,"method":"ping"}', invalid_request(5, "jsonrpc")),
        C("method missing", b'{"jsonrpc":"2.0","id":6}', invalid_request(6, "method")),
        C("method missing, params present", b'{"jsonrpc":"2.0","id":"m","params":{}}', invalid_request("m", "method")),
        C("method is a number", b'{"jsonrpc":"2.0","id":7,"method":42}', invalid_request(7, "method")),
        C("method is null", b'{"jsonrpc":"2.0","id":8,"method":null}', invalid_request(8, "method")),
        C("method is an object", b'{"jsonrpc":"2.0","id":9,"method":{"name":"ping"}}', invalid_request(9, "method")),
        C("id is an object", b'{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', invalid_request(None, "id")),
        C("id is an array", b'{"jsonrpc":"2.0","id":[1],"method":"ping"}', invalid_request(None, "id")),
        C("id is a fraction", b'{"jsonrpc":"2.0","id":1.5,"method":"ping"}', invalid_request(None, "id")),
        C("id is a boolean", b'{"jsonrpc":"2.0","id":true,"method":"ping"}', invalid_request(None, "id")),
        C("id is null", b'{"jsonrpc":"2.0","id":null,"method":"ping"}', invalid_request(None, "id")),
        C("id beyond 64 bits", b'{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"ping"}', invalid_request(None, "id")),
        C("params is an array", b'{"jsonrpc":"2.0","id":10,"method":"ping","params":[]}', error(INVALID_PARAMS, 10, "params")),
        C("params is a string", b'{"jsonrpc":"2.0","id":11,"method":"tools/list","params":"all"}', error(INVALID_PARAMS, 11, "params")),
        C("params is null", b'{"jsonrpc":"2.0","id":12,"method":"ping","params":null}', error(INVALID_PARAMS, 12, "params")),
        C("tools/call params as an array", b'{"jsonrpc":"2.0","id":13,"method":"tools/call","params":["get_stats",{}]}',
          error(INVALID_PARAMS, 13, "params")),
        # Valid ids of unusual shapes are echoed exactly.
        C("empty string id", b'{"jsonrpc":"2.0","id":"","method":"ping"}', result("")),
        C("negative id", b'{"jsonrpc":"2.0","id":-1,"method":"ping"}', result(-1)),
        C("id at 2^63-1", b'{"jsonrpc":"2.0","id":9223372036854775807,"method":"ping"}', result(9223372036854775807)),
        C("non-ASCII string id", js({"jsonrpc": "2.0", "id": "é-\u2603", "method": "ping"}), result("é-\u2603")),
        # Methods.
        C("unknown method", req(20, "foo/bar"), error(NOT_FOUND, 20, "foo/bar")),
        C("unknown method, string id", req("abc", "resources/delete"), error(NOT_FOUND, "abc")),
        C("empty method", req(21, ""), error(NOT_FOUND, 21)),
        C("method with an escaped NUL", b'{"jsonrpc":"2.0","id":22,"method":"ping\\u0000"}', error(NOT_FOUND, 22)),
        C("notification method sent as a request", req(23, "notifications/initialized"), error(NOT_FOUND, 23)),
        C("unknown notification", b'{"jsonrpc":"2.0","method":"foo/bar"}', no_answer()),
        C("cancel of an unknown request", b'{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":999}}', no_answer()),
        C("a response from the client", b'{"jsonrpc":"2.0","id":99,"result":{}}', no_answer()),
        C("an error response from the client", b'{"jsonrpc":"2.0","id":98,"error":{"code":-1,"message":"no"}}', no_answer()),
        C("initialize without protocolVersion", req(24, "initialize", {"capabilities": {}}), error(INVALID_PARAMS, 24, "protocolVersion")),
        C("unsupported version in _meta", req(25, "tools/list", {"_meta": {"io.modelcontextprotocol/protocolVersion": "2099-01-01"}}),
          error(UNSUPPORTED_VERSION, 25, "2099-01-01")),
        # tools/call protocol errors.
        C("unknown tool", call(30, "delete_everything", {}), error(INVALID_PARAMS, 30, "delete_everything")),
        C("tools/call without name", req(31, "tools/call", {"arguments": {}}), error(INVALID_PARAMS, 31, "name")),
        C("tools/call name is a number", req(32, "tools/call", {"name": 7}), error(INVALID_PARAMS, 32, "name")),
        C("tools/call without params", req(33, "tools/call"), error(INVALID_PARAMS, 33, "name")),
        # Tool argument errors: a result with isError and a message naming the problem.
        C("arguments is an array", req(40, "tools/call", {"name": "get_context", "arguments": ["acme"]}), tool_error(40, "arguments", "object")),
        C("get_context without scope", call(41, "get_context", {}), tool_error(41, "scope")),
        C("get_context scope is a number", call(42, "get_context", {"scope": 42}), tool_error(42, "scope", "string")),
        C("get_context scope is empty", call(43, "get_context", {"scope": ""}), tool_error(43, "scope")),
        C("get_context scope with a double slash", call(44, "get_context", {"scope": "acme//api"}), tool_error(44, "scope")),
        C("get_context scope with a colon", call(45, "get_context", {"scope": "acme:api"}), tool_error(45, "scope")),
        C("get_context scope with a NUL", call(46, "get_context", {"scope": "acme\u0000api"}), tool_error(46, "scope")),
        C("get_context max_events is a string", call(47, "get_context", {"scope": SCOPE, "max_events": "10"}),
          tool_error(47, "max_events", "integer")),
        C("get_context max_events 9999", call(48, "get_context", {"scope": SCOPE, "max_events": 9999}), tool_error(48, "max_events", "9999")),
        C("get_context max_events -1", call(49, "get_context", {"scope": SCOPE, "max_events": -1}), tool_error(49, "max_events")),
        C("get_context max_events 1.5", call(50, "get_context", {"scope": SCOPE, "max_events": 1.5}), tool_error(50, "max_events")),
        C("get_context max_events beyond 64 bits", b'{"jsonrpc":"2.0","id":51,"method":"tools/call","params":{"name":"get_context",'
          b'"arguments":{"scope":"acme","max_events":99999999999999999999}}}', tool_error(51, "max_events")),
        C("get_context format xml", call(52, "get_context", {"scope": SCOPE, "format": "xml"}), tool_error(52, "format", "xml")),
        C("get_context max_bytes 10", call(53, "get_context", {"scope": SCOPE, "max_bytes": 10}), tool_error(53, "max_bytes")),
        C("get_context since_position -5", call(54, "get_context", {"scope": SCOPE, "since_position": -5}), tool_error(54, "since_position")),
        C("get_context unknown argument", call(55, "get_context", {"scope": SCOPE, "limit": 5}), tool_error(55, "limit")),
        C("log_event without text", call(60, "log_event", {"scope": SCOPE}), tool_error(60, "text")),
        C("log_event without scope", call(61, "log_event", {"text": "hello"}), tool_error(61, "scope")),
        C("log_event with empty text", call(62, "log_event", {"scope": SCOPE, "text": ""}), tool_error(62, "text")),
        C("log_event with blank text", call(63, "log_event", {"scope": SCOPE, "text": " \n\t "}), tool_error(63, "text")),
        C("log_event text is a number", call(64, "log_event", {"scope": SCOPE, "text": 5}), tool_error(64, "text")),
        C("log_event kind insight", call(65, "log_event", {"scope": SCOPE, "text": "x", "kind": "insight"}), tool_error(65, "insight")),
        C("log_event kind with spaces", call(66, "log_event", {"scope": SCOPE, "text": "x", "kind": "bad kind!"}), tool_error(66, "kind")),
        C("log_event event_id not a UUID", call(67, "log_event", {"scope": SCOPE, "text": "x", "event_id": "42"}), tool_error(67, "event_id")),
        C("log_event priority urgent", call(68, "log_event", {"scope": SCOPE, "text": "x", "priority": "urgent"}), tool_error(68, "priority")),
        C("log_event bad scope", call(69, "log_event", {"scope": "/acme", "text": "x"}), tool_error(69, "scope")),
        C("log_insight importance 2", call(70, "log_insight", {"scope": SCOPE, "text": "x", "importance": 2}), tool_error(70, "importance")),
        C("log_insight importance as a string", call(71, "log_insight", {"scope": SCOPE, "text": "x", "importance": "high"}),
          tool_error(71, "importance")),
        C("log_insight tags not strings", call(72, "log_insight", {"scope": SCOPE, "text": "x", "tags": [1]}), tool_error(72, "tags")),
        C("log_insight 17 tags", call(73, "log_insight", {"scope": SCOPE, "text": "x", "tags": [f"t{i}" for i in range(17)]}),
          tool_error(73, "tags")),
        C("log_insight supersedes not a UUID", call(74, "log_insight", {"scope": SCOPE, "text": "x", "supersedes": "x"}),
          tool_error(74, "supersedes")),
        C("log_insight supersedes an unknown id", call(75, "log_insight", {"scope": SCOPE, "text": "x",
          "supersedes": "00000000-0000-4000-8000-000000000000"}), tool_error(75, "supersedes")),
        C("get_stats with an argument", call(76, "get_stats", {"verbose": True}), tool_error(76, "verbose")),
        # Resources.
        C("resources/read without uri", req(80, "resources/read", {}), error(INVALID_PARAMS, 80, "uri")),
        C("resources/read uri is a number", req(81, "resources/read", {"uri": 5}), error(INVALID_PARAMS, 81, "uri")),
        C("resources/read unknown scheme", req(82, "resources/read", {"uri": "file:///etc/passwd"}),
          error(RESOURCE_NOT_FOUND, 82, "file:///etc/passwd")),
        C("resources/read without scope", req(83, "resources/read", {"uri": "colony://context/"}), error(INVALID_PARAMS, 83, "scope")),
        C("resources/read bad percent-encoding", req(84, "resources/read", {"uri": "colony://context/%zz"}), error(INVALID_PARAMS, 84)),
        C("resources/read invalid scope", req(85, "resources/read", {"uri": "colony://context/a//b"}), error(INVALID_PARAMS, 85, "scope")),
        C("resources/subscribe unknown scheme", req(86, "resources/subscribe", {"uri": "x://y"}), error(RESOURCE_NOT_FOUND, 86)),
        C("subscriptions/listen without notifications", req(87, "subscriptions/listen", {}), error(INVALID_PARAMS, 87, "notifications")),
        # Lines with nothing in them, and CRLF.
        C("empty line", b"\n", no_answer()),
        C("spaces and tabs", b"   \t  \n", no_answer()),
        C("bare CR", b"\r\n", no_answer()),
        C("CRLF-terminated ping", b'{"jsonrpc":"2.0","id":90,"method":"ping"}\r\n', result(90)),
        C("CRLF-terminated get_context", call(91, "get_context", {"scope": SCOPE}) + b"\r\n", result(91)),
        C("request padded with whitespace", b'  \t{"jsonrpc":"2.0","id":92,"method":"ping"}  \t', result(92)),
    ]
    return cases


def corpus_small_limit(limit: int) -> list[Case]:
    """Cases for a server started with --max-message-bytes `limit`."""
    exact = b'{"jsonrpc":"2.0","id":100,"method":"ping"}'
    exact = exact[:-1] + b" " * (limit - len(exact)) + b"}"
    assert len(exact) == limit
    over_by_one = exact[:-1] + b" }"
    line_200k = call(101, "log_event", {"scope": SCOPE, "text": "x" * (200 << 10)})
    garbage = b"\xff" * (200 << 10)
    line_1m = call(102, "log_event", {"scope": SCOPE, "text": "y" * (1 << 20)})

    def over(line: bytes) -> Expect:  # the answer names the message's size and the limit
        return invalid_request(None, f"{len(line)} bytes", f"limit of {limit} bytes")

    return [
        Case("message of exactly the limit", exact, result(100)),
        Case("message one byte over the limit", over_by_one, over(over_by_one)),
        Case("200 KB log_event line", line_200k, over(line_200k)),
        Case("200 KB of garbage", garbage, over(garbage)),
        Case("1 MB log_event text (over the message limit)", line_1m, over(line_1m)),
    ]


def corpus_default_limit() -> list[Case]:
    """Cases for a server with the default 4 MiB message limit."""
    line_5m = call(113, "log_event", {"scope": SCOPE, "text": "w" * (5 << 20)})
    return [
        Case("log_event text of 1 MB", call(110, "log_event", {"scope": SCOPE, "text": "z" * (1 << 20)}), tool_error(110, "text", "65536")),
        Case("log_event text one byte over 64 KiB", call(111, "log_event", {"scope": SCOPE, "text": "z" * (64 * 1024 + 1)}),
             tool_error(111, "text", "65536")),
        Case("log_insight text of 1 MB", call(112, "log_insight", {"scope": SCOPE, "text": "q" * (1 << 20)}), tool_error(112, "text")),
        Case("line of 5 MB", line_5m, invalid_request(None, f"{len(line_5m)} bytes", f"limit of {4 << 20} bytes")),
    ]


# --- the server ----------------------------------------------------------------------------------

class RawServer:
    """`colony serve` on pipes: lines in, lines out (read by a thread into a queue)."""

    def __init__(self, colony: str, store: str, *extra: str):
        self.colony, self.store = colony, store
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([colony, "serve", "--store", store, *extra], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.err)
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line[:-1] if line.endswith(b"\n") else line)
        self.lines.put(None)

    def send(self, data: bytes) -> None:
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise common.CheckFailed(f"colony serve closed its input (exit {self.proc.poll()}); stderr:\n{self.stderr()}")

    def recv(self, timeout: float = 15) -> bytes:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise common.CheckFailed(f"no answer from colony serve within {timeout} s; stderr:\n{self.stderr()}")
        if line is None:
            self.lines.put(None)
            self.proc.wait(timeout=5)
            raise common.CheckFailed(f"colony serve closed its output (exit {self.proc.returncode}); stderr:\n{self.stderr()}")
        return line

    def request(self, line: bytes, id: Any) -> bytes:
        """Sends one request and returns the raw bytes of its answer; other lines are a failure."""
        self.send(line + b"\n")
        answer = self.recv()
        msg = json.loads(answer)
        check(same_id(msg.get("id"), id), f"expected the answer to id {id!r}, got {common.short(answer)}")
        return answer

    def result(self, line: bytes, id: Any) -> dict:
        msg = json.loads(self.request(line, id))
        check("result" in msg, f"request {common.short(line)} failed: {common.short(msg)}")
        return msg["result"]

    def stderr(self) -> str:
        self.err.seek(0)
        return self.err.read().decode(errors="replace")[-4000:] or "(nothing on stderr)"

    def close(self, timeout: float = 10) -> int:
        self.proc.stdin.close()
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise common.CheckFailed(f"colony serve did not exit within {timeout} s of its input closing")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


VERBOSE = False


def feed(server: RawServer, cases: list[Case], first_ping_id: int) -> list[str]:
    """Sends each case then a ping; returns one line per failing case."""
    failures = []
    for n, case in enumerate(cases):
        ping_id = first_ping_id + n
        server.send(case.wire + b'{"jsonrpc":"2.0","id":%d,"method":"ping"}\n' % ping_id)
        answers: list[bytes] = []
        pinged = False
        while not pinged or (case.expect.kind != "none" and not answers):
            if pinged:  # only a deferred answer (a write's) may still come; give it a few seconds
                try:
                    line = server.recv(timeout=5)
                except common.CheckFailed:
                    if server.proc.poll() is not None:
                        raise
                    break
            else:
                line = server.recv()
            try:
                msg = json.loads(line)
            except ValueError:
                msg = None
            if isinstance(msg, dict) and same_id(msg.get("id"), ping_id) and "method" not in msg:
                check_eq(msg, {"jsonrpc": "2.0", "id": ping_id, "result": {}}, f"ping after {case.name!r}")
                pinged = True
            else:
                answers.append(line)
        why = verify(case, answers)
        if VERBOSE:
            print(f"  {'FAIL' if why else 'ok  '} {case.name}: {' | '.join(common.short(a, 160) for a in answers) or 'no answer'}")
        if why:
            failures.append(f"- {case.name}\n    input:    {common.short(case.wire, 300)}\n    expected: {case.expect}\n"
                            f"    actual:   {' | '.join(common.short(a, 400) for a in answers) or 'no answer'}\n    problem:  {why}")
    return failures


class Snapshot:
    """What must not change: head position (two ways) and a get_context answer's bytes."""

    def __init__(self, server: RawServer, colony: str, store: str):
        stats = server.result(call("snap-stats", "get_stats", {}), "snap-stats")["structuredContent"]
        self.head = stats["head_position"]
        self.cli_head = cli_head(colony, store)
        self.context = server.request(call("snap-ctx", "get_context", {"scope": "acme"}), "snap-ctx")
        self.resource = server.request(req("snap-res", "resources/read", {"uri": "colony://context/acme"}), "snap-res")

    def same(self, other: "Snapshot") -> list[str]:
        problems = []
        if other.head != self.head:
            problems.append(f"get_stats head_position {other.head}, was {self.head}")
        if other.cli_head != self.cli_head:
            problems.append(f"`colony stats --json` headPosition {other.cli_head}, was {self.cli_head}")
        if other.context != self.context:
            problems.append(f"get_context answer changed:\n    before {common.short(self.context)}\n    after  {common.short(other.context)}")
        if other.resource != self.resource:
            problems.append("resources/read answer changed")
        return problems


def cli_head(colony: str, store: str) -> int:
    out = subprocess.run([colony, "stats", "--json", "--store", store], capture_output=True, timeout=30)
    check_eq(out.returncode, 0, f"`colony stats --json` exit code (stderr {out.stderr.decode(errors='replace')!r})")
    return json.loads(out.stdout)["headPosition"]


def seed(server: RawServer) -> None:
    init = server.result(req("init", "initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                                    "clientInfo": {"name": "e2e-malformed", "version": "1"}}), "init")
    check_eq(init["protocolVersion"], "2025-11-25", "negotiated version")
    server.send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
    logged = server.result(call("seed-1", "log_event", {"scope": SCOPE, "text": "seeded event", "kind": "seed"}), "seed-1")
    check_eq(logged["structuredContent"]["duplicate"], False, "seed event duplicate")
    server.result(call("seed-2", "log_insight", {"scope": "acme", "text": "seeded insight", "importance": 0.7}), "seed-2")


def phase(colony: str, store: str, cases: list[Case], extra: list[str], seed_first: bool) -> None:
    server = RawServer(colony, store, "--log-level", "warning", *extra)
    try:
        if seed_first:
            seed(server)
        before = Snapshot(server, colony, store)
        check(before.head >= 2, f"the seeded store has head {before.head}")
        failures = feed(server, cases, 1_000_000)
        after = Snapshot(server, colony, store)
        changed = before.same(after)
        code = server.close()
    finally:
        server.kill()
    problems = []
    if failures:
        problems.append(f"{len(failures)} of {len(cases)} malformed inputs were not answered as expected:\n" + "\n".join(failures))
    if changed:
        problems.append("the malformed inputs changed the store:\n" + "\n".join(changed))
    if code != 0:
        problems.append(f"colony serve exited {code} after its input closed; stderr:\n{server.stderr()}")
    check(not problems, "\n".join(problems))
    print(f"  {len(cases)} inputs answered as expected; head still {after.head}")


def main() -> int:
    p = common.argument_parser(__doc__.split("\n\n")[0])
    p.add_argument("-v", "--verbose", action="store_true", help="print every input's answer")
    args = p.parse_args()
    global VERBOSE
    VERBOSE = args.verbose
    colony = common.find_colony(args.colony)
    runner = common.Runner("test_malformed.py")
    with common.temp_dir("colony-e2e-malformed-", args.keep) as store:
        runner.run("limit 64 KiB: malformed corpus", phase, colony, store,
                   corpus() + corpus_small_limit(65536), ["--max-message-bytes", "65536"], True)
        runner.run("default limit: oversized texts and lines", phase, colony, store, corpus_default_limit(), [], False)
    return runner.finish()


if __name__ == "__main__":
    sys.exit(main())
