"""Fixtures the suites share. The plugin (cbconform.plugin) provides `api`, `expect`, `contracts`,
`target`, `admin` and `coverage`; nothing here touches the reference server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cbconform.parametrize import request_cases
from cbconform.plugin import KEY

CASE_SCHEMAS = {
    "po_case": "requests/personalized_offers.json",
    "create_case": "requests/create_offer_fulfillment.json",
    "update_case": "requests/update_offer_fulfillment.json",
    "order_case": "requests/create_order.json",
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for argument, schema in CASE_SCHEMAS.items():
        if argument in metafunc.fixturenames:
            contracts = metafunc.config.stash[KEY].contracts
            metafunc.parametrize((argument, "encoding"), request_cases(contracts, schema))


def needs(admin, contracts, feature: str) -> None:
    if not admin.offers(feature):
        pytest.skip(contracts.needs.get(feature, f"the target does not offer {feature}"))


@pytest.fixture
def offer(api, target, expect) -> dict[str, Any]:
    exchange = expect.accepted(
        api.call("personalized_offers", body={"customer_id": target.customer_id}), "PO-RESPONSE-STATUS-200"
    )
    offers = exchange.json()["personalized_offers"]
    if not offers:
        pytest.skip(
            f"the target has no offer for customer {target.customer_id!r};"
            " set customer_id in the target configuration"
        )
    return offers[0]


def option_of(offer: dict[str, Any], processing_type: str) -> dict[str, Any]:
    for option in offer["options"]:
        if option["processing_type"] == processing_type:
            return option
    pytest.skip(f"the offer has no {processing_type} option; configure a customer whose offer has one")


@pytest.fixture
def create(api, expect, offer) -> Callable[..., dict[str, Any]]:
    """Accepts the offer's option of a processing type; returns the created fulfillment."""

    def make(
        processing_type: str, encoding: str = "json", headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        option = option_of(offer, processing_type)
        body = {"personalized_offer_id": offer["id"], "option_id": option["id"]}
        exchange = api.call("create_offer_fulfillment", body=body, encoding=encoding, headers=headers)
        expect.accepted(exchange, "CRT-STATUS-202", "PO-OPTIONS-ACCEPTABLE")
        return exchange.json()["offer_fulfillment"]

    return make


@pytest.fixture
def in_progress(create) -> Callable[[str], dict[str, Any]]:
    """A fulfillment the merchant may still update, or a skip when the target completes it at once."""

    def make(processing_type: str) -> dict[str, Any]:
        fulfillment = create(processing_type)
        if fulfillment["status"] != "in_progress":
            pytest.skip(
                f"the target completed the {processing_type} fulfillment at once (AMB-URL-REDIRECT-IMMEDIATE)"
            )
        return fulfillment

    return make


def judge_case(expect, coverage, operation: str, case, exchange, references: tuple[str, ...] = ()) -> None:
    """The verdict on one request case: valid ones accepted, invalid ones refused naming the field.

    A reference id at its maximum length names nothing on the target, so it may be refused as unknown
    (404), but never as too long."""
    if case.max_length:
        sent = case.max_length + (0 if case.valid else 1)
        coverage.boundary(f"{operation} {case.param}", case.max_length, sent)
    if case.valid and case.path[-1] in references:
        body = exchange.json()
        named = body.get("param") if isinstance(body, dict) else None
        expect.that(
            not (exchange.status == 400 and named == case.param),
            case.rule,
            f"{case.param} of {case.max_length} not refused as too long",
            f"HTTP 400 naming {named}",
            exchange,
        )
        expect.conforms(exchange)
    elif case.valid:
        expect.accepted(exchange, case.rule)
    else:
        expect.rejected(exchange, case.rule, param=case.param)
