"""Error bodies: the shape, the type values, and agreement of status, type and api_error_code with the
documented error table, across every kind of refusal the suite can provoke."""

from __future__ import annotations

import pytest

from cbconform.suitekit import schema_rules

ERROR_RULES = schema_rules(
    "error.json", extra=("ERR-STATUS-TYPE-CODE", "ERR-NO-SERVER-ERROR", "ENC-RESPONSE-JSON")
)

PROVOKE = {
    "missing parameter": lambda api: api.call("personalized_offers", body={}),
    "wrong enum": lambda api: api.call(
        "update_offer_fulfillment", path_id="x", body={"id": "x", "status": "done"}
    ),
    "unknown fulfillment": lambda api: api.call(
        "retrieve_offer_fulfillment", path_id="cbconform_unknown_0001"
    ),
    "no credentials": lambda api: api.call("personalized_offers", body={"customer_id": "x"}, auth="none"),
    "unknown endpoint": lambda api: api.raw("GET", "grow", "/cbconform_no_such_endpoint"),
    "wrong method": lambda api: api.raw("DELETE", "grow", "/personalized_offers"),
}


@ERROR_RULES
@pytest.mark.parametrize("provoke", list(PROVOKE.values()), ids=list(PROVOKE))
def test_errors_body_matches_contract_and_table(api, expect, provoke):
    exchange = provoke(api)
    expect.that(
        400 <= exchange.status < 500, "ERR-STATUS-TYPE-CODE", "a 4xx refusal", exchange.status, exchange
    )
    expect.conforms(exchange)


@pytest.mark.rule("ERR-PARAM-NAMES-FIELD")
def test_errors_param_names_the_missing_field(api, expect):
    expect.rejected(
        api.call("personalized_offers", body={"first_name": "Ada"}),
        "POREQ-CUSTOMER-ID-REQUIRED",
        param="customer_id",
    )
