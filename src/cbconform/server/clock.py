"""The server's clock: real time by default; frozen and advanced through the admin API so that the
7-day rule and asynchronous processing can be tested in seconds."""

from __future__ import annotations

import threading
import time


class Clock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen_at: float | None = None
        self._offset = 0.0

    def now(self) -> int:
        with self._lock:
            base = self._frozen_at if self._frozen_at is not None else time.time()
            return int(base + self._offset)

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self, at: int | None = None) -> None:
        with self._lock:
            self._frozen_at = float(at) if at is not None else time.time() + self._offset
            self._offset = 0.0

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
            self._frozen_at = None

    def advance(self, seconds: int) -> None:
        with self._lock:
            self._offset += seconds
