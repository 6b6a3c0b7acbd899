"""Transports: the whole seam between the suites and a target.

`InProcess` runs the reference server's ASGI app with no socket. `Mannered` wraps any transport with
what a remote target deserves: a request budget, throttling to its documented limit, and patience
with 429 + Retry-After."""

from __future__ import annotations

import threading
import time

import httpx
from anyio.from_thread import start_blocking_portal


class RunStopped(Exception):
    """The run may send nothing more (budget spent, deadline passed): the test is not run, and the run
    is incomplete."""


class BudgetExhausted(RunStopped):
    """--max-requests was reached."""


class InProcess(httpx.BaseTransport):
    def __init__(self, app) -> None:
        self._portal_cm = start_blocking_portal()
        self._portal = self._portal_cm.__enter__()
        self._asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> tuple[int, list, bytes]:
            response = await self._asgi.handle_async_request(request)
            return response.status_code, response.headers.raw, await response.aread()

        status, headers, content = self._portal.call(send)
        # A stream rather than content, so the client closes it and times the exchange (response.elapsed).
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(content), request=request)

    def close(self) -> None:
        self._portal_cm.__exit__(None, None, None)


class Mannered(httpx.BaseTransport):
    RETRIES_ON_429 = 3

    def __init__(self, inner: httpx.BaseTransport, per_minute: int | None, max_requests: int | None) -> None:
        self._inner = inner
        self._interval = 60.0 / per_minute if per_minute else 0.0
        self._max = max_requests
        self._lock = threading.Lock()
        self._next_at = 0.0
        self.sent = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for attempt in range(self.RETRIES_ON_429 + 1):
            self._wait_turn()
            response = self._inner.handle_request(request)
            if (
                response.status_code != 429
                or attempt == self.RETRIES_ON_429
                or request.extensions.get("no_retry")
            ):
                return response
            response.read()
            time.sleep(_retry_after(response))
        return response

    def _wait_turn(self) -> None:
        with self._lock:
            if self._max is not None and self.sent >= self._max:
                raise BudgetExhausted(f"the request budget (--max-requests {self._max}) is spent")
            self.sent += 1
            delay = self._next_at - time.monotonic()
            self._next_at = max(self._next_at, time.monotonic()) + self._interval
        if delay > 0:
            time.sleep(delay)

    def close(self) -> None:
        self._inner.close()


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(60.0, max(0.0, float(response.headers.get("retry-after", "1"))))
    except ValueError:
        return 1.0
