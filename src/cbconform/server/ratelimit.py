"""An optional per-minute request limit, counted on the server's clock."""

from __future__ import annotations

import threading
from collections import deque

from cbconform.server.errors import ApiError


class RateLimiter:
    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._sent: deque[int] = deque()
        self._lock = threading.Lock()

    def admit(self, now: int) -> ApiError | None:
        """None when the request fits in the window; otherwise the 429 to answer."""
        with self._lock:
            while self._sent and self._sent[0] <= now - 60:
                self._sent.popleft()
            if len(self._sent) >= self.per_minute:
                wait = max(1, self._sent[0] + 60 - now)
                return ApiError(
                    429,
                    "api_request_limit_exceeded",
                    f"More than {self.per_minute} requests a minute; retry in {wait} s.",
                    headers={"Retry-After": str(wait)},
                )
            self._sent.append(now)
            return None

    def clear(self) -> None:
        with self._lock:
            self._sent.clear()
