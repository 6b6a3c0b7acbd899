"""HTTP Basic auth with the API key as user name and an empty password."""

from __future__ import annotations

import base64
import binascii
import secrets

from starlette.requests import Request

from cbconform.server.errors import ApiError


def check(request: Request, state) -> None:
    faulty = state.config.faulty
    header = request.headers.get("authorization", "")
    if not header and faulty("no-auth"):
        return
    scheme, _, encoded = header.partition(" ")
    try:
        user, _, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        user = password = ""
    if faulty("key-expected-as-password"):
        user = password
    if (
        scheme.lower() == "basic"
        and user
        and (
            faulty("any-key-accepted") or secrets.compare_digest(user.encode(), state.config.api_key.encode())
        )
    ):
        return
    raise ApiError(
        401, "api_authentication_failed", "Sorry, authentication failed. Invalid or missing API key."
    )
