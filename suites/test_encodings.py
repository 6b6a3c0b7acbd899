"""Media types and body encodings: form with bracket nesting, JSON, the Content-Type default, an
unsupported type, and bodies that do not parse."""

from __future__ import annotations

import pytest

from cbconform.checks import not_applicable
from cbconform.suitekit import from_contracts

EACH_POST = from_contracts("operation", lambda c: [o.id for o in c.operations.values() if o.method == "POST"])


@pytest.mark.rule("ENC-CONTENT-TYPE-SUPPORTED")
@pytest.mark.parametrize("media_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x"])
@EACH_POST
def test_encoding_unsupported_content_type_refused(api, expect, target, contracts, operation, media_type):
    statuses = [415] if contracts.readings["AMB-UNSUPPORTED-CONTENT-TYPE"] == "415" else range(400, 500)
    exchange = api.call(
        operation,
        path_id="cbconform_unknown_0001",
        content=f"customer_id={target.customer_id}",
        content_type=media_type,
    )
    expect.rejected(exchange, "ENC-CONTENT-TYPE-SUPPORTED", statuses)


@pytest.mark.rule("ENC-CONTENT-TYPE-DEFAULT-FORM")
def test_encoding_missing_content_type_read_as_form(api, expect, target, contracts):
    exchange = api.call("personalized_offers", content=f"customer_id={target.customer_id}")
    expect.that(
        "content-type" not in exchange.request_headers,
        "ENC-CONTENT-TYPE-DEFAULT-FORM",
        "the request sent without Content-Type",
        exchange.request_headers,
        exchange,
    )
    if contracts.readings["AMB-CONTENT-TYPE-MISSING"] == "required":
        expect.conforms(exchange)
    else:
        expect.accepted(exchange, "ENC-CONTENT-TYPE-DEFAULT-FORM")


FORMS = {
    "indexed array": "roles[0]=admin&roles[1]=billing",
    "bracket array": "roles[]=admin&roles[]=billing",
    "nested object": "request_context[timezone]=Europe/Berlin&request_context[url]=https://app.example.com"
    "&request_context[user_agent]=Mozilla/5.0&request_context[locale]=de-DE",
    "free-form object": "custom[plan]=annual&custom[seats]=3",
}


@pytest.mark.rule(
    "ENC-FORM-BRACKETS", "POREQ-ROLES-ARRAY", "POREQ-REQUEST-CONTEXT-OBJECT", "POREQ-CUSTOM-OBJECT"
)
@pytest.mark.parametrize("form", list(FORMS.values()), ids=list(FORMS))
def test_encoding_form_brackets_are_parsed(api, expect, target, form):
    exchange = api.call(
        "personalized_offers",
        content=f"customer_id={target.customer_id}&{form}",
        content_type="application/x-www-form-urlencoded",
    )
    expect.accepted(exchange, "ENC-FORM-BRACKETS")


@pytest.mark.rule("ENC-FORM-BRACKETS", "POREQ-REQUEST-CONTEXT-REQUIRED")
def test_encoding_form_brackets_reach_nested_validation(api, expect, target, contracts):
    if contracts.readings["AMB-REQUEST-CONTEXT-REQUIRED"] != "seed":
        not_applicable("AMB-REQUEST-CONTEXT-REQUIRED=spec: no request_context field is required")
    exchange = api.call(
        "personalized_offers",
        content=f"customer_id={target.customer_id}&request_context[timezone]=UTC",
        content_type="application/x-www-form-urlencoded",
    )
    expect.rejected(exchange, "POREQ-REQUEST-CONTEXT-REQUIRED")
    param = (exchange.json() or {}).get("param", "")
    expect.that(
        param.startswith("request_context["),
        "ENC-FORM-BRACKETS",
        "param naming request_context[...]",
        param,
        exchange,
    )


@pytest.mark.rule("ENC-FORM-BRACKETS", "POREQ-ROLES-ITEM-MAXLEN")
@pytest.mark.parametrize("name", ["roles[0]", "roles[]"], ids=["indexed array", "bracket array"])
def test_encoding_form_array_items_reach_validation(api, expect, target, contracts, name):
    """A role one past its limit is refused only if the server read the bracket as an array item."""
    schema = contracts.schemas[contracts.operation("personalized_offers").request_body]
    limit = schema["properties"]["roles"]["items"]["maxLength"]
    exchange = api.call(
        "personalized_offers",
        content=f"customer_id={target.customer_id}&{name}={'r' * (limit + 1)}",
        content_type="application/x-www-form-urlencoded",
    )
    expect.rejected(exchange, "ENC-FORM-BRACKETS", param="roles[0]")


MALFORMED = {
    "truncated JSON": (b'{"customer_id": "cust', "application/json"),
    "JSON array": (b'["customer_id"]', "application/json"),
    "JSON string": (b'"customer_id"', "application/json"),
    "deeply nested JSON": (b"[" * 50_000 + b"]" * 50_000, "application/json"),
    "not UTF-8": (b"customer_id=\xff\xfe\xfa", "application/x-www-form-urlencoded"),
    "JSON not UTF-8": (b'{"customer_id": "\xff"}', "application/json"),
    "broken brackets": (
        b"customer_id]=x&request_context[timezone=UTC&roles[[0]=a",
        "application/x-www-form-urlencoded",
    ),
    "oversized body": (b"note=" + b"x" * (2 << 20), "application/x-www-form-urlencoded"),
}


@pytest.mark.rule("ENC-MALFORMED-BODY-4XX", "ERR-NO-SERVER-ERROR")
@pytest.mark.parametrize("raw", list(MALFORMED.values()), ids=list(MALFORMED))
@EACH_POST
def test_encoding_malformed_body_is_4xx(api, expect, operation, raw):
    content, media_type = raw
    exchange = api.call(operation, path_id="cbconform_unknown_0001", content=content, content_type=media_type)
    expect.rejected(exchange, "ENC-MALFORMED-BODY-4XX", range(400, 500))


def _body_type_rule(contracts, operation: str) -> str:
    return contracts.schemas[contracts.operation(operation).request_body]["x-rules"]["type"]


@from_contracts(
    "operation",
    lambda c: [
        pytest.param(op.id, marks=pytest.mark.rule(_body_type_rule(c, op.id)))
        for op in c.operations.values()
        if op.method == "POST"
    ],
)
@pytest.mark.parametrize("body", [b"[]", b"42", b"null"], ids=["array", "number", "null"])
def test_encoding_json_body_must_be_an_object(api, expect, contracts, operation, body):
    rule = _body_type_rule(contracts, operation)
    exchange = api.call(
        operation, path_id="cbconform_unknown_0001", content=body, content_type="application/json"
    )
    expect.rejected(exchange, rule, range(400, 500))


EDGE_FORMS = {
    "empty roles[] entry": "roles[]=",
    "empty indexed roles entry": "roles[0]=&roles[1]=admin",
    "empty request_context": "request_context[timezone]=",
    "repeated key": "first_name=A&first_name=B",
}


@pytest.mark.rule("ERR-NO-SERVER-ERROR")
@pytest.mark.parametrize("extra", list(EDGE_FORMS.values()), ids=list(EDGE_FORMS))
def test_encoding_edge_form_values_never_5xx(api, expect, target, extra):
    """Legal but unusual form bodies: accepted or refused is the target's choice, a 5xx never is."""
    content = f"customer_id={target.customer_id}&{extra}"
    expect.conforms(
        api.call("personalized_offers", content=content, content_type="application/x-www-form-urlencoded")
    )
