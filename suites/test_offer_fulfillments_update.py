"""POST /offer_fulfillments/{id}: merchant updates of url_redirect, webhook and email fulfillments,
the state rules, the events, and every request rule."""

from __future__ import annotations

import pytest

from cbconform import contracts as contracts_module
from cbconform.parametrize import rules_mark
from conftest import judge_case, needs

C = contracts_module.load()
MERCHANT = ["url_redirect", "webhook", "email"]
RESPONSE_RULES = rules_mark(C, "offer_fulfillment_response.json", extra=("UPD-STATUS-200",))


def update(api, fulfillment_id, status, reason="The partner could not honour it.", **extra):
    body = {"id": fulfillment_id, "status": status} | (
        {"failure_reason": reason} if status == "failed" else {}
    )
    return api.call("update_offer_fulfillment", path_id=fulfillment_id, body=body | extra)


@RESPONSE_RULES
@pytest.mark.rule("UPD-APPLIES-STATUS", "UPD-STATUS-ENUM")
@pytest.mark.parametrize("status", ["completed", "failed"])
@pytest.mark.parametrize("processing_type", MERCHANT)
def test_fulfillment_update_applies_status(api, expect, in_progress, coverage, processing_type, status):
    fulfillment = in_progress(processing_type)
    coverage.enum("UPD-STATUS-ENUM", status)
    answer = expect.accepted(update(api, fulfillment["id"], status), "UPD-STATUS-200").json()[
        "offer_fulfillment"
    ]
    again = expect.accepted(
        api.call("retrieve_offer_fulfillment", path_id=fulfillment["id"]), "RET-STATUS-200"
    )
    stamp = "completed_at" if status == "completed" else "failed_at"
    for seen, exchange in ((answer, None), (again.json()["offer_fulfillment"], again)):
        expect.that(
            seen["status"] == status and stamp in seen,
            "UPD-APPLIES-STATUS",
            f"status {status} with {stamp}",
            {k: seen.get(k) for k in ("status", stamp)},
            exchange,
        )


@pytest.mark.rule("UPD-ONLY-FROM-IN-PROGRESS")
@pytest.mark.parametrize("first", ["completed", "failed"])
def test_fulfillment_update_terminal_is_refused_and_unchanged(api, expect, in_progress, contracts, first):
    fulfillment = in_progress("webhook")
    expect.accepted(update(api, fulfillment["id"], first), "UPD-STATUS-200")
    before = api.call("retrieve_offer_fulfillment", path_id=fulfillment["id"]).json()
    second = "failed" if first == "completed" else "completed"
    expect.rejected(
        update(api, fulfillment["id"], second),
        "UPD-ONLY-FROM-IN-PROGRESS",
        contracts.reading("AMB-TERMINAL-UPDATE").value,
    )
    after = api.call("retrieve_offer_fulfillment", path_id=fulfillment["id"])
    expect.that(
        after.json() == before, "UPD-ONLY-FROM-IN-PROGRESS", "the fulfillment unchanged", after.json(), after
    )


@pytest.mark.rule("UPD-ONLY-MERCHANT-TYPES")
@pytest.mark.parametrize("processing_type", ["billing_update", "checkout"])
def test_fulfillment_update_chargebee_processed_is_refused(api, expect, create, contracts, processing_type):
    fulfillment = create(processing_type)
    expect.rejected(
        update(api, fulfillment["id"], "completed"),
        "UPD-ONLY-MERCHANT-TYPES",
        contracts.reading("AMB-MERCHANT-UPDATE-TYPES").value,
    )


@pytest.mark.rule("UPD-ID-MATCHES-PATH")
def test_fulfillment_update_body_id_differs_from_path(api, expect, in_progress, contracts):
    fulfillment = in_progress("email")
    exchange = api.call(
        "update_offer_fulfillment",
        path_id=fulfillment["id"],
        body={"id": fulfillment["id"] + "x", "status": "completed"},
    )
    statuses = contracts.reading("AMB-PATH-BODY-ID-MISMATCH").value
    expect.rejected(exchange, "UPD-ID-MATCHES-PATH", statuses, param="id" if statuses == [400] else None)
    still = api.call("retrieve_offer_fulfillment", path_id=fulfillment["id"]).json()["offer_fulfillment"]
    expect.that(
        still["status"] == "in_progress",
        "UPD-ID-MATCHES-PATH",
        "the fulfillment left in_progress",
        still["status"],
        None,
    )


@pytest.mark.rule("UPD-UNKNOWN-ID-404")
def test_fulfillment_update_unknown_id(api, expect, contracts):
    expect.rejected(
        update(api, "cbconform_unknown_0001", "completed"),
        "UPD-UNKNOWN-ID-404",
        contracts.reading("AMB-UNKNOWN-IDS").value,
    )


@pytest.mark.rule("UPD-FULFILLED-EVENT", "UPD-FAILED-EVENT")
@pytest.mark.parametrize("status", ["completed", "failed"])
def test_fulfillment_update_records_event(api, expect, in_progress, admin, contracts, status):
    needs(admin, contracts, "event-log")
    fulfillment = in_progress("url_redirect")
    expect.accepted(update(api, fulfillment["id"], status), "UPD-STATUS-200")
    kinds = [e["type"] for e in admin.events(fulfillment["id"])]
    wanted, rule = (
        ("fulfilled", "UPD-FULFILLED-EVENT") if status == "completed" else ("failed", "UPD-FAILED-EVENT")
    )
    expect.that(kinds[-1:] == [wanted], rule, f"a {wanted} event after the update", kinds, None)


def test_fulfillment_update_request_case(api, expect, in_progress, coverage, update_case, encoding):
    if update_case.path == ("id",) and update_case.kind == "at-max":
        pytest.skip(
            "the body id must equal a real fulfillment's id, so its boundary is exercised from above only"
        )
    fulfillment = in_progress("webhook")
    base = {"id": fulfillment["id"], "status": "failed", "failure_reason": "Out of stock."}
    exchange = api.call(
        "update_offer_fulfillment", path_id=fulfillment["id"], body=update_case.apply(base), encoding=encoding
    )
    judge_case(expect, coverage, "update_offer_fulfillment", update_case, exchange)


RESOURCE_ONLY_STATUSES = sorted(
    set(C.schemas["offer_fulfillment.json"]["properties"]["status"]["enum"])
    - set(C.schemas["requests/update_offer_fulfillment.json"]["properties"]["status"]["enum"])
)


@pytest.mark.rule("UPD-STATUS-ENUM", "ERR-PARAM-NAMES-FIELD")
@pytest.mark.parametrize("status", RESOURCE_ONLY_STATUSES)
def test_fulfillment_update_resource_only_status_is_rejected(api, expect, in_progress, coverage, status):
    """A status the resource has but an update may not set (in_progress) is the likeliest slip."""
    fulfillment = in_progress("webhook")
    coverage.enum("UPD-STATUS-ENUM", status)
    expect.rejected(update(api, fulfillment["id"], status), "UPD-STATUS-ENUM", param="status")
