"""Memos for per-request work that repeats within a run: a run sends the same header value, or gets
the same error body or the same response shape, many times over."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

JSON_TYPES = (dict, list, str, int, float, bool, type(None))
SIZE = 5_000  # entries per memo, cleared when full: a thorough run stays within some 40 MB
LONGEST = 8192  # characters of an instance's repr worth remembering: a target's long answers are not


class Memo:
    """A bounded dict of computed values."""

    def __init__(self, size: int = SIZE) -> None:
        self.size, self.values = size, {}

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        if key not in self.values:
            if len(self.values) >= self.size:
                self.values.clear()
            self.values[key] = compute()
        return self.values[key]


def remembered(method: Callable[[Any, str, Any], list]) -> Callable[[Any, str, Any], list]:
    """A method of (schema name, JSON instance) remembered per object, keyed by the instance's repr,
    which tells 1 from True, 1.0 and "1" and keeps key order. Anything but JSON data, and any long
    instance, is not remembered."""

    @functools.wraps(method)
    def wrapper(self: Any, name: str, instance: Any) -> list:
        text = repr(instance) if isinstance(instance, JSON_TYPES) else ""
        if not text or len(text) > LONGEST:
            return method(self, name, instance)
        memo = self.__dict__.get("_memo") or self.__dict__.setdefault("_memo", Memo())
        return list(memo.get((method.__name__, name, text), lambda: tuple(method(self, name, instance))))

    return wrapper
