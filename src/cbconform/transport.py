"""Transports: the whole seam between the suites and a target.

`InProcess` runs the reference server's ASGI app with no socket. `Mannered` wraps any transport with
what a remote target deserves: a request budget, a whole-run deadline, throttling to its documented
limit, and patience with 429 + Retry-After. `read_bounded` reads one answer within a size cap and a
total deadline, whatever the target sends."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import Callable

import httpx
import pytest
from anyio.from_thread import start_blocking_portal

DEFAULT_RUN_DEADLINE_S = 1800.0


class RunStopped(pytest.skip.Exception):
    """The run cannot send more requests (the budget is spent, the run deadline passed, the target
    went away); the test that meets it is not run, and the run incomplete. `reason` is one sentence.
    A skip to pytest and hypothesis alike, as `Unanswered` is (below)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class BudgetExhausted(RunStopped):
    """--max-requests was reached."""


class Unanswered(pytest.skip.Exception):
    """The target gave no complete answer: it refused or dropped the connection, broke off its answer,
    or ran past the request's deadline. What the test asked cannot be examined, so the test is not run
    and the run incomplete: neither the target's failure of a documented rule nor the harness's error.
    `request` is the request line, `reason` one sentence.

    A skip to pytest and hypothesis alike: hypothesis passes it straight up instead of shrinking (each
    retry would wait the deadline out again), and pytest's fixtures tear down around it as around any
    skip. Code outside pytest that sends requests catches it by name."""

    def __init__(self, reason: str, request: str):
        super().__init__(f"{reason} ({request})")
        self.reason, self.request = reason, request


class DeadlinePassed(httpx.ReadTimeout):
    """One request found no complete answer within its total deadline (not a per-chunk timeout)."""


def read_bounded(response: httpx.Response, cap: int, deadline: float) -> tuple[bytes, bool]:
    """The decoded body up to `cap` bytes, and whether there was more; reading stops at the cap and at
    `deadline` (time.monotonic()), however slowly the target trickles. The response is closed."""
    body = bytearray()
    try:
        for chunk in response.iter_bytes():
            body += chunk[: cap + 1 - len(body)]
            if len(body) > cap:
                return bytes(body[:cap]), True
            if time.monotonic() > deadline:
                raise DeadlinePassed(
                    "no complete answer before the request's deadline", request=response.request
                )
    finally:
        response.close()
    return bytes(body), False


class InProcess(httpx.BaseTransport):
    """The ASGI app called directly, on an event loop of its own run in the calling thread: no socket, no
    thread hand-off per request, and none of httpx.ASGITransport's per-request work. Calls from several
    threads take turns; a caller already inside an event loop is served through a portal thread instead.
    An exception in the app propagates."""

    CLIENT = ("127.0.0.1", 123)

    def __init__(self, app) -> None:
        self._app = app
        self._loop = asyncio.new_event_loop()
        self._turn = threading.Lock()
        self._portal_cm = None
        self._portal = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        call = self._call(_scope(request, self.CLIENT), request.read())
        if asyncio._get_running_loop() is None:
            with self._turn:
                status, headers, content = self._loop.run_until_complete(call)
        else:
            call.close()
            status, headers, content = self._portaled().call(
                self._call, _scope(request, self.CLIENT), request.read()
            )
        # A stream rather than content, so the client closes it and times the exchange (response.elapsed).
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(content), request=request)

    def _portaled(self):
        with self._turn:
            if self._portal is None:
                self._portal_cm = start_blocking_portal()
                self._portal = self._portal_cm.__enter__()
        return self._portal

    async def _call(self, scope: dict, body: bytes) -> tuple[int, list, bytes]:
        sent = [False]
        started: dict = {}
        parts: list[bytes] = []

        async def receive() -> dict:
            if sent[0]:
                return {"type": "http.disconnect"}
            sent[0] = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body" and scope["method"] != "HEAD":
                parts.append(message.get("body", b""))

        await self._app(scope, receive, send)
        return started["status"], started.get("headers", []), b"".join(parts)

    def close(self) -> None:
        if self._portal_cm is not None:
            self._portal_cm.__exit__(None, None, None)
        with self._turn:
            self._loop.close()


def _scope(request: httpx.Request, client: tuple[str, int]) -> dict:
    url = request.url
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "headers": [(k.lower(), v) for k, v in request.headers.raw],
        "scheme": url.scheme,
        "path": url.path,
        "raw_path": url.raw_path.split(b"?")[0],
        "query_string": url.query,
        "server": (url.host, url.port),
        "client": client,
        "root_path": "",
    }


class Mannered(httpx.BaseTransport):
    RETRIES_ON_429 = 3

    def __init__(
        self,
        inner: httpx.BaseTransport,
        per_minute: int | None,
        max_requests: int | None,
        run_deadline_s: float | None = DEFAULT_RUN_DEADLINE_S,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self._inner = inner
        self._per_minute = per_minute
        self._interval = 60.0 / per_minute if per_minute else 0.0
        self._max = max_requests
        self._lock = threading.Lock()
        self._next_at = 0.0
        self._ends_at = time.monotonic() + run_deadline_s if run_deadline_s else None
        self._run_deadline_s = run_deadline_s
        self._notify = notify or tell_user
        self._told = False
        self.sent = 0

    def limit_run(self, seconds: float | None) -> None:
        """The whole run may last `seconds` from now; later requests raise RunStopped."""
        self._run_deadline_s = seconds
        self._ends_at = time.monotonic() + seconds if seconds else None

    def remaining(self) -> float | None:
        """Seconds left before the run deadline; None without one."""
        return None if self._ends_at is None else self._ends_at - time.monotonic()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        restore = bool(request.extensions.get("restore"))
        for attempt in range(self.RETRIES_ON_429 + 1):
            self._wait_turn(restore)
            response = self._inner.handle_request(request)
            if (
                response.status_code != 429
                or attempt == self.RETRIES_ON_429
                or request.extensions.get("no_retry")
            ):
                return response
            response.read()
            self._wait_out(_retry_after(response), restore)
        return response

    def _wait_out(self, seconds: float, restore: bool) -> None:
        """The target's Retry-After, unless the run deadline would pass first: then the run stops now."""
        left = self.remaining()
        if left is not None and seconds >= left and not restore:
            raise RunStopped(
                f"the run deadline ({self._run_deadline_s:g} s) would pass while the target's rate limit "
                f"(Retry-After {seconds:g} s) is waited out"
            )
        time.sleep(seconds)

    def _wait_turn(self, restore: bool = False) -> None:
        """A restoring request (a test putting back the target's rate limit) is sent whatever is spent."""
        with self._lock:
            if self._max is not None and self.sent >= self._max and not restore:
                raise BudgetExhausted(f"the request budget (--max-requests {self._max}) is spent")
            left = self.remaining()
            if left is not None and left <= 0 and not restore:
                raise RunStopped(f"the run deadline ({self._run_deadline_s:g} s) has passed")
            self.sent += 1
            delay = self._next_at - time.monotonic()
            self._next_at = max(self._next_at, time.monotonic()) + self._interval
            first_wait, self._told = delay > 0 and not self._told, self._told or delay > 0
        if first_wait:
            self._notify(
                f"cbconform: throttling to {self._per_minute} requests a minute for a remote target"
                " (--rate N to change it, --rate 0 for none)"
            )
        if delay > 0:
            time.sleep(delay)

    def close(self) -> None:
        self._inner.close()


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(60.0, max(0.0, float(response.headers.get("retry-after", "1"))))
    except ValueError:
        return 1.0


def _user_stream():
    # The terminal as it was when the harness was imported: during a test pytest captures fd 2, and a
    # notice about waiting must reach the person who waits.
    try:
        return os.fdopen(os.dup(sys.__stderr__.fileno()), "w", buffering=1, encoding="utf-8", closefd=True)
    except (AttributeError, OSError, ValueError):
        return None


_USER = _user_stream()


def tell_user(message: str) -> None:
    """One line to the person running the suite, past pytest's capture; secrets scrubbed."""
    from cbconform.redact import scrub

    stream = _USER or sys.stderr
    try:
        stream.write(scrub(message) + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass
