"""The error-table check accepts every answer the official document lists for the status and fails an
undocumented status, type or api_error_code."""

from __future__ import annotations

import json

import pytest

from cbconform import contracts
from cbconform.checks.responses import error_table
from cbconform.exchange import Exchange

C = contracts.load()


def _answer(status: int, kind: str, code: str, operation: str = "create_offer_fulfillment") -> Exchange:
    body = json.dumps({"message": "m", "type": kind, "api_error_code": code})
    return Exchange("POST", "https://x/api/v2/offer_fulfillments", {}, "", status, {}, body, 1.0, operation)


@pytest.mark.parametrize(
    ("status", "kind", "code"),
    [
        (404, "untyped", "site_not_found"),
        (401, "untyped", "basic_authentication_failed"),
        (429, "operation_failed", "lock_timeout"),
        (503, "invalid_request", "site_read_only_mode"),
        (400, "payment", "payment_processing_failed"),
        (403, "operation_failed", "request_blocked"),
    ],
)
def test_documented_answers_pass(status: int, kind: str, code: str) -> None:
    assert error_table(C, _answer(status, kind, code)) == []


@pytest.mark.parametrize(
    ("status", "kind", "code", "received"),
    [
        (418, "invalid_request", "teapot", "HTTP 418"),
        (404, "operation_failed", "resource_not_found", "type 'operation_failed'"),
        (409, "invalid_request", "resource_not_found", "api_error_code 'resource_not_found'"),
    ],
)
def test_undocumented_answers_fail(status: int, kind: str, code: str, received: str) -> None:
    found = error_table(C, _answer(status, kind, code))
    assert [f.rule_id for f in found] == ["ERR-STATUS-TYPE-CODE"] and received in found[0].received


def test_a_reading_documents_415_for_unsupported_media() -> None:
    answer = _answer(415, "invalid_request", "invalid_request")
    assert error_table(C, answer)
    assert error_table(contracts.load({"AMB-UNSUPPORTED-CONTENT-TYPE": "415"}), answer) == []


def test_the_reference_server_answers_the_primary_documented_type() -> None:
    from cbconform.server.errors import error_body

    for row in C.error_table:
        body = error_body(row.status, row.codes[0], "m")
        assert body["type"] == row.type and row.type in row.types()
