"""The first step of every request: a path or query that is not valid UTF-8 once percent-decoded
(invalid bytes, lone surrogates) is refused with a Chargebee-shaped 400 before anything reads it."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from cbconform.server.encoding import is_unicode
from cbconform.server.errors import error_body
from cbconform.server.jsonio import JSONAnswer


class RequestGuard:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            where = _not_unicode(scope)
            if where:
                message = f"The request {where} is not valid UTF-8."
                body = error_body(400, "invalid_request", message, where if where == "query" else None)
                await JSONAnswer(body, 400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _not_unicode(scope: Scope) -> str | None:
    raw_path = (scope.get("raw_path") or b"").split(b"?", 1)[0]
    query = scope.get("query_string") or b""
    if not _utf8(raw_path) or (not scope["path"].isascii() and not is_unicode(scope["path"])):
        return "path"
    return None if _utf8(query) else "query"


def _utf8(raw: bytes) -> bool:
    if b"%" not in raw:
        return True  # ASGI servers hand over ASCII here; only escapes can carry other bytes
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
