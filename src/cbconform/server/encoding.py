"""Reading requests: the body in either documented encoding, and the documented headers, validated
against the contracts. Every failure is an ApiError, never an exception that escapes."""

from __future__ import annotations

import base64
import binascii
import json
import re
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus, unquote_to_bytes

import qs_codec
from starlette.requests import Request

from cbconform.contracts import Contracts, Violation
from cbconform.server.errors import ApiError, invalid

MAX_BODY = 1 << 20
MAX_DEPTH = 32  # JSON nesting; the documented parameters nest two levels
MAX_ITEMS = 1000  # parameters in a form, items in a JSON array: validation time grows with them
MAX_VALUES = 10 * MAX_ITEMS  # values in a whole JSON body
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
QS_OPTIONS = qs_codec.DecodeOptions(depth=5, parameter_limit=MAX_ITEMS, list_limit=100)
MEDIA_TYPE = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+/[!#$%&'*+.^_`|~0-9a-z-]+")
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
PLAIN_NAME = re.compile(r"[A-Za-z0-9_-]+")
BRACKET = re.compile(r"[\[\]]|%5[bBdD]")


def param_of(violation: Violation) -> str | None:
    """The offending parameter in Chargebee's bracket form: request_context[timezone], roles[0]."""
    parts = [p for p in violation.path.split("/") if p]
    if violation.field and (not parts or parts[-1] != violation.field):
        parts.append(violation.field)
    if not parts:
        return None
    return parts[0] + "".join(f"[{p}]" for p in parts[1:])


def media_type(request: Request) -> str | None:
    """The media type of the body; "" when the header is there but cannot be parsed."""
    value = request.headers.get("content-type")
    if value is None:
        return None
    kind = value.split(";", 1)[0].strip().lower()
    return kind if MEDIA_TYPE.fullmatch(kind) else ""


async def read_body(request: Request, contracts: Contracts, json_allowed: bool, hooks, operation: str) -> Any:
    """The parameters, read as the Content-Type says (form when it is absent)."""
    kind = media_type(request)
    kind = FORM if kind is None else kind
    if kind not in (FORM, JSON) or header_violations(contracts, "content-type", kind):
        shown = f"Content-Type {kind}" if kind else "The Content-Type header"
        raise ApiError(
            unsupported_status(contracts),
            "invalid_request",
            f"{shown} is not supported: send {FORM} or {JSON}.",
            "content-type",
        )
    raw = await read_raw(request, too_large_status(contracts))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("The request body is not valid UTF-8.", code="invalid_request") from None
    if kind == JSON:
        if not json_allowed:
            raise invalid(
                "This site accepts form-encoded bodies only.", "content-type", code="invalid_request"
            )
        return _json_object(text, hooks, operation)
    return _form(text)


def unsupported_status(contracts: Contracts) -> int:
    return 415 if contracts.readings.get("AMB-UNSUPPORTED-CONTENT-TYPE") == "415" else 400


async def read_raw(request: Request, status: int = 413) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise too_large(status)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise too_large(status)
        chunks.append(chunk)
    return b"".join(chunks)


def too_large_status(contracts: Contracts) -> int:
    """413 under AMB-REQUEST-TOO-LARGE's default reading, else the documented 400."""
    return 413 if contracts.readings.get("AMB-REQUEST-TOO-LARGE") == "413" else 400


def too_large(status: int = 413) -> ApiError:
    code = "request_too_large" if status == 413 else "invalid_request"
    return ApiError(status, code, f"The request body is larger than {MAX_BODY} bytes.")


def _json_object(text: str, hooks, operation: str) -> Any:
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        hooks.refuse("json-syntax", invalid("The request body is not valid JSON.", code="invalid_request"))
        raise  # no variant waives this refusal
    if not isinstance(value, dict):
        hooks.refuse(
            "json-object",
            invalid("The JSON request body must be an object of parameters.", code="invalid_request"),
            operation=operation,
        )
        return value
    _check_shape(value, bool(SURROGATE_ESCAPE.search(text)))
    return value


def _check_shape(value: Any, surrogates_possible: bool) -> None:
    """Refuses arrays longer than MAX_ITEMS, nesting deeper than MAX_DEPTH (both would make later steps
    slow or recursive) and strings holding lone surrogates, which are not Unicode."""
    todo: list[tuple[Any, str, int]] = [(value, "", 0)]
    seen = 0
    while todo:
        item, param, depth = todo.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise invalid(f"The JSON body holds more than {MAX_VALUES} values.", code="invalid_request")
        if depth > MAX_DEPTH:
            raise invalid(f"The JSON body is nested deeper than {MAX_DEPTH} levels.", code="invalid_request")
        if isinstance(item, list):
            if len(item) > MAX_ITEMS:
                raise invalid(f"{param or 'body'}: more than {MAX_ITEMS} items.", param or None)
            todo += [(child, f"{param}[{i}]", depth + 1) for i, child in enumerate(item)]
        elif isinstance(item, dict):
            for key, child in item.items():
                if surrogates_possible and not is_unicode(key):
                    raise invalid("A parameter name holds a lone surrogate.", code="invalid_request")
                todo.append((child, f"{param}[{key}]" if param else key, depth + 1))
        elif surrogates_possible and isinstance(item, str) and not is_unicode(item):
            raise invalid(f"{param or 'body'}: holds a lone surrogate, which is not Unicode.", param or None)


def is_unicode(text: str) -> bool:
    """False for a str holding a lone surrogate, which no UTF-8 can carry."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _form(text: str) -> dict[str, Any]:
    pairs = text.split("&")
    if len(pairs) > MAX_ITEMS:
        raise invalid(f"The form body has more than {MAX_ITEMS} parameters.", code="invalid_request")
    if "%" in text:  # the text itself is UTF-8 already; only percent-escapes can smuggle other bytes
        try:
            unquote_to_bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise invalid("A form value is not valid UTF-8.", code="invalid_request") from None
    flat = _flat(text)
    if flat is not None:
        return flat
    try:
        value = qs_codec.decode(text, QS_OPTIONS)
    except Exception:  # qs_codec raises assorted errors on hostile input; all mean a bad body
        raise invalid("The form body could not be parsed.", code="invalid_request") from None
    return value if isinstance(value, dict) else {}


def _flat(text: str) -> dict[str, str] | None:
    """A form of plain, distinct names (every documented operation's usual body), read as qs_codec would
    read it at a fraction of the cost; None when a name is bracketed, escaped, empty or repeated, or
    a bracket appears anywhere, escaped or not (qs_codec reads `a=]=` as the name `a=]`)."""
    if BRACKET.search(text):
        return None
    params: dict[str, str] = {}
    for part in text.split("&"):
        if part:
            name, _, value = part.partition("=")
            if name in params or not PLAIN_NAME.fullmatch(name):
                return None
            params[name] = unquote_plus(value)
    return params


@lru_cache(maxsize=4096)
def header_violations(contracts: Contracts, name: str, value: str) -> tuple[Violation, ...]:
    """A header value's violations; clients repeat the same few values, so each is validated once."""
    return tuple(contracts.validate_header(name, value))


def check_headers(request: Request, contracts: Contracts, names: tuple[str, ...]) -> None:
    for name in names:
        value = request.headers.get(name)
        if name == "content-type" or value is None:
            continue
        violations = header_violations(contracts, name, value)
        if violations:
            raise invalid(f"Header {name} has an invalid value: {violations[0].message}", name)


def check_params(params: dict[str, Any], contracts: Contracts, schema: str) -> None:
    violations = contracts.validate(schema, params)
    if violations:
        first = min(violations, key=lambda v: v.path)
        param = param_of(first)
        code = "invalid_request" if "required" in first.message else "param_wrong_value"
        raise ApiError(400, code, f"{param or 'body'}: {first.message}", param)


def origin_user(request: Request) -> tuple[str | None, str | None]:
    """The recorded origin user and which header it came from; -user-encoded wins when present."""
    encoded = request.headers.get("chargebee-request-origin-user-encoded")
    plain = request.headers.get("chargebee-request-origin-user")
    if encoded:
        try:
            return base64.b64decode(encoded, validate=True).decode("utf-8"), "user-encoded"
        except (binascii.Error, UnicodeDecodeError):
            return None, None
    return (plain, "user") if plain else (None, None)
