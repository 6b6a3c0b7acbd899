"""POST /orders (deprecated): served as documented, or withdrawn, as AMB-ORDERS-DEPRECATED reads it."""

from __future__ import annotations

import pytest

from cbconform.checks import not_applicable
from cbconform.checks.responses import omitted_defaults
from cbconform.generation import example, unique_id
from cbconform.suitekit import from_contracts, judge_case, schema_rules

SCHEMA = "requests/create_order.json"
RESPONSE_RULES = schema_rules("order_response.json", extra=("ORD-STATUS-200", "ORD-DEPRECATED"))
REFERENCES = ("invoice_id",)


def _resource_only_statuses(contracts) -> list[str]:
    resource = contracts.schemas["order.json"]["properties"]["status"]["enum"]
    return sorted(set(resource) - set(contracts.schemas[SCHEMA]["properties"]["status"]["enum"]))


@pytest.fixture
def served(contracts):
    if contracts.reading("AMB-ORDERS-DEPRECATED").value == "withdrawn":
        not_applicable(
            "AMB-ORDERS-DEPRECATED=withdrawn: the order rules apply only where the endpoint is served"
        )


def full_body(contracts, target) -> dict:
    return example(contracts.schemas[SCHEMA]) | {"invoice_id": target.invoice_id, "id": unique_id("ord-", 24)}


@RESPONSE_RULES
@pytest.mark.rule("ORD-ECHOES-REQUEST", "ORD-ID-ECHOED")
@pytest.mark.parametrize("encoding", ["form", "json"])
def test_order_create_full_body_conforms(api, expect, target, contracts, coverage, served, encoding):
    body = full_body(contracts, target)
    exchange = api.call("create_order", body=body, encoding=encoding)
    order = _order(exchange)
    coverage.enum("ORD-RES-STATUS-ENUM", order.get("status"))
    differs = {k: (v, order.get(k)) for k, v in body.items() if k != "id" and order.get(k) != v}
    with expect.gathered():
        expect.accepted(exchange, "ORD-STATUS-200", "ORD-DEPRECATED")  # served: it behaves as documented
        expect.that(order.get("id") == body["id"], "ORD-ID-ECHOED", body["id"], order.get("id"), exchange)
        expect.that(not differs, "ORD-ECHOES-REQUEST", "every given field echoed", differs, exchange)


def _order(exchange) -> dict:
    """The order of a 2xx answer, or {} (the status is judged by the caller)."""
    body = exchange.json() if 200 <= exchange.status < 300 else None
    order = body.get("order") if isinstance(body, dict) else None
    return order if isinstance(order, dict) else {}


@pytest.mark.rule("ORD-ID-GENERATED", "ORD-STATUS-DEFAULT")
def test_order_create_without_id_gets_generated_id(api, expect, target, contracts, served):
    sent = {"invoice_id": target.invoice_id}
    exchange = api.call("create_order", body=sent)
    order_id = _order(exchange).get("id")
    limit = contracts.schemas["order.json"]["properties"]["id"]["maxLength"]
    with expect.gathered():
        for name, default, rule in omitted_defaults(contracts, "create_order", sent):
            got = _order(exchange).get(name)
            expect.that(got == default, rule, f"{name} {default!r}, its documented default", got, exchange)
        expect.accepted(exchange, "ORD-STATUS-200")
        expect.that(
            isinstance(order_id, str) and 0 < len(order_id) <= limit,
            "ORD-ID-GENERATED",
            f"a generated id of 1 to {limit} characters",
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


@pytest.mark.rule("ORD-STATUS-ENUM", "ERR-PARAM-NAMES-FIELD")
@from_contracts("status", _resource_only_statuses)
def test_order_create_resource_only_status_is_rejected(api, expect, target, coverage, served, status):
    """A status an order can reach but a create may not request: the likeliest slip."""
    coverage.enum("ORD-STATUS-ENUM", status)
    exchange = api.call("create_order", body={"invoice_id": target.invoice_id, "status": status})
    expect.rejected(exchange, "ORD-STATUS-ENUM", param="status")


@pytest.mark.rule("ORD-DEPRECATED")
def test_order_create_withdrawn_is_refused(api, expect, target, contracts):
    if contracts.reading("AMB-ORDERS-DEPRECATED").value != "withdrawn":
        not_applicable("AMB-ORDERS-DEPRECATED=served: the endpoint is checked as documented instead")
    exchange = api.call("create_order", body={"invoice_id": target.invoice_id})
    expect.rejected(exchange, "ORD-DEPRECATED", range(400, 500))


def test_order_request_case(api, expect, target, contracts, coverage, served, order_case, encoding):
    body = order_case.apply(full_body(contracts, target))
    if order_case.path == ("id",) and order_case.kind == "at-max":
        body["id"] = unique_id("ord-", order_case.max_length)
    exchange = api.call("create_order", body=body, encoding=encoding)
    judge_case(expect, coverage, "create_order", order_case, exchange, REFERENCES)
