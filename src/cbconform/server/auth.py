"""HTTP Basic auth with the API key as user name and an empty password."""

from __future__ import annotations

import base64
import binascii
import secrets

from starlette.requests import Request

from cbconform.server.errors import ApiError


def check(request: Request, state) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    try:
        user, _, _password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        user = ""
    if scheme.lower() == "basic" and user and secrets.compare_digest(user.encode(), state.api_key_bytes):
        return
    raise ApiError(
        401, "api_authentication_failed", "Sorry, authentication failed. Invalid or missing API key."
    )
