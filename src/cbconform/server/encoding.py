"""Reading requests: the body in either documented encoding, and the documented headers, validated
against the contracts. Every failure is an ApiError, never an exception that escapes."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any
from urllib.parse import unquote

import qs_codec
from starlette.requests import Request

from cbconform.contracts import Contracts, Violation
from cbconform.server.errors import ApiError, invalid

MAX_BODY = 1 << 20
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
QS_OPTIONS = qs_codec.DecodeOptions(depth=5, parameter_limit=1000, list_limit=100)


def param_of(violation: Violation) -> str | None:
    """The offending parameter in Chargebee's bracket form: request_context[timezone], roles[0]."""
    parts = [p for p in violation.path.split("/") if p]
    if violation.field and (not parts or parts[-1] != violation.field):
        parts.append(violation.field)
    if not parts:
        return None
    return parts[0] + "".join(f"[{p}]" for p in parts[1:])


def media_type(request: Request) -> str | None:
    value = request.headers.get("content-type")
    return value.split(";", 1)[0].strip().lower() if value else None


async def read_body(
    request: Request, contracts: Contracts, json_allowed: bool, faults: frozenset[str] = frozenset()
) -> Any:
    """The parameters; `faults` names the ways a faulty server reads bodies wrong (see faults.toml)."""
    kind = media_type(request) or ("" if "missing-content-type-refused" in faults else FORM)
    if "unsupported-content-type-accepted" in faults and kind not in (JSON, ""):
        kind = FORM
    if kind not in (FORM, JSON) or contracts.validate_header("content-type", kind):
        status = 415 if contracts.readings["AMB-UNSUPPORTED-CONTENT-TYPE"] == "415" else 400
        message = f"Content-Type {kind} is not supported: send {FORM} or {JSON}."
        raise ApiError(status, "invalid_request", message, "content-type")
    raw = await _raw(request)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("The request body is not valid UTF-8.", code="invalid_request") from None
    if kind == JSON:
        if not json_allowed:
            raise invalid(
                "This site accepts form-encoded bodies only.", "content-type", code="invalid_request"
            )
        return _json_object(text, faults)
    return _form(text, faults)


async def _raw(request: Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise invalid(f"The request body is larger than {MAX_BODY} bytes.", code="invalid_request")
        chunks.append(chunk)
    return b"".join(chunks)


def _json_object(text: str, faults: frozenset[str]) -> Any:
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        if "truncated-json-crashes" in faults:
            raise RuntimeError("JSON decoding failed") from None
        raise invalid("The request body is not valid JSON.", code="invalid_request") from None
    if not isinstance(value, dict) and "non-object-json-crashes" not in faults:
        raise invalid("The JSON request body must be an object of parameters.", code="invalid_request")
    return value


def _form(text: str, faults: frozenset[str]) -> dict[str, Any]:
    if "indexed-arrays-dropped" in faults:
        text = "&".join(p for p in text.split("&") if not re.match(r"[^=\[]+\[\d+\]", unquote(p)))
    try:
        value = qs_codec.decode(text, QS_OPTIONS)
    except Exception:  # qs_codec raises assorted errors on hostile input; all mean a bad body
        raise invalid("The form body could not be parsed.", code="invalid_request") from None
    return value if isinstance(value, dict) else {}


def check_headers(request: Request, contracts: Contracts, names: tuple[str, ...]) -> None:
    for name in names:
        value = request.headers.get(name)
        if name == "content-type" or value is None:
            continue
        violations = contracts.validate_header(name, value)
        if violations:
            raise invalid(f"Header {name} has an invalid value: {violations[0].message}", name)


def check_params(params: dict[str, Any], contracts: Contracts, schema: str) -> None:
    violations = contracts.validate(schema, params)
    if violations:
        first = min(violations, key=lambda v: v.path)
        param = param_of(first)
        code = "invalid_request" if "required" in first.message else "param_wrong_value"
        raise ApiError(400, code, f"{param or 'body'}: {first.message}", param)


def origin_user(request: Request, prefer_plain: bool = False) -> tuple[str | None, str | None]:
    """The recorded origin user and which header it came from; -user-encoded wins when present."""
    encoded = request.headers.get("chargebee-request-origin-user-encoded")
    plain = request.headers.get("chargebee-request-origin-user")
    if encoded and not (prefer_plain and plain):
        try:
            return base64.b64decode(encoded, validate=True).decode("utf-8"), "user-encoded"
        except (binascii.Error, UnicodeDecodeError):
            return None, None
    return (plain, "user") if plain else (None, None)
