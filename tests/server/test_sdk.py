"""The official Python SDK (chargebee 3.29.0) as a client of the served reference server."""

from __future__ import annotations

import uuid

import pytest

chargebee = pytest.importorskip("chargebee")
from chargebee import APIError, Chargebee, InvalidRequestError, OperationFailedError  # noqa: E402

API_KEY = "test_conformance_key"


def sdk(base_url: str, api_key: str = API_KEY) -> Chargebee:
    """An SDK client whose every call (grow and core hosts alike) goes to the local socket."""
    Chargebee.verify_ca_certs = False  # the request code reads the class attribute: plain HTTP
    cb = Chargebee(api_key=api_key, site="conformance-test", protocol="http")
    cb.env.api_url = lambda url, subDomain=None: base_url + url
    return cb


@pytest.fixture
def cb(base_url):
    return sdk(base_url)


def offer_id(cb: Chargebee) -> str:
    answer = cb.PersonalizedOffer.personalized_offers({"customer_id": "cust_conformance"})
    return answer.personalized_offers[0].id


def create(cb: Chargebee, option_id: str = "opt_concierge"):
    return cb.OfferFulfillment.offer_fulfillments(
        {"personalized_offer_id": offer_id(cb), "option_id": option_id}
    )


def test_personalized_offers_sdk_lists_all_processing_types(cb):
    answer = cb.PersonalizedOffer.personalized_offers({"customer_id": "cust_conformance"})
    (offer,) = answer.personalized_offers
    assert {o.processing_type for o in offer.options} == {
        "billing_update",
        "checkout",
        "url_redirect",
        "webhook",
        "email",
    }
    assert answer.expires_at > 0


def test_personalized_offers_sdk_empty_for_customer_without_offer(cb):
    answer = cb.PersonalizedOffer.personalized_offers({"customer_id": "cust_no_offers"})
    assert answer.personalized_offers == []


def test_offer_fulfillment_sdk_create_retrieve_update(cb):
    created = create(cb).offer_fulfillment
    assert (created.status, created.processing_type) == ("in_progress", "webhook")
    assert cb.OfferFulfillment.offer_fulfillments_get(created.id).offer_fulfillment.id == created.id
    updated = cb.OfferFulfillment.offer_fulfillments_update(
        created.id, {"id": created.id, "status": "failed", "failure_reason": "partner down"}
    ).offer_fulfillment
    assert (updated.status, updated.error.code) == ("failed", "external_fulfillment_failed")
    assert updated.failed_at >= updated.created_at


def test_offer_fulfillment_sdk_checkout_has_hosted_page(cb):
    answer = create(cb, "opt_upgrade_checkout")
    assert answer.hosted_page.id.startswith("hp_")


def test_order_sdk_create_with_invoice(cb):
    order_id = "ord_sdk_" + uuid.uuid4().hex[:8]
    order = cb.Order.create({"id": order_id, "invoice_id": "inv_conformance_001"}).order
    assert (order.id, order.invoice_id, order.status) == (order_id, "inv_conformance_001", "new")


def test_offer_fulfillment_sdk_retrieve_unknown_not_found(cb):
    with pytest.raises(InvalidRequestError) as raised:
        cb.OfferFulfillment.offer_fulfillments_get("of_does_not_exist")
    assert (raised.value.http_status_code, raised.value.api_error_code) == (404, "resource_not_found")


def test_offer_fulfillment_sdk_update_failed_without_reason_rejected(cb):
    created = create(cb).offer_fulfillment
    with pytest.raises(InvalidRequestError) as raised:
        cb.OfferFulfillment.offer_fulfillments_update(created.id, {"id": created.id, "status": "failed"})
    assert raised.value.http_status_code == 400
    assert raised.value.api_error_code in ("param_wrong_value", "invalid_request")
    assert raised.value.param == "failure_reason"


def test_offer_fulfillment_sdk_update_billing_update_wrong_state(cb):
    created = create(cb, "opt_discount").offer_fulfillment
    with pytest.raises(InvalidRequestError) as raised:
        cb.OfferFulfillment.offer_fulfillments_update(created.id, {"id": created.id, "status": "completed"})
    assert (raised.value.http_status_code, raised.value.api_error_code) == (409, "invalid_state_for_request")


def test_order_sdk_duplicate_id_rejected(cb):
    order_id = "ord_dup_" + uuid.uuid4().hex[:8]
    cb.Order.create({"id": order_id, "invoice_id": "inv_conformance_001"})
    with pytest.raises(InvalidRequestError) as raised:
        cb.Order.create({"id": order_id, "invoice_id": "inv_conformance_001"})
    assert (raised.value.api_error_code, raised.value.param) == ("duplicate_entry", "id")


def test_order_sdk_unknown_invoice_not_found(cb):
    with pytest.raises(InvalidRequestError) as raised:
        cb.Order.create({"invoice_id": "inv_missing"})
    assert (raised.value.api_error_code, raised.value.param) == ("resource_not_found", "invoice_id")


def test_personalized_offers_sdk_wrong_key_authentication_failed(base_url):
    with pytest.raises(APIError) as raised:
        sdk(base_url, "wrong_key").PersonalizedOffer.personalized_offers({"customer_id": "cust_conformance"})
    assert (raised.value.http_status_code, raised.value.api_error_code) == (401, "api_authentication_failed")


def test_personalized_offers_sdk_rate_limited_operation_failed(serve):
    cb = sdk(serve("--rate-limit", "2").url)  # the fixture's readiness probe spends one request
    cb.PersonalizedOffer.personalized_offers({"customer_id": "cust_conformance"})
    with pytest.raises(OperationFailedError) as raised:
        cb.PersonalizedOffer.personalized_offers({"customer_id": "cust_conformance"})
    assert (raised.value.http_status_code, raised.value.api_error_code) == (429, "api_request_limit_exceeded")
