"""POST /orders (deprecated): served as documented, or withdrawn, as AMB-ORDERS-DEPRECATED reads it."""

from __future__ import annotations

import pytest

from cbconform import contracts as contracts_module
from cbconform.generation import example, unique_id
from cbconform.parametrize import rules_mark
from conftest import judge_case

C = contracts_module.load()
SCHEMA = "requests/create_order.json"
RESPONSE_RULES = rules_mark(C, "order_response.json", extra=("ORD-STATUS-200", "ORD-DEPRECATED"))
REFERENCES = ("invoice_id",)


@pytest.fixture
def served(contracts):
    if contracts.reading("AMB-ORDERS-DEPRECATED").value == "withdrawn":
        pytest.skip(
            "AMB-ORDERS-DEPRECATED=withdrawn: the order rules apply only where the endpoint is served"
        )


def full_body(target) -> dict:
    return example(C.schemas[SCHEMA]) | {"invoice_id": target.invoice_id, "id": unique_id("ord-", 24)}


@RESPONSE_RULES
@pytest.mark.rule("ORD-ECHOES-REQUEST", "ORD-ID-ECHOED")
@pytest.mark.parametrize("encoding", ["form", "json"])
def test_order_create_full_body_conforms(api, expect, target, coverage, served, encoding):
    body = full_body(target)
    exchange = expect.accepted(api.call("create_order", body=body, encoding=encoding), "ORD-STATUS-200")
    order = exchange.json()["order"]
    coverage.enum("ORD-RES-STATUS-ENUM", order.get("status"))
    differs = {k: (v, order.get(k)) for k, v in body.items() if order.get(k) != v}
    expect.that(not differs, "ORD-ECHOES-REQUEST", "every given field echoed", differs, exchange)


@pytest.mark.rule("ORD-ID-GENERATED")
def test_order_create_without_id_gets_generated_id(api, expect, target, served):
    exchange = expect.accepted(
        api.call("create_order", body={"invoice_id": target.invoice_id}), "ORD-STATUS-200"
    )
    order_id = exchange.json()["order"].get("id")
    expect.that(
        isinstance(order_id, str) and 0 < len(order_id) <= 40,
        "ORD-ID-GENERATED",
        "a generated id of 1 to 40 characters",
        order_id,
        exchange,
    )


@pytest.mark.rule("ORD-DUPLICATE-ID")
def test_order_create_duplicate_id_is_refused(api, expect, target, served):
    body = {"invoice_id": target.invoice_id, "id": unique_id("dup-", 30)}
    expect.accepted(api.call("create_order", body=body), "ORD-STATUS-200")
    exchange = api.call("create_order", body=body)
    expect.rejected(exchange, "ORD-DUPLICATE-ID", (400,), param="id")
    code = (exchange.json() or {}).get("api_error_code")
    expect.that(
        code == "duplicate_entry", "ORD-DUPLICATE-ID", "api_error_code duplicate_entry", code, exchange
    )


@pytest.mark.rule("ORD-DEPRECATED")
def test_order_create_withdrawn_is_refused(api, expect, target, contracts):
    if contracts.reading("AMB-ORDERS-DEPRECATED").value != "withdrawn":
        pytest.skip("AMB-ORDERS-DEPRECATED=served: the endpoint is checked as documented instead")
    exchange = api.call("create_order", body={"invoice_id": target.invoice_id})
    expect.rejected(exchange, "ORD-DEPRECATED", range(400, 500))


def test_order_request_case(api, expect, target, coverage, served, order_case, encoding):
    body = order_case.apply(full_body(target))
    if order_case.path == ("id",) and order_case.kind == "at-max":
        body["id"] = unique_id("ord-", order_case.max_length)
    exchange = api.call("create_order", body=body, encoding=encoding)
    judge_case(expect, coverage, "create_order", order_case, exchange, REFERENCES)
