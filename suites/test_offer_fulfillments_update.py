"""POST /offer_fulfillments/{id}: merchant updates of url_redirect, webhook and email fulfillments,
the state rules, the events, and every request rule."""

from __future__ import annotations

import pytest

from cbconform.checks import not_applicable
from cbconform.suitekit import (
    forget,
    from_contracts,
    from_facts,
    judge_case,
    needs,
    schema_rules,
    update_body,
)

UPDATE = "requests/update_offer_fulfillment.json"
RESPONSE_RULES = schema_rules("offer_fulfillment_response.json", extra=("UPD-STATUS-200",))


def update(api, contracts, fulfillment_id, status, reason="The partner could not honour it."):
    body = update_body(contracts, fulfillment_id, status, reason)
    return api.call("update_offer_fulfillment", path_id=fulfillment_id, body=body)


@RESPONSE_RULES
@pytest.mark.rule(
    "UPD-APPLIES-STATUS", "UPD-STATUS-ENUM", "OF-COMPLETED-AFTER-CREATED", "OF-FAILED-AFTER-CREATED"
)
@from_facts("status", "settled")
@from_facts("processing_type", "merchant_types")
def test_fulfillment_update_applies_status(
    api, expect, in_progress, coverage, contracts, facts, processing_type, status
):
    fulfillment = in_progress(processing_type)
    coverage.enum("UPD-STATUS-ENUM", status)
    answer = expect.accepted(update(api, contracts, fulfillment["id"], status), "UPD-STATUS-200").json()[
        "offer_fulfillment"
    ]
    again = expect.accepted(
        api.call("retrieve_offer_fulfillment", path_id=fulfillment["id"]), "RET-STATUS-200"
    )
    stamps = facts.stamps[status]
    for seen, exchange in ((answer, None), (again.json()["offer_fulfillment"], again)):
        expect.that(
            seen["status"] == status and stamps <= seen.keys(),
            "UPD-APPLIES-STATUS",
            f"status {status} with {', '.join(sorted(stamps))}",
            {k: seen.get(k) for k in ("status", *sorted(stamps))},
            exchange,
        )


@pytest.mark.rule("UPD-ONLY-FROM-IN-PROGRESS")
@from_facts("first", "settled")
def test_fulfillment_update_terminal_is_refused_and_unchanged(
    api, expect, in_progress, contracts, facts, first
):
    fulfillment = in_progress(facts.waiting[0])
    expect.accepted(update(api, contracts, fulfillment["id"], first), "UPD-STATUS-200")
    before = api.call("retrieve_offer_fulfillment", path_id=fulfillment["id"]).json()
    second = next(s for s in facts.settled if s != first)
    expect.rejected(
        update(api, contracts, fulfillment["id"], second),
        "UPD-ONLY-FROM-IN-PROGRESS",
        contracts.reading("AMB-TERMINAL-UPDATE").value,
    )
    after = api.call("retrieve_offer_fulfillment", path_id=fulfillment["id"])
    expect.that(
        after.json() == before, "UPD-ONLY-FROM-IN-PROGRESS", "the fulfillment unchanged", after.json(), after
    )


@pytest.mark.rule("UPD-ONLY-MERCHANT-TYPES")
@from_facts("processing_type", "chargebee_types")
def test_fulfillment_update_chargebee_processed_is_refused(
    api, expect, create, contracts, facts, processing_type
):
    fulfillment = create(processing_type, reuse=True)
    expect.rejected(
        update(api, contracts, fulfillment["id"], facts.completed),
        "UPD-ONLY-MERCHANT-TYPES",
        contracts.reading("AMB-MERCHANT-UPDATE-TYPES").value,
    )


@pytest.mark.rule("UPD-ID-MATCHES-PATH")
def test_fulfillment_update_body_id_differs_from_path(api, expect, in_progress, contracts, facts):
    fulfillment = in_progress(facts.waiting[-1])
    exchange = api.call(
        "update_offer_fulfillment",
        path_id=fulfillment["id"],
        body={"id": fulfillment["id"] + "x", "status": facts.completed},
    )
    statuses = contracts.reading("AMB-PATH-BODY-ID-MISMATCH").value
    expect.rejected(exchange, "UPD-ID-MATCHES-PATH", statuses, param="id" if statuses == [400] else None)
    still = api.call("retrieve_offer_fulfillment", path_id=fulfillment["id"]).json()["offer_fulfillment"]
    expect.that(
        still["status"] == facts.pending,
        "UPD-ID-MATCHES-PATH",
        f"the fulfillment left {facts.pending}",
        still["status"],
        None,
    )


@pytest.mark.rule("UPD-FAILURE-REASON-REQUIRED", "ERR-PARAM-NAMES-FIELD")
def test_fulfillment_update_failed_without_reason_is_refused(api, expect, in_progress, contracts, facts):
    """The request cases cover it from the schema; this test says so when the reading drops it."""
    if contracts.readings["AMB-FAILED-WITHOUT-REASON"] == "prose-only":
        not_applicable("AMB-FAILED-WITHOUT-REASON=prose-only: failure_reason is not enforced")
    fulfillment = in_progress(facts.waiting[0])
    body = {"id": fulfillment["id"], "status": facts.failed}
    exchange = api.call("update_offer_fulfillment", path_id=fulfillment["id"], body=body)
    expect.rejected(exchange, "UPD-FAILURE-REASON-REQUIRED", param="failure_reason")


@pytest.mark.rule("UPD-UNKNOWN-ID-404")
def test_fulfillment_update_unknown_id(api, expect, contracts, facts):
    expect.rejected(
        update(api, contracts, "cbconform_unknown_0001", facts.completed),
        "UPD-UNKNOWN-ID-404",
        contracts.reading("AMB-UNKNOWN-IDS").value,
    )


@pytest.mark.rule("UPD-FULFILLED-EVENT", "UPD-FAILED-EVENT")
@from_facts("status", "settled")
def test_fulfillment_update_records_event(api, expect, in_progress, admin, contracts, facts, status):
    needs(admin, contracts, "event-log")
    fulfillment = in_progress(facts.redirecting)
    expect.accepted(update(api, contracts, fulfillment["id"], status), "UPD-STATUS-200")
    kinds = [e["type"] for e in admin.events(fulfillment["id"])]
    wanted, rule = (
        ("fulfilled", "UPD-FULFILLED-EVENT") if status == facts.completed else ("failed", "UPD-FAILED-EVENT")
    )
    expect.that(kinds[-1:] == [wanted], rule, f"a {wanted} event after the update", kinds, None)


def test_fulfillment_update_request_case(
    request, api, expect, in_progress, coverage, contracts, facts, update_case, encoding
):
    if update_case.path == ("id",) and update_case.kind == "at-max":
        pytest.skip(
            "the body id must equal a real fulfillment's id, so its boundary is exercised from above only"
        )
    fulfillment = in_progress(facts.waiting[0], reuse=not update_case.valid)
    base = {"id": fulfillment["id"], "status": facts.failed, "failure_reason": "Out of stock."}
    exchange = api.call(
        "update_offer_fulfillment", path_id=fulfillment["id"], body=update_case.apply(base), encoding=encoding
    )
    if exchange.status < 300:
        forget(request, facts.waiting[0])
    judge_case(expect, coverage, "update_offer_fulfillment", update_case, exchange)


def _resource_only_statuses(contracts) -> list[str]:
    resource = contracts.schemas["offer_fulfillment.json"]["properties"]["status"]["enum"]
    return sorted(set(resource) - set(contracts.schemas[UPDATE]["properties"]["status"]["enum"]))


@pytest.mark.rule("UPD-STATUS-ENUM", "ERR-PARAM-NAMES-FIELD")
@from_contracts("status", _resource_only_statuses)
def test_fulfillment_update_resource_only_status_is_rejected(
    api, expect, in_progress, coverage, contracts, facts, status
):
    """A status the resource has but an update may not set (in_progress) is the likeliest slip."""
    fulfillment = in_progress(facts.waiting[0])
    coverage.enum("UPD-STATUS-ENUM", status)
    expect.rejected(update(api, contracts, fulfillment["id"], status), "UPD-STATUS-ENUM", param="status")
