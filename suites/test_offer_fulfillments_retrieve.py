"""GET /offer_fulfillments/{id}: 200, the fulfillment create returned, 404 for an unknown id."""

from __future__ import annotations

import pytest

from cbconform.suitekit import from_facts, schema_rules

RESPONSE_RULES = schema_rules("offer_fulfillment_response.json", extra=("RET-STATUS-200",))
STABLE = ("id", "personalized_offer_id", "option_id", "processing_type", "created_at")


@RESPONSE_RULES
@pytest.mark.rule("RET-RETURNS-CREATED")
@from_facts("processing_type", "processing_types")
def test_fulfillment_retrieve_returns_created(api, expect, create, processing_type):
    created = create(processing_type, reuse=True)
    exchange = expect.accepted(
        api.call("retrieve_offer_fulfillment", path_id=created["id"]), "RET-STATUS-200"
    )
    got = exchange.json()["offer_fulfillment"]
    differs = {k: (created.get(k), got.get(k)) for k in STABLE if created.get(k) != got.get(k)}
    expect.that(not differs, "RET-RETURNS-CREATED", "the created fulfillment", differs, exchange)


@pytest.mark.rule("RET-UNKNOWN-ID-404")
def test_fulfillment_retrieve_unknown_id_404(api, expect):
    expect.rejected(
        api.call("retrieve_offer_fulfillment", path_id="cbconform_unknown_0001"), "RET-UNKNOWN-ID-404", (404,)
    )


@pytest.mark.rule("RET-PATH-ID")
@pytest.mark.parametrize("operation", ["retrieve_offer_fulfillment", "update_offer_fulfillment"])
def test_fulfillment_path_id_overlong_is_4xx(api, expect, facts, operation):
    long_id = "f" * (facts.id_limit + 1)
    exchange = api.call(operation, path_id=long_id, body={"id": long_id, "status": facts.completed})
    expect.rejected(exchange, "RET-PATH-ID", range(400, 500))
