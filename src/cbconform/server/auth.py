"""HTTP Basic auth with the API key as user name and an empty password."""

from __future__ import annotations

import base64
import binascii
import secrets
from functools import lru_cache

from starlette.requests import Request

from cbconform.server.errors import ApiError


def check(request: Request, state) -> None:
    user = _basic_user(request.headers.get("authorization", ""))
    if user and secrets.compare_digest(user, state.api_key_bytes):
        return
    raise ApiError(
        401, "api_authentication_failed", "Sorry, authentication failed. Invalid or missing API key."
    )


@lru_cache(maxsize=256)
def _basic_user(header: str) -> bytes:
    """The user name of a Basic Authorization header, b"" for any other; a client sends the same header
    every time, so it is decoded once."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return b""
    try:
        user, _, _password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return b""
    return user.encode()
