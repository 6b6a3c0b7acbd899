"""POST /offer_fulfillments: 202, the resource contract per processing type, hosted pages, unknown ids,
the accepted event, and every request rule."""

from __future__ import annotations

import pytest

from cbconform.suitekit import from_facts, judge_case, needs, option_of, schema_rules

RESPONSE_RULES = schema_rules(
    "offer_fulfillment_response.json", extra=("CRT-STATUS-202", "ENC-WRAPPED-RESOURCE")
)
REFERENCES = ("personalized_offer_id", "option_id")


@RESPONSE_RULES
@pytest.mark.rule(
    "CRT-INITIAL-STATUS", "OF-ECHOES-ACCEPTED-OPTION", "CRT-HOSTED-PAGE-FOR-CHECKOUT", "ENC-JSON-ACCEPTED"
)
@pytest.mark.parametrize("encoding", ["json", "form"])
@from_facts("processing_type", "processing_types")
def test_fulfillment_create_each_processing_type_conforms(
    api, expect, offer, coverage, contracts, facts, processing_type, encoding
):
    option = option_of(offer, processing_type)
    body = {"personalized_offer_id": offer["id"], "option_id": option["id"]}
    promise = "ENC-JSON-ACCEPTED" if encoding == "json" else "CRT-STATUS-202"
    exchange = expect.accepted(api.call("create_offer_fulfillment", body=body, encoding=encoding), promise)
    answer = exchange.json()
    fulfillment = answer["offer_fulfillment"]
    coverage.enum("OF-PROCESSING-TYPE-ENUM", fulfillment["processing_type"])
    coverage.enum("OF-STATUS-ENUM", fulfillment["status"])
    echoed = {k: fulfillment.get(k) for k in ("personalized_offer_id", "option_id", "processing_type")}
    wanted = body | {"processing_type": processing_type}
    expect.that(echoed == wanted, "OF-ECHOES-ACCEPTED-OPTION", str(wanted), echoed, exchange)
    either = contracts.readings["AMB-URL-REDIRECT-IMMEDIATE"] == "either"
    at_once = either and processing_type == facts.redirecting
    allowed = {facts.pending} | ({facts.completed} if at_once else set())
    expect.that(
        fulfillment["status"] in allowed,
        "CRT-INITIAL-STATUS",
        f"status in {sorted(allowed)}",
        fulfillment["status"],
        exchange,
    )
    if processing_type == facts.checkout:
        expect.that(
            "hosted_page" in answer, "CRT-HOSTED-PAGE-FOR-CHECKOUT", "a hosted_page", "none", exchange
        )


@pytest.mark.rule("CRT-UNKNOWN-OFFER-404")
@pytest.mark.parametrize("unknown", ["personalized_offer_id", "option_id"])
def test_fulfillment_create_unknown_reference_refused(api, expect, offer, contracts, unknown):
    body = {"personalized_offer_id": offer["id"], "option_id": offer["options"][0]["id"]}
    body[unknown] = "cbconform_unknown_0001"
    statuses = contracts.reading("AMB-UNKNOWN-IDS").value
    expect.rejected(api.call("create_offer_fulfillment", body=body), "CRT-UNKNOWN-OFFER-404", statuses)


@pytest.mark.rule("CRT-ACCEPTED-EVENT")
def test_fulfillment_create_records_accepted_event(create, admin, contracts, facts, expect):
    needs(admin, contracts, "event-log")
    fulfillment = create(facts.waiting[0])
    kinds = [e["type"] for e in admin.events(fulfillment["id"])]
    expect.that(kinds[:1] == ["accepted"], "CRT-ACCEPTED-EVENT", "an accepted event at once", kinds, None)


def test_fulfillment_create_request_case(api, expect, offer, coverage, facts, create_case, encoding):
    base = {"personalized_offer_id": offer["id"], "option_id": option_of(offer, facts.waiting[0])["id"]}
    exchange = api.call("create_offer_fulfillment", body=create_case.apply(base), encoding=encoding)
    judge_case(expect, coverage, "create_offer_fulfillment", create_case, exchange, REFERENCES)
