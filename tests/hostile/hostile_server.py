"""A hostile target on 127.0.0.1: raw sockets, so it can send what no framework would.

The first path segment names the case (`http://127.0.0.1:PORT/deep/api/v2`). Every connection lives at
most LIFETIME seconds and the whole server stops with `close()`, so a test can never leave it behind.
`/__admin` always answers 404 quickly (the harness asks for it once, before the suites)."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from urllib.parse import quote, unquote

LIFETIME = 60.0
HUGE = 60 * 1024 * 1024
SLOW_CASES = ("trickle", "never", "stalling")  # these answer the first request (the probe) politely


def _deep(depth: int = 100_000) -> bytes:
    return b'{"list": ' + b"[" * depth + b"]" * depth + b"}"


def _garbage(n: int) -> tuple[int, str, bytes]:
    """A different kind of broken answer on each request."""
    kinds = [
        (200, "application/json", _deep()),
        (
            200,
            "application/json",
            b'{"list": [{"id": "\\ud800", "status": "\\udfff\\u0000x"}], "lone": "\\ud83d"}',
        ),
        (
            200,
            "application/json",
            b'{"list": [], "note": "\\u001b[31mred\\u001b[0m \\u0007 \\u202e", "k\\u0000": 1}',
        ),
        (200, "application/json", b"\x1b[2J\x1b[31m\x00\x07\x08 raw control \x0b\x0c\x7f\x85\r\n"),
        (
            200,
            "application/json; charset=utf-8",
            b'{"list": ["\xff\xfe\xc3\x28 \xed\xa0\x80 \xf4\x90\x80\x80"]}',
        ),
        (
            500,
            "text/html",
            b"<html><body><h1>500</h1><script>alert(1)</script>\x1b]0;title\x07</body></html>",
        ),
        (200, "application/json; charset=no-such-charset", b'{"list": []}'),
        (200, "application/json\r\nContent-Encoding: gzip", b"\x1f\x8b\x08\x00 not gzip at all"),
    ]
    return kinds[n % len(kinds)]


def _echo_body(key: str) -> bytes:
    """The key in every form a careless server might reflect it."""
    basic = base64.b64encode(f"{key}:".encode()).decode()
    forms = {
        "raw": key,
        "header": f"Basic {basic}",
        "base64_user": basic,
        "base64_key": base64.b64encode(key.encode()).decode(),
        "percent": quote(key, safe=""),
        "percent_all": "".join(f"%{b:02X}" for b in key.encode()),
        "url": f"https://example.test/cb?key={quote(key)}",
    }
    text = json.dumps({"message": f"your key {key} is fine", "echo": forms})
    # JSON-escaped: every character of the key as \\uXXXX, once lower- and once upper-case.
    lower = "".join(f"\\u{ord(c):04x}" for c in key)
    upper = "".join(f"\\u{ord(c):04X}" for c in key)
    text = text[:-1] + f', "escaped": "{lower}", "ESCAPED": "{upper}"}}'
    return text.encode()


class Handler(socketserver.BaseRequestHandler):
    server: HostileServer

    def handle(self) -> None:
        self.request.settimeout(5)
        self.started = time.monotonic()
        try:
            method, path, headers = self._read_request()
        except (OSError, ValueError):
            return
        case = path.strip("/").split("/", 1)[0]
        self.server.seen.append((case, method, path, headers))
        count = self.server.count(case)
        if "/__admin" in path:
            return self._send(404, "application/json", b'{"error": "no admin"}')
        if case in SLOW_CASES and count == 0:  # a conforming answer to the probe: no rule fails on it
            polite = json.dumps({"personalized_offers": [], "expires_at": int(time.time()) + 3600})
            return self._send(200, "application/json", polite.encode())
        play: Callable[..., None] = getattr(self, f"case_{case}", self.case_unknown)
        with contextlib.suppress(OSError):  # the harness hung up: right, for most of these
            play(count, headers)

    def _read_request(self) -> tuple[str, str, dict[str, str]]:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(65536)
            if not chunk:
                raise ValueError("closed")
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length") or 0)
        while len(rest) < length:
            chunk = self.request.recv(65536)
            if not chunk:
                break
            rest += chunk
        return method, unquote(path), headers

    def _send(self, status: int, content_type: str, body: bytes, extra: str = "") -> None:
        head = (
            f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"{extra}Connection: close\r\n\r\n"
        )
        self.request.sendall(head.encode("latin-1") + body)

    def _alive(self) -> bool:
        return not self.server.stopping.is_set() and time.monotonic() - self.started < LIFETIME

    # ------------------------------------------------------------------ cases

    def case_unknown(self, count: int, headers: dict[str, str]) -> None:
        self._send(404, "text/plain", b"no such case")

    def case_garbage(self, count: int, headers: dict[str, str]) -> None:
        status, kind, body = _garbage(count)
        self._send(status, kind, body)

    def case_oversized(self, count: int, headers: dict[str, str]) -> None:
        """Every other answer claims 60 MB and sends them; the others never end (chunked)."""
        block = b'{"list": [' + b'"x",' * 16_000
        if count % 2:
            self.request.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            chunk = f"{len(block):x}\r\n".encode() + block + b"\r\n"
            while self._alive():
                self.request.sendall(chunk)
            return
        self.request.sendall(
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {HUGE}\r\n\r\n".encode()
        )
        sent = 0
        while sent < HUGE and self._alive():
            self.request.sendall(block)
            sent += len(block)

    def case_trickle(self, count: int, headers: dict[str, str]) -> None:
        self.request.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
        )
        while self._alive():
            self.request.sendall(b" ")
            time.sleep(0.2)

    def case_never(self, count: int, headers: dict[str, str]) -> None:
        self.request.settimeout(0.2)
        while self._alive():
            try:
                if self.request.recv(1) == b"":
                    return  # the harness gave up and closed
            except TimeoutError:
                continue

    def case_echo(self, count: int, headers: dict[str, str]) -> None:
        auth = headers.get("authorization", "")
        key = ""
        if auth.lower().startswith("basic "):
            key = base64.b64decode(auth[6:]).decode("utf-8", "replace").split(":", 1)[0]
        body = _echo_body(key) if key else b'{"message": "no key"}'
        self._send(400 if count % 2 else 200, "application/json", body, f"X-Echo: {auth}\r\nX-Key: {key}\r\n")

    def case_mixed(self, count: int, headers: dict[str, str]) -> None:
        """Garbage of every kind, an echo of the key and a redirect, in turn."""
        turn = count % 10
        if turn == 8:
            return self.case_echo(count, headers)
        if turn == 9:
            return self.case_redirect(count, headers)
        return self.case_garbage(turn, headers)

    def case_stalling(self, count: int, headers: dict[str, str]) -> None:
        return (self.case_trickle if count % 2 else self.case_never)(count, headers)

    def case_redirect(self, count: int, headers: dict[str, str]) -> None:
        location = f"{self.server.other_origin}/api/v2/elsewhere"
        self._send(302 if count % 2 else 307, "application/json", b"{}", f"Location: {location}\r\n")


class HostileServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[tuple[str, str, str, dict[str, str]]] = []
        self.stopping = threading.Event()
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self.other = _Recorder()  # another origin, where a redirect points: it must see nothing
        self.other_origin = self.other.url
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def count(self, case: str) -> int:
        with self._lock:
            n = self.counts.get(case, 0)
            self.counts[case] = n + 1
            return n

    def close(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()
        self.other.close()


class _Recorder:
    """A listening socket that only records who connected."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.connections = 0
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self.sock.close()
