"""The client the suites use: one call per documented operation, built from contracts/operations.toml,
in either encoding, with every exchange recorded for checks and reports.

Every answer is read within a size cap and a total deadline (cbconform.transport.read_bounded). An
answer larger than the cap is kept cut, and reading its body fails ENC-RESPONSE-JSON with "response
larger than N bytes" (Exchange.json): nothing can be judged from a body the harness would not read
whole. Redirects are never followed, so the key is never sent to another origin."""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import qs_codec

from cbconform import redact
from cbconform.contracts import Contracts
from cbconform.exchange import Exchange
from cbconform.target import Target
from cbconform.transport import RunStopped, Unanswered, read_bounded

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
QS = qs_codec.EncodeOptions(list_format=qs_codec.ListFormat.INDICES)
SILENT_LIMIT = 5  # requests in a row the target leaves unanswered before the run stops sending
NO_AUTH = "none"


@dataclass
class Recorder:
    """What the run sent: exchanges of the current test, totals, and coverage of values and lengths."""

    current: list[Exchange] = field(default_factory=list)
    requests: int = 0
    unanswered: Unanswered | None = None  # the current test's request the target left unanswered
    enum_values: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    boundary_lengths: dict[str, dict[str, Any]] = field(default_factory=dict)

    def enum(self, rule_id: str, value: Any) -> None:
        self.enum_values[rule_id][json.dumps(value) if not isinstance(value, str) else value] += 1

    def boundary(self, label: str, max_length: int, sent: int) -> None:
        entry = self.boundary_lengths.setdefault(label, {"max": max_length, "sent": []})
        if sent not in entry["sent"]:
            entry["sent"].append(sent)
            entry["sent"].sort()


@dataclass
class Sent:
    raw: httpx.Response
    exchange: Exchange


class Api:
    def __init__(
        self, target: Target, contracts: Contracts, transport: httpx.BaseTransport, recorder: Recorder
    ):
        self.target, self.contracts, self.recorder = target, contracts, recorder
        redact.register(target.api_key)  # scrubbed from every output; see cbconform.redact
        self._cap = target.max_response_bytes
        self._deadline = target.request_deadline
        if hasattr(transport, "limit_run"):
            transport.limit_run(target.run_deadline)
        self._run_left = getattr(transport, "remaining", lambda: None)
        self._run_stopped = f"the run deadline ({target.run_deadline:g} s) has passed"
        self._silent = 0  # requests in a row left unanswered: a target that went away ends the run soon
        self._client = httpx.Client(transport=transport, timeout=self._deadline, follow_redirects=False)

    def call(
        self,
        operation: str,
        *,
        body: Any = None,
        path_id: str | None = None,
        headers: dict[str, str] | None = None,
        encoding: str = "form",
        content: bytes | str | None = None,
        content_type: str | None = None,
        auth: str | tuple[str, str] | None = None,
        retry_429: bool = True,
    ) -> Exchange:
        op = self.contracts.operation(operation)
        url = self.target.url_for(op.host) + op.path.replace(
            "{offer-fulfillment-id}", quote(path_id or "", safe="")
        )
        sent_headers = dict(headers or {})
        if op.method == "POST":
            content, default_type = _encode(body, encoding, content)
            if content_type is None and default_type:
                sent_headers.setdefault("content-type", default_type)
        if content_type is not None:
            sent_headers["content-type"] = content_type
        request_auth = self._auth(auth)
        extensions = {} if retry_429 else {"no_retry": True}
        request = self._client.build_request(
            op.method, url, content=content, headers=sent_headers, extensions=extensions
        )
        return self._send(request, request_auth, operation=operation, sent_params=body, encoding=encoding)

    def raw(self, method: str, host: str, path: str, **kwargs: Any) -> Exchange:
        """A request outside the five operations (an unknown path, a wrong method), still recorded."""
        request = self._client.build_request(method, self.target.url_for(host) + path, **kwargs)
        return self._send(request, self._auth(None), operation=None)

    def send(self, request: httpx.Request, operation: str | None, authenticated: bool = True) -> Sent:
        """A request built elsewhere (schemathesis), sent with the target's credentials and recorded."""
        auth = self._auth(None) if authenticated else None
        response, exchange = self._exchange(request, auth, operation=operation, authenticated=authenticated)
        return Sent(response, exchange)

    def _send(self, request: httpx.Request, auth: tuple[str, str] | None, **extra: Any) -> Exchange:
        return self._exchange(request, auth, authenticated=auth is not None, **extra)[1]

    def _exchange(
        self, request: httpx.Request, auth: tuple[str, str] | None, **extra: Any
    ) -> tuple[httpx.Response, Exchange]:
        if self._silent >= SILENT_LIMIT:
            raise RunStopped(
                f"the target stopped answering ({SILENT_LIMIT} requests in a row went unanswered), "
                "so the run stopped sending"
            )
        if self.recorder.unanswered is not None:  # hypothesis's retries of this test end at once
            raise Unanswered(self.recorder.unanswered.reason, self.recorder.unanswered.request)
        try:
            response, truncated = self._transmit(request, auth)
        except Unanswered as unanswered:
            self.recorder.requests += 1  # it went out, and counts against the budget
            self.recorder.unanswered, self._silent = unanswered, self._silent + 1
            raise
        self._silent = 0
        exchange = Exchange.record(response, truncated_at=self._cap if truncated else None, **extra)
        exchange.response_headers = {k.lower(): v for k, v in response.extensions["sent_headers"].items()}
        self.recorder.current.append(exchange)
        self.recorder.requests += 1
        return response, exchange

    def _transmit(self, request: httpx.Request, auth: tuple[str, str] | None) -> tuple[httpx.Response, bool]:
        """Sends and reads within the cap and the deadline; the answer comes back already read."""
        seconds, left = self._deadline, self._run_left()
        if left is not None and left <= 0:
            if not request.extensions.get("restore"):
                raise RunStopped(self._run_stopped)
            left = None
        seconds = seconds if left is None else min(seconds, left)
        request.extensions["timeout"] = httpx.Timeout(seconds).as_dict()
        started = time.monotonic()
        try:
            response = self._client.send(request, auth=auth, stream=True)
            body, truncated = read_bounded(response, self._cap, started + seconds)
        except httpx.TimeoutException:
            if left is not None and left < self._deadline:
                raise RunStopped(self._run_stopped) from None
            raise Unanswered(f"no complete answer within {seconds:g} s", _line(request)) from None
        except (httpx.NetworkError, httpx.RemoteProtocolError) as error:
            raise Unanswered(f"no answer: {type(error).__name__}: {error}", _line(request)) from None
        except httpx.DecodingError as error:  # a Content-Encoding its body does not follow
            raise Unanswered(f"an answer that cannot be decoded: {error}", _line(request)) from None
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _FRAMING]
        done = httpx.Response(
            response.status_code,
            headers=headers,
            content=body,
            request=request,
            extensions=dict(response.extensions),
        )
        with contextlib.suppress(RuntimeError):  # a response that was never streamed has no timing
            done.elapsed = response.elapsed
        done.extensions["sent_headers"] = response.headers  # as sent, framing headers included
        return done, truncated

    def admin(
        self, method: str, path: str, payload: dict[str, Any] | None = None, restore: bool = False
    ) -> Any:
        """The reference server's control plane at /__admin, beside /api/v2; None when not offered.
        `restore`: it puts back what a test changed, so neither the budget nor the deadline holds it."""
        root = self.target.grow_url.rsplit("/api/v2", 1)[0]
        request = self._client.build_request(method, f"{root}/__admin{path}", json=payload)
        request.extensions["restore"] = restore
        try:
            response, truncated = self._transmit(request, (self.target.api_key, ""))
        except (httpx.TransportError, Unanswered):  # a target that does not answer there has no admin
            self.recorder.requests += 1
            return None
        self.recorder.requests += 1  # not for a request the budget refused: it was never sent
        if truncated:
            return None
        if response.status_code != 200:
            return None
        try:
            return response.json()
        except (ValueError, RecursionError):
            return None

    def _auth(self, auth: str | tuple[str, str] | None) -> tuple[str, str] | None:
        if auth == NO_AUTH:
            return None
        if isinstance(auth, tuple):
            return auth
        return (self.target.api_key, "")

    def close(self) -> None:
        self._client.close()


_FRAMING = ("content-encoding", "content-length", "transfer-encoding")


def _line(request: httpx.Request) -> str:
    return f"{request.method} {request.url}"


def _encode(body: Any, encoding: str, content: bytes | str | None) -> tuple[bytes | str | None, str | None]:
    if content is not None or body is None:
        return content, None if content is not None else FORM
    if encoding == "json":
        return json.dumps(body), JSON
    return qs_codec.encode(body, QS), FORM
