"""Chargebee-shaped error answers. The status goes with the `type` of contracts/errors.toml."""

from __future__ import annotations

from functools import cache
from typing import Any

from cbconform import contracts
from cbconform.server.jsonio import JSONAnswer


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, param: str | None = None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.param = status, code, message, param
        self.headers = headers or {}


@cache
def _type_of(status: int) -> str:
    row = contracts.load().error_row(status)
    return row.type if row else "invalid_request"


def error_body(status: int, code: str, message: str, param: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message": message,
        "type": _type_of(status),
        "api_error_code": code,
    }
    if param:
        body["param"] = param
    body |= {"http_status_code": status, "error_code": code, "error_msg": message}
    return body


def error_response(error: ApiError) -> JSONAnswer:
    return JSONAnswer(
        error_body(error.status, error.code, error.message, error.param), error.status, headers=error.headers
    )


def invalid(message: str, param: str | None = None, code: str = "param_wrong_value") -> ApiError:
    return ApiError(400, code, message, param)


def not_found(message: str, param: str | None = None) -> ApiError:
    return ApiError(404, "resource_not_found", message, param)


def wrong_state(message: str) -> ApiError:
    return ApiError(409, "invalid_state_for_request", message)
