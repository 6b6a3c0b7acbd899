"""chargebee-idempotency-key: a replay returns the first answer flagged as such and creates nothing;
the same key with another payload is refused; a fresh answer carries no replayed header."""

from __future__ import annotations

import pytest

from cbconform.generation import unique_id
from cbconform.suitekit import needs, option_of

REPLAYED = "chargebee-idempotency-replayed"


@pytest.fixture(autouse=True)
def _idempotency(admin, contracts):
    needs(admin, contracts, "idempotency")


@pytest.mark.rule("IDEM-REPLAY", "IDEM-REPLAYED-HEADER-ABSENT")
@pytest.mark.parametrize("encoding", ["form", "json"])
def test_idempotency_replay_returns_first_answer(api, expect, offer, facts, encoding):
    body = {"personalized_offer_id": offer["id"], "option_id": option_of(offer, facts.waiting[0])["id"]}
    key = {"chargebee-idempotency-key": unique_id("idem-", 40)}
    first = expect.accepted(
        api.call("create_offer_fulfillment", body=body, headers=key, encoding=encoding), "CRT-STATUS-202"
    )
    again = api.call("create_offer_fulfillment", body=body, headers=key, encoding=encoding)
    expect.conforms(again, replay=True)
    expect.that(
        again.response_headers.get(REPLAYED) == "true",
        "IDEM-REPLAY",
        f"{REPLAYED}: true",
        again.response_headers.get(REPLAYED),
        again,
    )
    expect.that(
        (again.status, again.json()) == (first.status, first.json()),
        "IDEM-REPLAY",
        f"HTTP {first.status} with the first body",
        f"HTTP {again.status} {again.json()}",
        again,
    )


@pytest.mark.rule("IDEM-CONFLICT-422")
def test_idempotency_key_reused_with_other_payload_is_422(api, expect, offer, facts):
    key = {"chargebee-idempotency-key": unique_id("idem-", 40)}
    one, another = facts.waiting[0], facts.waiting[-1]
    first = {"personalized_offer_id": offer["id"], "option_id": option_of(offer, one)["id"]}
    other = first | {"option_id": option_of(offer, another)["id"]}
    expect.accepted(api.call("create_offer_fulfillment", body=first, headers=key), "CRT-STATUS-202")
    exchange = api.call("create_offer_fulfillment", body=other, headers=key)
    expect.rejected(exchange, "IDEM-CONFLICT-422", (422,))
    code = (exchange.json() or {}).get("api_error_code")
    expect.that(
        code == "unable_to_process_request",
        "IDEM-CONFLICT-422",
        "api_error_code unable_to_process_request",
        code,
        exchange,
    )


@pytest.mark.rule("IDEM-REPLAYED-HEADER-ABSENT")
@pytest.mark.parametrize("with_key", [False, True])
def test_idempotency_fresh_answer_has_no_replayed_header(api, expect, target, with_key):
    headers = {"chargebee-idempotency-key": unique_id("idem-", 40)} if with_key else None
    expect.accepted(
        api.call("personalized_offers", body={"customer_id": target.customer_id}, headers=headers),
        "PO-RESPONSE-STATUS-200",
    )
