"""One request and its response, as recorded for checks and reports.

Checks see what the target sent, unredacted. Secrets are removed on the way out (cbconform.redact):
`to_dict()` and `curl()` are output, so they scrub; the curl command names the key
`$CHARGEBEE_API_KEY`, never its value."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any

import httpx

from cbconform import redact as _redact
from cbconform.redact import REDACTED, SECRET_HEADERS

BODY_KEPT = 64 * 1024  # characters of a body kept in results.json; the rest is summarised
__all__ = ["REDACTED", "SECRET_HEADERS", "Exchange", "redact"]


@dataclass
class Exchange:
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int
    response_headers: dict[str, str]
    response_body: str
    elapsed_ms: float
    operation: str | None = None
    sent_params: Any = None
    encoding: str | None = None
    authenticated: bool = True
    truncated_at: int | None = None  # the size cap, when the target sent more than it
    _json: Any = field(default=None, repr=False)

    @classmethod
    def record(
        cls,
        response: httpx.Response,
        secrets: tuple[str, ...] = (),
        *,
        body: bytes | None = None,
        truncated_at: int | None = None,
        **extra: Any,
    ) -> Exchange:
        """The exchange as sent and received; `secrets` join the run's scrubber for the output."""
        _redact.register(*secrets)
        request = response.request
        content = response.content if body is None else body
        return cls(
            method=request.method,
            url=str(request.url),
            request_headers={k.lower(): v for k, v in request.headers.items()},
            request_body=request.content.decode("utf-8", "replace"),
            status=response.status_code,
            response_headers={k.lower(): v for k, v in response.headers.items()},
            response_body=_decode(content, response),
            elapsed_ms=round(response.elapsed.total_seconds() * 1000, 2) if _has_elapsed(response) else 0.0,
            truncated_at=truncated_at,
            **extra,
        )

    def json(self) -> Any:
        """The response body parsed, or None when it is not JSON. An answer cut at the size cap has no
        body to judge: asking for it fails ENC-RESPONSE-JSON with "response larger than N bytes"."""
        if self.truncated_at:
            from cbconform.checks import ConformanceFailure, Failure

            received = f"response larger than {self.truncated_at} bytes"
            documented = f"a JSON body (the harness reads at most {self.truncated_at} bytes)"
            title = "The response is small enough to read whole"
            raise ConformanceFailure(
                [Failure("ENC-RESPONSE-JSON", "response_size", title, documented, received, self)]
            )
        if self._json is None:
            try:
                self._json = json.loads(self.response_body)
            except (ValueError, RecursionError):  # not JSON, or nested deeper than Python can parse
                self._json = _NOT_JSON
        return None if self._json is _NOT_JSON else self._json

    def curl(self) -> str:
        parts = ["curl", "-sS", "-X", self.method, shlex.quote(self.url)]
        if self.authenticated:
            parts += ["-u", '"$CHARGEBEE_API_KEY:"']
        for name, value in self.request_headers.items():
            if name in SECRET_HEADERS or name in (
                "content-length",
                "host",
                "user-agent",
                "accept-encoding",
                "accept",
                "connection",
            ):
                continue
            parts += ["-H", shlex.quote(f"{name}: {value}")]
        if self.request_body:
            parts += ["--data-raw", shlex.quote(self.request_body)]
        return _redact.scrub(" ".join(parts))

    def to_dict(self) -> dict[str, Any]:
        """The exchange for the results model: credential headers replaced, every secret scrubbed, and
        bodies kept to BODY_KEPT characters."""
        response = {"status": self.status, "headers": _redact.headers(self.response_headers.items())}
        response["body"] = _kept(self.response_body)
        if self.truncated_at:
            response["body"] += (
                f"\n[... the target sent more than {self.truncated_at} bytes; reading stopped]"
            )
        return _redact.active().value(
            {
                "request": {
                    "method": self.method,
                    "url": self.url,
                    "headers": _redact.headers(self.request_headers.items()),
                    "body": _kept(self.request_body),
                },
                "response": response,
                "elapsed_ms": self.elapsed_ms,
                "operation": self.operation,
            }
        )

    def summary(self) -> str:
        return _redact.scrub(f"{self.method} {self.url} -> {self.status}")


_NOT_JSON = object()


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` scrubbed of the run's key and of `secrets`, in every form (see cbconform.redact)."""
    return _redact.Scrubber((*_redact.active().keys, *secrets)).text(text)


def _kept(body: str) -> str:
    if len(body) <= BODY_KEPT:
        return body
    return body[:BODY_KEPT] + f"\n[... {len(body) - BODY_KEPT} more characters not kept]"


def _decode(content: bytes, response: httpx.Response) -> str:
    try:
        return content.decode(response.charset_encoding or "utf-8", "replace")
    except (LookupError, ValueError):  # a charset Python does not know
        return content.decode("utf-8", "replace")


def _has_elapsed(response: httpx.Response) -> bool:
    try:
        response.elapsed  # noqa: B018 - raises until the response is closed
    except RuntimeError:
        return False
    return True
