"""The client the suites use: one call per documented operation, built from contracts/operations.toml,
in either encoding, with every exchange recorded (and redacted) for checks and reports."""

from __future__ import annotations

import base64
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import qs_codec

from cbconform.contracts import Contracts
from cbconform.exchange import Exchange
from cbconform.target import Target

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
QS = qs_codec.EncodeOptions(list_format=qs_codec.ListFormat.INDICES)
NO_AUTH = "none"


@dataclass
class Recorder:
    """What the run sent: exchanges of the current test, totals, and coverage of values and lengths."""

    current: list[Exchange] = field(default_factory=list)
    requests: int = 0
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
        self._secrets = (target.api_key, base64.b64encode(f"{target.api_key}:".encode()).decode())
        self._client = httpx.Client(transport=transport, timeout=30.0, follow_redirects=False)

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
        response = self._client.send(request, auth=auth)
        exchange = Exchange.record(response, self._secrets, operation=operation, authenticated=authenticated)
        self.recorder.current.append(exchange)
        self.recorder.requests += 1
        return Sent(response, exchange)

    def _send(self, request: httpx.Request, auth: tuple[str, str] | None, **extra: Any) -> Exchange:
        response = self._client.send(request, auth=auth)
        exchange = Exchange.record(response, self._secrets, authenticated=auth is not None, **extra)
        self.recorder.current.append(exchange)
        self.recorder.requests += 1
        return exchange

    def admin(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        """The reference server's control plane at /__admin, beside /api/v2; None when not offered."""
        root = self.target.grow_url.rsplit("/api/v2", 1)[0]
        response = self._client.request(
            method, f"{root}/__admin{path}", json=payload, auth=(self.target.api_key, "")
        )
        self.recorder.requests += 1
        if response.status_code != 200:
            return None
        try:
            return response.json()
        except ValueError:
            return None

    def _auth(self, auth: str | tuple[str, str] | None) -> tuple[str, str] | None:
        if auth == NO_AUTH:
            return None
        if isinstance(auth, tuple):
            return auth
        return (self.target.api_key, "")

    def close(self) -> None:
        self._client.close()


def _encode(body: Any, encoding: str, content: bytes | str | None) -> tuple[bytes | str | None, str | None]:
    if content is not None or body is None:
        return content, None if content is not None else FORM
    if encoding == "json":
        return json.dumps(body), JSON
    return qs_codec.encode(body, QS), FORM
