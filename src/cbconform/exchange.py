"""One request and its response, as recorded for checks and reports.

Secrets are removed here, when the exchange is recorded: the Authorization header and the API key
never reach a check message, a report, a log line or a curl command."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any

import httpx

REDACTED = "[REDACTED]"
SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie")


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
    _json: Any = field(default=None, repr=False)

    @classmethod
    def record(cls, response: httpx.Response, secrets: tuple[str, ...], **extra: Any) -> Exchange:
        request = response.request
        return cls(
            method=request.method,
            url=redact(str(request.url), secrets),
            request_headers=_headers(request.headers, secrets),
            request_body=redact(request.content.decode("utf-8", "replace"), secrets),
            status=response.status_code,
            response_headers=_headers(response.headers, secrets),
            response_body=redact(response.text, secrets),
            elapsed_ms=round(response.elapsed.total_seconds() * 1000, 2) if _has_elapsed(response) else 0.0,
            **extra,
        )

    def json(self) -> Any:
        """The response body parsed, or None when it is not JSON."""
        if self._json is None:
            try:
                self._json = json.loads(self.response_body)
            except ValueError:
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
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "request": {
                "method": self.method,
                "url": self.url,
                "headers": self.request_headers,
                "body": self.request_body,
            },
            "response": {"status": self.status, "headers": self.response_headers, "body": self.response_body},
            "elapsed_ms": self.elapsed_ms,
            "operation": self.operation,
        }

    def summary(self) -> str:
        return f"{self.method} {self.url} -> {self.status}"


_NOT_JSON = object()


def redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def _headers(headers: httpx.Headers, secrets: tuple[str, ...]) -> dict[str, str]:
    return {
        name.lower(): REDACTED if name.lower() in SECRET_HEADERS else redact(value, secrets)
        for name, value in headers.items()
    }


def _has_elapsed(response: httpx.Response) -> bool:
    try:
        response.elapsed  # noqa: B018 - raises until the response is closed
    except RuntimeError:
        return False
    return True
