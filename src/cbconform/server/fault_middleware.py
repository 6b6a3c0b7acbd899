"""The ASGI middleware that applies a fault catalogue around the clean server: request edits on the way
in, answer edits and response faults (faults.toml `edit`s and named transforms) on the way out. It is
installed only when faults are active, so the clean server never pays for it."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from starlette.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cbconform.server import faults
from cbconform.server.faulty import ANSWER_EDITS, OPERATION, REQUEST_EDITS, answer_edit, request_edit

FORM = "application/x-www-form-urlencoded"
API_PREFIX = "/api/v2"


@dataclass
class Incoming:
    headers: dict[str, str]
    body: bytes | None  # read only when an active edit needs it
    api_key: str
    api_post: bool  # a POST to an operation, where bodies and Content-Type are read


class FaultMiddleware:
    def __init__(self, app: ASGIApp, names: frozenset[str], api_key: str):
        self.app, self.names, self.api_key = app, names, api_key
        known = faults.catalogue()
        switches = {known[n].switch for n in names if known[n].kind == "behaviour"}
        self.request_edits = [REQUEST_EDITS[s] for s in sorted(switches) if s in REQUEST_EDITS]
        self.answer_edits = [ANSWER_EDITS[s] for s in sorted(switches) if s in ANSWER_EDITS]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.request_edits:
            scope, receive = await self._edit_request(scope, receive)
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    await self._answer(scope, receive, send, start, b"".join(chunks))

        await self.app(scope, receive, capture)

    async def _edit_request(self, scope: Scope, receive: Receive) -> tuple[Scope, Receive]:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        api_post = scope["method"] == "POST" and scope["path"].startswith(API_PREFIX)
        body = None
        if api_post and any(getattr(e, "needs_body", False) for e in self.request_edits):
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
        incoming = Incoming(headers, body, self.api_key, api_post)
        for edit in self.request_edits:
            edit(incoming)
        if incoming.body is not None:
            incoming.headers["content-length"] = str(len(incoming.body))
            receive = _replay(incoming.body)
        edited = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in incoming.headers.items()]
        return {**scope, "headers": edited}, receive

    async def _answer(self, scope: Scope, receive: Receive, send: Send, start: dict, raw: bytes) -> None:
        operation = scope.get(OPERATION)
        if operation is None:
            await send(start)
            await send({"type": "http.response.body", "body": raw})
            return
        status, body = start["status"], json.loads(raw)
        skipped = (b"content-length", b"content-type")
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"] if k not in skipped}
        status, body, headers = faults.apply(self.names, operation, status, body, headers)
        for edit in self.answer_edits:
            if (response := edit(status, body, headers)) is not None:
                await response(scope, receive, send)
                return
        await JSONResponse(body, status, headers=headers)(scope, receive, send)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _basic(incoming: Incoming) -> tuple[str, str] | None:
    scheme, _, encoded = incoming.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def _authorize(incoming: Incoming, user: str) -> None:
    incoming.headers["authorization"] = "Basic " + base64.b64encode(f"{user}:".encode()).decode()


@request_edit("no-auth")
def _no_auth(incoming: Incoming) -> None:
    if "authorization" not in incoming.headers:
        _authorize(incoming, incoming.api_key)


@request_edit("any-key-accepted")
def _any_key(incoming: Incoming) -> None:
    credentials = _basic(incoming)
    if credentials and credentials[0]:
        _authorize(incoming, incoming.api_key)


@request_edit("key-expected-as-password")
def _key_as_password(incoming: Incoming) -> None:
    credentials = _basic(incoming)
    if credentials:
        _authorize(incoming, credentials[1])


def _media_type(incoming: Incoming) -> str | None:
    value = incoming.headers.get("content-type")
    return value.split(";", 1)[0].strip().lower() if value is not None else None


@request_edit("unsupported-content-type-accepted")
def _any_content_type(incoming: Incoming) -> None:
    if incoming.api_post and _media_type(incoming) not in (None, "application/json"):
        incoming.headers["content-type"] = FORM


@request_edit("missing-content-type-refused")
def _content_type_required(incoming: Incoming) -> None:
    if incoming.api_post and "content-type" not in incoming.headers:
        incoming.headers["content-type"] = ""


@request_edit("indexed-arrays-dropped")
def _indexed_arrays_dropped(incoming: Incoming) -> None:
    if incoming.body is None or _media_type(incoming) not in (None, FORM):
        return
    try:
        text = incoming.body.decode("utf-8")
    except UnicodeDecodeError:
        return
    kept = [p for p in text.split("&") if not re.match(r"[^=\[]+\[\d+\]", unquote(p))]
    incoming.body = "&".join(kept).encode("utf-8")


_indexed_arrays_dropped.needs_body = True  # type: ignore[attr-defined]


@answer_edit("errors-as-html")
def _errors_as_html(status: int, body: Any, headers: dict[str, str]) -> HTMLResponse | None:
    if status < 400:
        return None
    return HTMLResponse(f"<html><body><h1>{status}</h1></body></html>", status, headers=headers)
