"""The documented request headers: valid values accepted and invalid ones refused on every operation
that takes them; -user-encoded over -user; and what the chargebee-event-* headers skip."""

from __future__ import annotations

import base64

import pytest

from cbconform.checks import not_applicable
from cbconform.generation import header_cases, unique_id
from cbconform.suitekit import from_contracts, needs, option_of


def _params(contracts):
    for case in header_cases(contracts):
        for op in contracts.operations.values():
            if case.header in op.headers:
                yield pytest.param(case, op.id, id=f"{op.id}-{case.label}", marks=pytest.mark.rule(case.rule))


def request_for(operation, create, offer, target, facts):
    """kwargs of a valid request to `operation` that a header can be added to."""
    first, second = facts.waiting[0], facts.waiting[-1]
    if operation == "personalized_offers":
        return {"body": {"customer_id": target.customer_id}}
    if operation == "create_offer_fulfillment":
        return {"body": {"personalized_offer_id": offer["id"], "option_id": option_of(offer, second)["id"]}}
    if operation == "create_order":
        return {"body": {"invoice_id": target.invoice_id, "id": unique_id("ord", 30)}}
    fulfillment = create(first, reuse=operation == "retrieve_offer_fulfillment")
    if operation == "retrieve_offer_fulfillment":
        return {"path_id": fulfillment["id"]}
    return {"path_id": fulfillment["id"], "body": {"id": fulfillment["id"], "status": facts.completed}}


@from_contracts(("case", "operation"), lambda c: list(_params(c)))
def test_headers_value_on_operation(
    api, expect, create, offer, target, admin, contracts, facts, case, operation
):
    if case.header == "chargebee-idempotency-key":
        needs(admin, contracts, "idempotency")
    if operation == "create_order" and contracts.reading("AMB-ORDERS-DEPRECATED").value == "withdrawn":
        not_applicable("AMB-ORDERS-DEPRECATED=withdrawn: POST /orders is not served")
    exchange = api.call(
        operation, headers={case.header: case.fresh()}, **request_for(operation, create, offer, target, facts)
    )
    if case.valid:
        expect.accepted(exchange, case.rule)
    else:
        expect.rejected(exchange, case.rule, param=case.header)


def _encoded(email: str) -> str:
    return base64.b64encode(email.encode()).decode()


@pytest.mark.rule("HDR-ORIGIN-USER-ENCODED-PRECEDENCE")
def test_headers_origin_user_encoded_takes_precedence(api, expect, offer, admin, contracts, facts):
    needs(admin, contracts, "event-log")
    option = option_of(offer, facts.waiting[0])
    body = {"personalized_offer_id": offer["id"], "option_id": option["id"]}
    headers = {
        "chargebee-request-origin-user": "plain@example.com",
        "chargebee-request-origin-user-encoded": _encoded("jürgen@example.com"),
    }
    exchange = expect.accepted(
        api.call("create_offer_fulfillment", body=body, headers=headers), "CRT-STATUS-202"
    )
    event = admin.events(exchange.json()["offer_fulfillment"]["id"])[0]
    expect.that(
        event["origin"]["user"] == "jürgen@example.com",
        "HDR-ORIGIN-USER-ENCODED-PRECEDENCE",
        "the -user-encoded email (jürgen@example.com)",
        event["origin"]["user"],
        exchange,
    )


SKIPS = [
    ("chargebee-event-actions", "HDR-EVENT-ACTIONS-SKIPS", {"webhook", "email", "slack", "segment"}),
    ("chargebee-event-email", "HDR-EVENT-EMAIL-SKIPS", {"email"}),
    ("chargebee-event-webhook", "HDR-EVENT-WEBHOOK-SKIPS", {"webhook"}),
]


@pytest.mark.parametrize(
    ("header", "rule", "skipped"), [pytest.param(*s, id=s[0], marks=pytest.mark.rule(s[1])) for s in SKIPS]
)
@pytest.mark.parametrize("step", ["create", "update"])
def test_headers_event_switch_skips_actions(
    api, expect, offer, admin, contracts, facts, header, rule, skipped, step
):
    needs(admin, contracts, "event-log")
    option = option_of(offer, facts.waiting[-1])
    body = {"personalized_offer_id": offer["id"], "option_id": option["id"]}
    switch = {header: "all-disabled"}
    created = expect.accepted(
        api.call("create_offer_fulfillment", body=body, headers=switch if step == "create" else None),
        "CRT-STATUS-202",
    )
    fulfillment_id = created.json()["offer_fulfillment"]["id"]
    if step == "update":
        expect.accepted(
            api.call(
                "update_offer_fulfillment",
                path_id=fulfillment_id,
                headers=switch,
                body={"id": fulfillment_id, "status": facts.completed},
            ),
            "UPD-STATUS-200",
        )
    event = admin.events(fulfillment_id)[-1]
    actually = {name for name, done in event["actions"].items() if done == "skipped"}
    expect.that(
        actually == skipped, rule, f"skipped: {sorted(skipped)}, the rest sent", event["actions"], created
    )
