"""Malformed requests on the socket: always a 4xx with a Chargebee-shaped error body, never a 500 or a
trace, and nothing stored before is lost."""

from __future__ import annotations

import base64
import json
import uuid

import httpx
import pytest

from cbconform import contracts as contracts_module
from cbconform.checks.responses import conformance
from cbconform.exchange import Exchange

FORM = {"content-type": "application/x-www-form-urlencoded"}
JSON = {"content-type": "application/json"}
C = contracts_module.load()

# name: (operation, path, body, headers, param the error must name or None)
CASES = {
    "non_utf8_form": ("personalized_offers", "/personalized_offers", b"customer_id=\xff\xfe\xfd", FORM, None),
    "non_utf8_json": ("personalized_offers", "/personalized_offers", b'{"customer_id": "\xff"}', JSON, None),
    "huge_form": (
        "personalized_offers",
        "/personalized_offers",
        b"customer_id=" + b"a" * (2 << 20),
        FORM,
        None,
    ),
    "huge_json": ("create_order", "/orders", b'{"note": "' + b"a" * (2 << 20) + b'"}', JSON, None),
    "deep_json_arrays": (
        "personalized_offers",
        "/personalized_offers",
        b"[" * 10000 + b"]" * 10000,
        JSON,
        None,
    ),
    "deep_json_objects": (
        "personalized_offers",
        "/personalized_offers",
        b'{"custom": ' + b'{"a": ' * 10000 + b"1" + b"}" * 10001,
        JSON,
        None,
    ),
    "deep_form_brackets": (
        "personalized_offers",
        "/personalized_offers",
        b"customer_id=cust_conformance&roles" + b"[a]" * 10000 + b"=1",
        FORM,
        "roles",
    ),
    "broken_brackets_context": (
        "personalized_offers",
        "/personalized_offers",
        b"customer_id=cust_conformance&request_context[[x]=1",
        FORM,
        None,
    ),
    "broken_brackets_roles": (
        "personalized_offers",
        "/personalized_offers",
        b"customer_id=cust_conformance&roles[=a",
        FORM,
        "roles",
    ),
    "string_as_object": (
        "personalized_offers",
        "/personalized_offers",
        b"customer_id[x]=a",
        FORM,
        "customer_id",
    ),
    "number_for_string": (
        "personalized_offers",
        "/personalized_offers",
        b'{"customer_id": 5}',
        JSON,
        "customer_id",
    ),
    "string_for_array": (
        "personalized_offers",
        "/personalized_offers",
        b'{"customer_id": "cust_conformance", "roles": "admin"}',
        JSON,
        "roles",
    ),
    "null_for_string": (
        "create_offer_fulfillment",
        "/offer_fulfillments",
        b'{"personalized_offer_id": "po_1", "option_id": null}',
        JSON,
        "option_id",
    ),
    "object_for_string": ("create_order", "/orders", b'{"invoice_id": {"a": 1}}', JSON, "invoice_id"),
    "status_not_in_enum": (
        "update_offer_fulfillment",
        "/offer_fulfillments/of_x",
        b"id=of_x&status=done",
        FORM,
        "status",
    ),
    "unknown_content_type": (
        "personalized_offers",
        "/personalized_offers",
        b"<a/>",
        {"content-type": "text/xml"},
        None,
    ),
    "garbage_content_type": ("create_order", "/orders", b"invoice_id=x", {"content-type": "garbage"}, None),
    "json_array": ("personalized_offers", "/personalized_offers", b'["customer_id"]', JSON, None),
    "json_scalar": ("create_order", "/orders", b'"inv_conformance_001"', JSON, None),
    "json_truncated": ("create_order", "/orders", b'{"invoice_id": ', JSON, None),
    "empty_form": ("personalized_offers", "/personalized_offers", b"", FORM, "customer_id"),
    "empty_json": ("create_offer_fulfillment", "/offer_fulfillments", b"", JSON, "personalized_offer_id"),
    "empty_no_content_type": ("create_order", "/orders", b"", {}, "invoice_id"),
}


@pytest.fixture(scope="module")
def stored(base_url):
    """A fulfillment and an order stored before any malformed request."""
    with httpx.Client(base_url=base_url, auth=("test_conformance_key", ""), timeout=10) as http:
        offer = http.post("/personalized_offers", data={"customer_id": "cust_conformance"}).json()
        po = offer["personalized_offers"][0]["id"]
        created = http.post(
            "/offer_fulfillments", data={"personalized_offer_id": po, "option_id": "opt_guide"}
        )
        order = http.post(
            "/orders", data={"id": "ord_" + uuid.uuid4().hex[:10], "invoice_id": "inv_conformance_001"}
        )
    assert created.status_code == 202 and order.status_code == 200
    return created.json()["offer_fulfillment"], order.json()["order"]


def assert_chargebee_error(response: httpx.Response, operation: str, param: str | None) -> dict:
    assert 400 <= response.status_code < 500, response.text[:300]
    assert "Traceback" not in response.text
    body = response.json()
    assert {"message", "type", "api_error_code"} <= body.keys()
    if param:
        assert body.get("param") == param, body
    found = conformance(C, Exchange.record(response, (), operation=operation))
    assert not found, "\n".join(f.describe() for f in found)
    return body


@pytest.mark.parametrize("case", list(CASES))
def test_post_malformed_body_answers_chargebee_4xx(client, stored, case):
    operation, path, body, headers, param = CASES[case]
    assert_chargebee_error(client.post(path, content=body, headers=headers), operation, param)
    fulfillment, order = stored
    again = client.get(f"/offer_fulfillments/{fulfillment['id']}")
    assert again.status_code == 200 and again.json()["offer_fulfillment"]["id"] == fulfillment["id"]
    duplicate = client.post("/orders", data={"id": order["id"], "invoice_id": "inv_conformance_001"})
    assert duplicate.json()["api_error_code"] == "duplicate_entry"  # the order is still there


@pytest.mark.parametrize(
    "name",
    ["\u00e9l\u00e8ve", "key:with:colons", "\x7f", "a" * 5000],
)
def test_auth_unusual_key_answers_401(base_url, name):
    with httpx.Client(base_url=base_url, timeout=10) as http:
        encoded = base64.b64encode(f"{name}:".encode()).decode()
        response = http.get("/offer_fulfillments/of_x", headers={"authorization": "Basic " + encoded})
    body = assert_chargebee_error(response, "retrieve_offer_fulfillment", None)
    assert body["api_error_code"] == "api_authentication_failed"


@pytest.mark.parametrize("header", ["Basic !!!", "Basic /w==", "Bearer x", "Basic"])
def test_auth_malformed_header_answers_401(base_url, header):
    with httpx.Client(base_url=base_url, timeout=10) as http:
        response = http.get("/offer_fulfillments/of_x", headers={"authorization": header})
    body = assert_chargebee_error(response, "retrieve_offer_fulfillment", None)
    assert body["api_error_code"] == "api_authentication_failed"


@pytest.mark.parametrize("path", ["/offer_fulfillments/%FF%FE", "/offer_fulfillments/" + "x" * 51])
def test_offer_fulfillment_retrieve_odd_id_answers_4xx(client, path):
    assert_chargebee_error(client.get(path), "retrieve_offer_fulfillment", None)


def test_post_json_nan_answers_4xx(client):
    body = json.dumps({"customer_id": float("nan")}).encode()
    assert_chargebee_error(
        client.post("/personalized_offers", content=body, headers=JSON), "personalized_offers", None
    )
