"""Plays a failure's story against a target: the ids the target returns take the place of the recorded
ones, fresh idempotency keys take the place of the recorded ones (the same key stays the same), and the
admin API moves the clock, sets the rate limit and reads the event log where the story did (a rate limit
set is put back as it was once the story ends).

This module needs only the standard library and httpx: `cbconform replay --format pytest` copies it
verbatim into the standalone test file it writes, so the CLI and that file replay the same way."""

from __future__ import annotations

import json
import random
import string
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

IDEMPOTENCY = "chargebee-idempotency-key"
KEY_MARK = "<the API key>"  # where a story's credentials held the target's key
MIN_SENT_ID = 8  # a shorter id chosen by a request is sent as recorded (replacing it could hit other text)


class CannotReplay(Exception):
    """One sentence saying why the story cannot be played against this target."""


class Player:
    def __init__(self, client: httpx.Client, bases: dict[str, str], key: str, features: set[str]):
        self.client, self.bases, self.key, self.features = client, bases, key, features
        self.ids: dict[str, str] = {}
        self.seen: set[int] = set()  # timestamps the answers returned
        self.before: set[int] = set()  # ... before the last request's answer
        self.keys: dict[str, str] = {}
        self.returned: set[str] = set()  # the recorded ids earlier answers returned
        self.read: Any = None  # the last admin-plane answer (an event-log read)
        self._limit: list[Any] = []  # the rate limit to put back, once one was set
        self._random = random.Random()

    def play(self, steps: list[dict[str, Any]]) -> httpx.Response | None:
        """Sends every step; the last request's answer (None for a story without one)."""
        try:
            return self._play(steps)
        finally:
            if self._limit:
                self._admin("POST", "/rate-limit", {"per_minute": self._limit[0]})

    def _play(self, steps: list[dict[str, Any]]) -> httpx.Response | None:
        last = None
        for number, step in enumerate(steps, 1):
            if "clock" in step:
                self.move_clock(step["clock"])
                continue
            if "admin" in step:
                self.read = self.admin(step["admin"])
                continue
            self.before = set(self.seen)
            last = self.send(step)
            built = 200 <= step["status"] < 300  # a refusal recorded mid-story built no state to miss
            if number < len(steps) and built and not 200 <= last.status_code < 300:
                raise CannotReplay(
                    f"step {number} ({step['method']} {_path(step['url'])}) answered HTTP "
                    f"{last.status_code} where HTTP {step['status']} was recorded, so the state the"
                    " failure needs was not built"
                )
            self.learn(step.get("ids", {}), _json(last))
            self.returned |= set(step.get("ids", {}).values())
            self.seen |= set(_times(_json(last)))
        return last

    def send(self, step: dict[str, Any]) -> httpx.Response:
        headers = {
            k: self.keys.setdefault(v, self._fresh(v)) if k == IDEMPOTENCY else v
            for k, v in step["headers"].items()
        }
        auth = (self.key, "") if step.get("authenticated", True) else None
        if step.get("credentials"):
            auth = tuple(self.key if v == KEY_MARK else v for v in step["credentials"])
        for sent in step.get("sent_ids", ()):
            if len(sent) >= MIN_SENT_ID and sent not in self.ids and sent not in self.returned:
                self.ids[sent] = self._fresh(sent)
        url = self.substitute(self.url(step))
        body = self.substitute(step.get("body") or "") or None
        no_retry = {"no_retry": True} if self._limit else {}  # the story's own limit: a 429 is its answer
        return self.client.request(
            step["method"], url, headers=headers, content=body, auth=auth, extensions=no_retry
        )

    def url(self, step: dict[str, Any]) -> str:
        base = self.bases.get(step.get("host") or "grow", self.bases["grow"])
        return base + _path(step["url"])

    def move_clock(self, payload: dict[str, Any]) -> None:
        if "clock" not in self.features:
            raise CannotReplay(
                f"the story moves the target's clock ({_describe(payload)}) and the target offers no"
                " clock control (the reference server's admin API, `cbconform serve --admin`)"
            )
        answer = self._admin("POST", "/clock", payload)
        if answer.status_code != 200:
            raise CannotReplay(f"the target refused to move its clock (HTTP {answer.status_code})")

    def admin(self, request: dict[str, Any]) -> Any:
        """An admin-plane step other than the clock: an event-log read, a rate-limit setting."""
        feature, method, path = request["feature"], request["method"], self.substitute(request["path"])
        if feature not in self.features:
            raise CannotReplay(
                f"the story uses the target's {feature} ({method} /__admin{path}) and the target offers"
                f" no {feature} (the reference server's admin API, `cbconform serve --admin`)"
            )
        if feature == "rate-limit" and not self._limit:
            self._limit.append((_json(self._admin("GET", "", None)) or {}).get("rate_limit"))
        answer = self._admin(method, path, request.get("body"))
        if answer.status_code != 200:
            raise CannotReplay(f"the target refused {method} /__admin{path} (HTTP {answer.status_code})")
        return _json(answer)

    def _admin(self, method: str, path: str, payload: Any) -> httpx.Response:
        root = self.bases["grow"].rsplit("/api/v2", 1)[0]
        return self.client.request(method, f"{root}/__admin{path}", json=payload, auth=(self.key, ""))

    def learn(self, recorded: dict[str, str], body: Any) -> None:
        for pointer, old in recorded.items():
            new = _at(body, pointer)
            if isinstance(new, str) and new != old and old not in self.ids:
                self.ids[old] = new

    def substitute(self, text: str) -> str:
        for old in sorted(self.ids, key=len, reverse=True):
            new = self.ids[old]
            text = text.replace(old, new)
            if quote(old, safe="") != old:
                text = text.replace(quote(old, safe=""), quote(new, safe=""))
        return text

    def _fresh(self, key: str) -> str:
        """A new key of the same length and the same kinds of characters (a key's length can matter)."""
        pools = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
        return "".join(next((self._random.choice(p) for p in pools if c in p), c) for c in key)


def features_of(client: httpx.Client, grow_url: str, key: str) -> set[str]:
    """What the target's admin API offers (the reference server with --admin); empty without one."""
    root = grow_url.rsplit("/api/v2", 1)[0]
    try:
        answer = client.get(f"{root}/__admin", auth=(key, ""))
        return set(answer.json().get("features", ())) if answer.status_code == 200 else set()
    except (ValueError, AttributeError, RecursionError):
        return set()


def normalize(body: Any, seen: set[int] | frozenset[int] = frozenset(), key: str = "") -> Any:
    """An answer with the values that must differ between runs masked: ids, URLs and generated text
    (a string with a digit in it: a document number, a message naming a count) keep only their length,
    timestamps (`*_at`, or an integer of ten digits or more) their length and whether an earlier answer
    returned the same one (`seen`), so a fault that changes an id's length, a timestamp's unit or a
    stored timestamp still shows."""
    if isinstance(body, dict):
        return {k: normalize(v, seen, k) for k, v in body.items()}
    if isinstance(body, list):
        return [normalize(v, seen, key) for v in body]
    if (key == "id" or key.endswith("_id")) and isinstance(body, str):
        return f"<id of {len(body)} characters>"
    timed = isinstance(body, int) and not isinstance(body, bool) and (key.endswith("_at") or body >= 10**9)
    if timed and body in seen:
        return "<a time an earlier answer returned>"
    if timed or (key.endswith("_url") and isinstance(body, (int, str))):
        return f"<{type(body).__name__} of {len(str(body))} characters>"
    if isinstance(body, str) and any(c.isdigit() for c in body):
        return f"<text of {len(body)} characters>"
    return body


def same_answer(response: httpx.Response, before: set[int], expect: dict[str, Any]) -> bool:
    """Whether the target gave the recorded failing answer again (`expect`: status, answer, times
    returned before it, chargebee-* headers), the values that must differ aside."""
    times = expect["times"]
    before = before if times is not None else set()
    return (
        response.status_code == expect["status"]
        and normalize(_json(response), before) == normalize(expect["answer"], set(times or ()))
        and (expect["headers"] is None or marked(response.headers) == expect["headers"])
    )


def reads(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A story's admin-plane reads (event-log GETs), in order."""
    return [s for s in steps if s.get("admin", {}).get("method") == "GET"]


def story_times(steps: list[dict[str, Any]]) -> set[int]:
    """Every timestamp the story's answers returned."""
    return {t for s in steps for t in s.get("times", ())}


def marked(headers: Any) -> list[str]:
    """The chargebee-* and Retry-After response headers present (their values may differ between runs)."""
    names = (k.lower() for k in dict(headers or {}))
    return sorted(k for k in names if k.startswith("chargebee-") or k == "retry-after")


def _times(body: Any) -> list[int]:
    if isinstance(body, dict):
        stamped = ([v] if k.endswith("_at") and isinstance(v, int) else _times(v) for k, v in body.items())
        return [t for found in stamped for t in found]
    if isinstance(body, list):
        return [t for v in body for t in _times(v)]
    return []


def _json(response: httpx.Response | None) -> Any:
    try:
        return response.json() if response is not None else None
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python can parse
        return None


def parsed(text: str | None) -> Any:
    try:
        return json.loads(text or "")
    except (ValueError, RecursionError):
        return None


def _at(body: Any, pointer: str) -> Any:
    for part in pointer.split("/")[1:]:
        if isinstance(body, list) and part.isdigit() and int(part) < len(body):
            body = body[int(part)]
        elif isinstance(body, dict):
            body = body.get(part)
        else:
            return None
    return body


def _path(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path.split("/api/v2", 1)[1] if "/api/v2" in parts.path else parts.path
    return path + (f"?{parts.query}" if parts.query else "")


def _describe(payload: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in payload.items())
