"""POST /personalized_offers: the response contract, the empty answer, and every request rule."""

from __future__ import annotations

import pytest
from hypothesis import given

from cbconform.checks import not_applicable
from cbconform.generation import example, valid_bodies
from cbconform.suitekit import from_facts, judge_case, needs, schema_rules

RESPONSE_RULES = schema_rules(
    "personalized_offers_response.json",
    extra=("PO-RESPONSE-STATUS-200", "AUTH-BASIC-KEY-AS-USER", "ENC-RESPONSE-JSON"),
)
SCHEMA = "requests/personalized_offers.json"


def full_body(contracts, target) -> dict:
    return example(contracts.schemas[SCHEMA]) | {"customer_id": target.customer_id}


@RESPONSE_RULES
@pytest.mark.rule(
    "ENC-FORM-BRACKETS", "POREQ-ROLES-ARRAY", "POREQ-CUSTOM-OBJECT", "POREQ-REQUEST-CONTEXT-OBJECT"
)
@pytest.mark.parametrize("encoding", ["form", "json"])
def test_personalized_offers_fetch_known_customer_conforms(
    api, expect, target, contracts, coverage, encoding
):
    body = full_body(contracts, target)
    exchange = expect.accepted(
        api.call("personalized_offers", body=body, encoding=encoding), "PO-RESPONSE-STATUS-200"
    )
    for offer in exchange.json()["personalized_offers"]:
        for option in offer["options"]:
            coverage.enum("PO-OPTION-PROCESSING-TYPE-ENUM", option["processing_type"])
            coverage.enum("PO-OPTION-PROCESSING-LAYOUT-ENUM", option["processing_layout"])


@RESPONSE_RULES
@pytest.mark.rule("PO-EMPTY-WHEN-NONE")
def test_personalized_offers_fetch_customer_without_offers_is_empty(api, expect, target):
    exchange = api.call("personalized_offers", body={"customer_id": target.customer_without_offers})
    expect.accepted(exchange, "PO-EMPTY-WHEN-NONE")
    offers = exchange.json().get("personalized_offers")
    expect.that(offers == [], "PO-EMPTY-WHEN-NONE", "an empty personalized_offers list", offers, exchange)


@pytest.mark.rule("PO-OPTIONS-ACCEPTABLE", "CRT-STATUS-202")
@from_facts("processing_type", "processing_types")
def test_personalized_offers_option_is_acceptable(create, processing_type):
    create(processing_type, reuse=True)


@pytest.mark.rule("ENC-JSON-ACCEPTED")
def test_personalized_offers_json_body_accepted(api, expect, target, contracts):
    if contracts.reading("AMB-REQUEST-ENCODING").value != "both":
        not_applicable("AMB-REQUEST-ENCODING=form-only: JSON bodies are not required")
    expect.accepted(
        api.call("personalized_offers", body={"customer_id": target.customer_id}, encoding="json"),
        "ENC-JSON-ACCEPTED",
    )


@RESPONSE_RULES
@pytest.mark.rule("POREQ-STRING-TYPES", "POREQ-CUSTOM-OBJECT", "POREQ-ROLES-ARRAY")
@pytest.mark.parametrize("encoding", ["form", "json"])
def test_personalized_offers_generated_valid_request_accepted(api, expect, target, contracts, encoding):
    @given(body=valid_bodies(contracts, SCHEMA, {"customer_id": target.customer_id}))
    def run(body):
        expect.accepted(
            api.call("personalized_offers", body=body, encoding=encoding), "PO-RESPONSE-STATUS-200"
        )

    run()


@pytest.mark.rule("POREQ-CUSTOM-OBJECT")
@pytest.mark.parametrize("encoding", ["form", "json"])
def test_personalized_offers_custom_takes_any_keys(api, expect, target, encoding):
    custom = {"plan": "annual", "cbconform_attribute": "any value", "x_1": "1"}
    body = {"customer_id": target.customer_id, "custom": custom}
    expect.accepted(api.call("personalized_offers", body=body, encoding=encoding), "POREQ-CUSTOM-OBJECT")


def test_personalized_offers_request_case(api, expect, target, contracts, coverage, po_case, encoding):
    body = po_case.apply(full_body(contracts, target))
    exchange = api.call("personalized_offers", body=body, encoding=encoding)
    judge_case(expect, coverage, "personalized_offers", po_case, exchange)


@pytest.mark.rule("POREQ-SUBSCRIPTION-ID-MULTI-BRAND")
def test_personalized_offers_multi_brand_site_requires_subscription_id(api, expect, target, admin, contracts):
    needs(admin, contracts, "multi-brand")
    exchange = api.call("personalized_offers", body={"customer_id": target.customer_id})
    expect.rejected(exchange, "POREQ-SUBSCRIPTION-ID-MULTI-BRAND", param="subscription_id")
