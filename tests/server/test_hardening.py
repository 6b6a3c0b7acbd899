"""Hostile requests against the reference server, in process: invalid Unicode anywhere, oversized
bodies, huge arrays, unparseable Content-Type and clients that hang up. Each gets a Chargebee-shaped
4xx (never a 500) and leaves nothing stored."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import httpx
import pytest

from cbconform.server import ServerConfig, create_app
from cbconform.server.encoding import MAX_BODY, MAX_ITEMS
from cbconform.transport import InProcess

AUTH = ("test_conformance_key", "")
JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
INVOICE = "inv_conformance_001"


def in_process(config: ServerConfig) -> httpx.Client:
    transport = InProcess(create_app(config))
    return httpx.Client(transport=transport, base_url="http://t/api/v2", auth=AUTH)


@pytest.fixture
def client():
    with in_process(ServerConfig()) as http:
        yield http


def chargebee_4xx(response, status: int = 400) -> dict:
    assert response.status_code == status, response.text[:300]
    body = response.json()
    assert {"message", "type", "api_error_code"} <= body.keys(), body
    return body


def test_hardening_order_with_lone_surrogate_is_refused_and_not_stored(client):
    raw = '{"id": "ord_surrogate", "invoice_id": "INV", "note": "bad \\ud800 note"}'.replace("INV", INVOICE)
    chargebee_4xx(client.post("/orders", content=raw.encode(), headers=JSON))
    retried = client.post("/orders", json={"id": "ord_surrogate", "invoice_id": INVOICE, "note": "fine"})
    assert retried.status_code == 200, retried.text
    again = client.post("/orders", json={"id": "ord_surrogate", "invoice_id": INVOICE})
    assert chargebee_4xx(again)["api_error_code"] == "duplicate_entry"  # stored exactly once


def test_hardening_surrogate_pair_is_ordinary_text(client):
    raw = '{"id": "ord_pair", "invoice_id": "INV", "note": "\\ud83d\\ude00"}'.replace("INV", INVOICE)
    answer = client.post("/orders", content=raw.encode(), headers=JSON)
    assert answer.status_code == 200 and answer.json()["order"]["note"] == "\U0001f600"


@pytest.mark.parametrize("value", [b"%ED%A0%80", b"%FF", b"ok%C3"])
def test_hardening_form_value_not_utf8_is_refused_and_not_stored(client, value):
    body = b"id=ord_form_bad&invoice_id=" + INVOICE.encode() + b"&note=" + value
    chargebee_4xx(client.post("/orders", content=body, headers=FORM))
    assert client.post("/orders", data={"id": "ord_form_bad", "invoice_id": INVOICE}).status_code == 200


@pytest.mark.parametrize("path", ["/offer_fulfillments/%ED%A0%80", "/offer_fulfillments/of_%FF"])
def test_hardening_path_id_not_utf8_is_400(client, path):
    chargebee_4xx(client.get(path))


def test_hardening_query_not_utf8_is_400(client):
    chargebee_4xx(client.get("/offer_fulfillments/of_x?x=%FF"))


def test_hardening_surrogate_in_a_decoded_path_is_400():
    app = create_app(ServerConfig())
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/v2/offer_fulfillments/of_\ud800",
        "raw_path": b"/api/v2/offer_fulfillments/of_%ED%A0%80",
        "query_string": b"",
        "headers": [(b"authorization", b"Basic dGVzdF9jb25mb3JtYW5jZV9rZXk6")],
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"])["api_error_code"] == "invalid_request"


def test_hardening_oversized_body_is_413(client):
    body = b"customer_id=" + b"a" * (MAX_BODY + 1)
    refused = chargebee_4xx(client.post("/personalized_offers", content=body, headers=FORM), 413)
    assert str(MAX_BODY) in refused["message"]


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_hardening_huge_arrays_are_refused_quickly(client, encoding):
    if encoding == "json":
        body = json.dumps({"customer_id": "cust_conformance", "roles": ["a"] * 150_000}).encode()
        headers = JSON
    else:
        body = b"customer_id=cust_conformance" + b"&roles[]=a" * 100_000  # just under the size limit
        headers = FORM
    assert len(body) <= MAX_BODY
    began = time.monotonic()
    answer = client.post("/personalized_offers", content=body, headers=headers)
    assert time.monotonic() - began < 1.0
    assert chargebee_4xx(answer)["api_error_code"] in ("invalid_request", "param_wrong_value")


def test_hardening_array_at_the_bound_is_served(client):
    roles = ["r"] * MAX_ITEMS
    answer = client.post("/personalized_offers", json={"customer_id": "cust_conformance", "roles": roles})
    assert answer.status_code == 200, answer.text[:300]


@pytest.mark.parametrize("content_type", [";", "garbage", "application/", "/json", "a b/c", ""])
def test_hardening_unparseable_content_type_is_400(client, content_type):
    answer = client.post("/orders", content=b"invoice_id=x", headers={"content-type": content_type})
    body = chargebee_4xx(answer)
    assert body["api_error_code"] == "invalid_request" and body.get("param") == "content-type"


def test_hardening_unparseable_content_type_is_415_under_that_reading():
    config = ServerConfig(readings={"AMB-UNSUPPORTED-CONTENT-TYPE": "415"})
    with in_process(config) as http:
        answer = http.post("/orders", content=b"x", headers={"content-type": ";"})
    chargebee_4xx(answer, 415)


def test_hardening_client_disconnect_is_not_logged_as_an_error(caplog):
    app = create_app(ServerConfig())
    sent: list[dict] = []

    async def receive():
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v2/orders",
        "raw_path": b"/api/v2/orders",
        "query_string": b"",
        "headers": [
            (b"authorization", b"Basic dGVzdF9jb25mb3JtYW5jZV9rZXk6"),
            (b"content-type", b"application/x-www-form-urlencoded"),
        ],
    }
    with caplog.at_level(logging.INFO, logger="cbconform.server"):
        asyncio.run(app(scope, receive, send))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert all(m.get("status", 0) != 500 for m in sent)


@pytest.mark.parametrize("idempotent", [False, True])
def test_hardening_deep_but_parseable_json_is_400(client, idempotent):
    body = b'{"customer_id": "cust_conformance", "request_context": ' + b"[" * 500 + b"]" * 500 + b"}"
    headers = JSON | ({"chargebee-idempotency-key": "deep-1"} if idempotent else {})
    chargebee_4xx(client.post("/personalized_offers", content=body, headers=headers))


def test_hardening_wide_json_object_is_refused_quickly(client):
    wide = {f"k{i}": i for i in range(60_000)}
    began = time.monotonic()
    answer = client.post("/personalized_offers", json={"customer_id": "cust_conformance", "custom": wide})
    assert time.monotonic() - began < 1.0
    chargebee_4xx(answer)


def test_hardening_lone_surrogate_in_a_key_is_400(client):
    raw = b'{"customer_id": "cust_conformance", "request_context": {"\\udc00": "x"}}'
    chargebee_4xx(client.post("/personalized_offers", content=raw, headers=JSON))


@pytest.mark.parametrize("command", [{"now": 10**400}, {"advance": -(10**30)}, {"now": 2**63}])
def test_hardening_admin_clock_out_of_range_is_400(command):
    with in_process(ServerConfig(admin=True)) as http:
        answer = http.post("http://t/__admin/clock", content=json.dumps(command).encode())
    chargebee_4xx(answer)
