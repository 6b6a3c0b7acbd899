"""HTTP Basic with the API key as user name: missing or wrong credentials get 401 on every operation."""

from __future__ import annotations

import pytest

from cbconform import contracts as contracts_module
from cbconform.api import NO_AUTH

C = contracts_module.load()
OPERATIONS = list(C.operations)
BODY = {
    "customer_id": "x",
    "personalized_offer_id": "x",
    "option_id": "x",
    "id": "x",
    "status": "completed",
    "invoice_id": "x",
}


def _rejected_401(expect, exchange, rule):
    expect.rejected(exchange, rule, (401,))
    code = (exchange.json() or {}).get("api_error_code")
    expect.that(
        code == "api_authentication_failed", rule, "api_error_code api_authentication_failed", code, exchange
    )


@pytest.mark.rule("AUTH-MISSING-KEY-401", "ERR-STATUS-TYPE-CODE")
@pytest.mark.parametrize("operation", OPERATIONS)
def test_auth_missing_key_is_401(api, expect, operation):
    _rejected_401(expect, api.call(operation, path_id="x", body=BODY, auth=NO_AUTH), "AUTH-MISSING-KEY-401")


@pytest.mark.rule("AUTH-BASIC-KEY-AS-USER")
@pytest.mark.parametrize("operation", OPERATIONS)
def test_auth_key_as_user_name_is_accepted(api, expect, operation):
    """Whatever else the answer says about this body, it is not that the credentials are wrong."""
    exchange = api.call(operation, path_id="cbconform_unknown_0001", body=BODY)
    expect.that(
        exchange.status != 401,
        "AUTH-BASIC-KEY-AS-USER",
        "the API key as Basic user name, empty password, is accepted",
        f"HTTP {exchange.status}",
        exchange,
    )


@pytest.mark.rule("AUTH-WRONG-KEY-401", "ERR-STATUS-TYPE-CODE")
@pytest.mark.parametrize(
    "credentials", [("cbconform_wrong_key", ""), ("", "")], ids=["wrong key", "empty key"]
)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_auth_wrong_key_is_401(api, expect, operation, credentials):
    _rejected_401(expect, api.call(operation, path_id="x", body=BODY, auth=credentials), "AUTH-WRONG-KEY-401")
