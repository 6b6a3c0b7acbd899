"""Offer fulfillments: create (202), retrieve, merchant update, and settlement by the server's clock.

billing_update and checkout are processed by the server itself: they settle `processing_delay` seconds
after creation, as their option's outcome says. url_redirect, webhook and email wait for the merchant;
any fulfillment still in progress 7 days after creation fails with the error code the chosen reading of
AMB-SEVEN-DAY-CODE names. Settlement is computed from the clock whenever it is due, so timestamps are
exact and deterministic however late anyone looks."""

from __future__ import annotations

from typing import Any

from cbconform.server import events, jsonio, order_document
from cbconform.server.errors import invalid, not_found, wrong_state
from cbconform.server.store import dumps

SEVEN_DAYS = 7 * 24 * 3600
CHARGEBEE_PROCESSED = ("billing_update", "checkout")
MERCHANT_PROCESSED = ("url_redirect", "webhook", "email")
DUE = "SELECT doc FROM fulfillments WHERE status = 'in_progress' AND due_at <= ?"


def create(state, params: dict[str, Any], request) -> tuple[int, dict[str, Any]]:
    stored_offer = state.store.get("personalized_offers", params["personalized_offer_id"])
    if stored_offer is None:
        raise not_found(
            f"No personalized offer {params['personalized_offer_id']!r}.", "personalized_offer_id"
        )
    option = _option(state, stored_offer, params["option_id"])
    now = state.clock.now()
    fulfillment_id = state.store.next_id("of")
    resource = {
        "id": fulfillment_id,
        "personalized_offer_id": params["personalized_offer_id"],
        "option_id": option["id"],
        "processing_type": option["processing_type"],
        "status": "in_progress",
        "created_at": now,
    }
    redirect = option.get("redirect_url") or option.get("fulfillment_redirect_url")
    if redirect and option["processing_type"] in ("billing_update", "url_redirect"):
        resource["redirect_url"] = redirect
    chargebee_processed = option["processing_type"] in CHARGEBEE_PROCESSED
    due = now + (state.config.processing_delay if chargebee_processed else SEVEN_DAYS)
    due = state.hooks.decide("settles-at", due, resource=resource, now=now)
    outcome = {k: option[k] for k in ("outcome", "error_code", "error_message") if k in option}
    with state.store.transaction() as db:
        _save(db, resource, due, outcome)
        events.record(db, state, "accepted", fulfillment_id, now, request)
    body: dict[str, Any] = {"offer_fulfillment": resource}
    if option["processing_type"] == "checkout":
        body["hosted_page"] = order_document.hosted_page(state, fulfillment_id, option, now)
    return 202, body


def retrieve(state, fulfillment_id: str, request) -> tuple[int, dict[str, Any]]:
    settle_due(state)
    return 200, {"offer_fulfillment": _load(state, fulfillment_id)["resource"]}


def update(state, fulfillment_id: str, params: dict[str, Any], request) -> tuple[int, dict[str, Any]]:
    refuse = state.hooks.refuse
    if params["id"] != fulfillment_id:
        refuse("body-id", invalid(f"id {params['id']!r} does not match the fulfillment in the path.", "id"))
    with state.store.transaction():
        settle_due(state)
        resource = _load(state, fulfillment_id)["resource"]
        if resource["processing_type"] not in MERCHANT_PROCESSED:
            refuse(
                "merchant-processed",
                wrong_state(f"{resource['processing_type']} fulfillments are processed by Chargebee."),
            )
        if resource["status"] != "in_progress":
            refuse("in-progress", wrong_state(f"The fulfillment is already {resource['status']}."))
        now = state.clock.now()
        resource = _finish(
            resource, params["status"], now, "external_fulfillment_failed", params.get("failure_reason")
        )
        with state.store.transaction() as db:
            state.hooks.perform("store-update", _save, db, resource, None, {})
            kind = "fulfilled" if params["status"] == "completed" else "failed"
            events.record(db, state, kind, fulfillment_id, now, request)
    return 200, {"offer_fulfillment": resource}


def settle_due(state) -> None:
    """Applies every settlement and expiry the clock has reached."""
    now = state.clock.now()
    if not state.store.query(DUE, (now,)):
        return
    with state.store.transaction() as db:
        for (doc,) in db.execute(DUE, (now,)).fetchall():
            _settle(db, state, jsonio.loads(doc))


def _settle(db, state, stored: dict[str, Any]) -> None:
    resource, outcome = stored["resource"], stored["outcome"]
    if resource["processing_type"] in CHARGEBEE_PROCESSED:
        at = resource["created_at"] + state.config.processing_delay
        status = "failed" if outcome.get("outcome") == "failed" else "completed"
        resource = _finish(
            resource, status, at, outcome.get("error_code", "internal_error"), outcome.get("error_message")
        )
    else:
        at = resource["created_at"] + SEVEN_DAYS
        code = state.reading("AMB-SEVEN-DAY-CODE")
        resource = _finish(resource, "failed", at, code, "Not marked completed or failed within 7 days.")
    _save(db, resource, None, outcome)
    events.record(
        db, state, "fulfilled" if resource["status"] == "completed" else "failed", resource["id"], at
    )


def _finish(resource: dict[str, Any], status: str, at: int, code: str, reason: str | None) -> dict[str, Any]:
    done = {k: v for k, v in resource.items() if k not in ("completed_at", "failed_at", "error")}
    done["status"] = status
    if status == "completed":
        done["completed_at"] = at
    else:
        done["failed_at"] = at
        done["error"] = {"code": code, "message": (reason or "The fulfillment failed.")[:200]}
    return done


def _option(state, stored_offer: dict[str, Any], option_id: str) -> dict[str, Any]:
    offered = {o["id"] for o in stored_offer["offer"]["options"]}
    definition = state.offer(stored_offer["offer"]["offer_id"]) or {"option": []}
    option = next((o for o in definition["option"] if o["id"] == option_id and option_id in offered), None)
    if option is None:
        raise not_found(f"The personalized offer has no option {option_id!r}.", "option_id")
    return option


def _load(state, fulfillment_id: str) -> dict[str, Any]:
    stored = state.store.get("fulfillments", fulfillment_id)
    if stored is None:
        state.hooks.refuse(
            "fulfillment-exists",
            not_found(f"No offer fulfillment {fulfillment_id!r}.", "offer-fulfillment-id"),
            fulfillment_id=fulfillment_id,
        )
    return stored


def _save(db, resource: dict[str, Any], due_at: int | None, outcome: dict[str, Any]) -> None:
    db.execute(
        "INSERT INTO fulfillments VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
        "status = excluded.status, due_at = excluded.due_at, doc = excluded.doc",
        (resource["id"], resource["status"], due_at, dumps({"resource": resource, "outcome": outcome})),
    )
