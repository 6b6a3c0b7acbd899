"""HTTP Basic with the API key as user name: missing or wrong credentials get 401 on every operation."""

from __future__ import annotations

import pytest

from cbconform.api import NO_AUTH
from cbconform.suitekit import example_body, from_contracts

EACH_OPERATION = from_contracts("operation", lambda c: list(c.operations))


def _rejected_401(expect, exchange, rule):
    expect.rejected(exchange, rule, (401,))
    code = (exchange.json() or {}).get("api_error_code")
    expect.that(
        code == "api_authentication_failed", rule, "api_error_code api_authentication_failed", code, exchange
    )


@pytest.mark.rule("AUTH-MISSING-KEY-401", "ERR-STATUS-TYPE-CODE")
@EACH_OPERATION
def test_auth_missing_key_is_401(api, expect, contracts, operation):
    exchange = api.call(operation, path_id="x", body=example_body(contracts, operation), auth=NO_AUTH)
    _rejected_401(expect, exchange, "AUTH-MISSING-KEY-401")


@pytest.mark.rule("AUTH-BASIC-KEY-AS-USER")
@EACH_OPERATION
def test_auth_key_as_user_name_is_accepted(api, expect, contracts, operation):
    """Whatever else the answer says about this body, it is not that the credentials are wrong."""
    body = example_body(contracts, operation)
    exchange = api.call(operation, path_id="cbconform_unknown_0001", body=body)
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
@EACH_OPERATION
def test_auth_wrong_key_is_401(api, expect, contracts, operation, credentials):
    exchange = api.call(operation, path_id="x", body=example_body(contracts, operation), auth=credentials)
    _rejected_401(expect, exchange, "AUTH-WRONG-KEY-401")
