"""The story of a failure: the ordered exchanges and clock moves of the test that led to it.

`Log` stands in for `Recorder.current` during a test and notes which hypothesis example sent each
exchange. A failure's story is what ran outside any example (fixtures) plus the example that failed, up
to the failing exchange: after shrinking, hypothesis runs the shrunk example last, so this is the
shortest sequence it found. Each step keeps the ids its answer returned, so `cbconform replay` can put
the ids a new target returns in their place.

For embedded runs the failure also says how to serve the same reference server, and its URLs point at
that served server instead of the socketless embedded one."""

from __future__ import annotations

import base64
import json
import shlex
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cbconform import playback
from cbconform.exchange import Exchange
from cbconform.target import EMBEDDED_URL, Target

SERVED_URL = "http://127.0.0.1:8080/api/v2"
MAX_STEPS = 200
KEPT_HEADERS = ("content-type",)


class Log(list):
    """The exchanges of the current test, each tagged with the hypothesis example that sent it (0: none),
    and its admin-plane steps (clock moves, event-log reads, rate-limit settings) at their positions."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[int] = []
        self.moves: list[tuple[int, int, dict[str, Any]]] = []  # (position, tag, admin step)
        self.context: list[Exchange] = []  # what earlier tests made that this one reuses (sandbox)
        self._example: object | None = None
        self._count = 0

    def append(self, exchange: Exchange) -> None:
        self.tags.append(self._tag())
        super().append(exchange)

    def depends_on(self, exchanges: list[Exchange]) -> None:
        self.context += [e for e in exchanges if not any(e is c for c in self.context)]

    def clock(self, payload: dict[str, Any]) -> None:
        self.admin({"clock": dict(payload)})

    def admin(self, step: dict[str, Any]) -> None:
        self.moves.append((len(self), self._tag(), step))

    def _tag(self) -> int:
        context = _build_context()
        if context is None:
            return 0
        if context is not self._example:
            self._example, self._count = context, self._count + 1
        return self._count


def _build_context() -> object | None:
    try:
        from hypothesis.control import current_build_context
        from hypothesis.errors import InvalidArgument
    except ImportError:
        return None
    try:
        return current_build_context()
    except InvalidArgument:
        return None


def clock_moved(recorder: Any, payload: dict[str, Any]) -> None:
    """Notes a POST /__admin/clock in the current test's story (Recorder.current is a Log)."""
    log = getattr(recorder, "current", None)
    if isinstance(log, Log):
        log.clock(payload)


def admin_used(recorder: Any, feature: str, method: str, path: str, payload: Any, answer: Any) -> None:
    """Notes another admin-plane request (an event-log read, a rate-limit setting) with its answer."""
    log = getattr(recorder, "current", None)
    if isinstance(log, Log):
        request = {"feature": feature, "method": method, "path": path, "body": payload}
        log.admin({"admin": request, "answer": answer})


def capture(log: list, failing: Exchange | None, key: str = "") -> list[dict[str, Any]]:
    """The steps that led to `failing` (or to the end of the last example when no exchange failed).
    A test that read the admin plane after `failing` judged what it read: the story runs to that read."""
    if not log:
        return []
    tags = log.tags if isinstance(log, Log) else [0] * len(log)
    moves = log.moves if isinstance(log, Log) else []
    end = _position(log, failing)
    tag = tags[end - 1] if end else 0
    ours = [(pos, m) for pos, t, m in moves if t in (0, tag)]
    reads = [pos for pos, m in ours if pos >= end and _reads(m)]
    extended = failing is None or bool(reads)
    end = max([end, *reads])
    chosen = [i for i in range(end) if tags[i] in (0, tag)]
    steps: list[dict[str, Any]] = []
    for i in chosen:
        steps += [dict(m) for pos, m in ours if pos == i]
        steps.append(step(log[i], key))
    if steps and extended:
        tail = [dict(m) for pos, m in ours if pos == end]
        last_read = max((n for n, m in enumerate(tail) if _reads(m)), default=len(tail) - 1)
        steps += tail if failing is None else tail[: last_read + 1]
    if chosen:
        last = max(n for n, s in enumerate(steps) if "url" in s)
        steps[last]["response"] = served(log[chosen[-1]].response_body)
    made = [step(e, key) for e in getattr(log, "context", ())]
    return (made + steps)[-MAX_STEPS:]


def _reads(move: dict[str, Any]) -> bool:
    return move.get("admin", {}).get("method") == "GET"


def _position(log: list, failing: Exchange | None) -> int:
    """One past the failing exchange's index in the log: the story ends there."""
    if failing is not None:
        for i in range(len(log) - 1, -1, -1):
            if log[i] is failing:
                return i + 1
    return len(log)


def step(exchange: Exchange, key: str = "") -> dict[str, Any]:
    body = None if exchange.truncated_at else exchange.json()  # a cut answer has no body to read ids from
    return (
        _credentials(exchange, key)
        | _sent_ids(exchange)
        | {
            "operation": exchange.operation,
            "method": exchange.method,
            "url": served(exchange.url),
            "headers": {k: v for k, v in exchange.request_headers.items() if _kept(k)},
            "body": exchange.request_body,
            "authenticated": exchange.authenticated,
            "status": exchange.status,
            "ids": dict(returned_ids(body)),
            "times": sorted(set(times(body))),
        }
    )


def _credentials(exchange: Exchange, key: str) -> dict[str, Any]:
    """Basic credentials other than the target's key as user name (a wrong key, the key as password),
    the target's key written as playback.KEY_MARK: replay sends the same kind of credentials."""
    scheme, _, encoded = exchange.request_headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not key:
        return {}
    try:
        user, _, password = base64.b64decode(encoded).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return {}
    if (user, password) == (key, ""):
        return {}
    return {"credentials": [playback.KEY_MARK if v == key else v for v in (user, password)]}


def _sent_ids(exchange: Exchange) -> dict[str, Any]:
    """The `id` a request's body chose (an order's id): replay sends a fresh one of the same shape, so a
    story replayed twice on one target does not meet its own first id."""
    body = playback.parsed(exchange.request_body)
    if not isinstance(body, dict):
        body = dict(parse_qsl(exchange.request_body or ""))
    sent = body.get("id")
    return {"sent_ids": [sent]} if isinstance(sent, str) else {}


def _kept(name: str) -> bool:
    return name in KEPT_HEADERS or name.startswith("chargebee-")


def times(body: Any) -> Iterator[int]:
    """Every timestamp an answer returns (integer `*_at` fields), to tell later answers that repeat one."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key.endswith("_at") and isinstance(value, int):
                yield value
            else:
                yield from times(value)
    elif isinstance(body, list):
        for value in body:
            yield from times(value)


def returned_ids(body: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """(JSON pointer, value) of every id an answer returns: keys `id` and `*_id` holding strings."""
    if isinstance(body, dict):
        for key, value in body.items():
            here = f"{pointer}/{key}"
            if isinstance(value, str) and (key == "id" or key.endswith("_id")):
                yield here, value
            else:
                yield from returned_ids(value, here)
    elif isinstance(body, list):
        for index, value in enumerate(body):
            yield from returned_ids(value, f"{pointer}/{index}")


# ---------------------------------------------------------------- runnable reproduction


def served(text: str) -> str:
    return text.replace(urlsplit(EMBEDDED_URL).netloc, urlsplit(SERVED_URL).netloc)


def serve_command(target: Target) -> str:
    argv = ["cbconform", "serve", "--port", "8080", "--admin"]
    argv += [f"--fault={name}" for name in sorted(target.faults)]
    argv += [f"--reading={amb}={name}" for amb, name in sorted(target.readings.items())]
    return shlex.join(argv)


def attach_all(target: Target, log: list, failures: list[dict[str, Any]]) -> None:
    """Adds the story to failure records just made from the current test."""
    for failure in failures:
        attach(target, log, _recorded(log, failure.get("exchange")), failure)


def _recorded(log: list, exchange: dict[str, Any] | None) -> Exchange | None:
    """The logged exchange a failure record was made from (the last one that matches it)."""
    if exchange is not None:
        for logged in reversed(log):
            if logged.to_dict() == exchange:
                return logged
    return None


def attach(target: Target, log: list, failing: Exchange | None, failure: dict[str, Any]) -> dict[str, Any]:
    """Adds the story to a failure record; for an embedded run, the served server and its URLs."""
    failure["story"] = capture(log, failing, target.api_key)
    if target.embedded:
        failure["reproduce"]["serve"] = serve_command(target)
        if failure.get("curl"):
            failure["curl"] = served(failure["curl"])
        if failure.get("exchange"):
            failure["exchange"] = json.loads(served(json.dumps(failure["exchange"])))
    return failure
