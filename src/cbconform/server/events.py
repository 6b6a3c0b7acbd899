"""The event log: accepted, fulfilled and failed events, with the actions each one took or skipped
as the chargebee-event-* headers asked, and the request's origin."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from cbconform.server.encoding import origin_user
from cbconform.server.store import dumps

ACTIONS = ("webhook", "email", "slack", "segment")


def actions(headers: Mapping[str, str]) -> dict[str, str]:
    """What each action did, as the chargebee-event-* headers asked."""

    def disabled(name: str) -> bool:
        return headers.get(name) == "all-disabled"

    all_off = disabled("chargebee-event-actions")
    skipped = {
        "webhook": all_off or disabled("chargebee-event-webhook"),
        "email": all_off or disabled("chargebee-event-email"),
    }
    return {name: "skipped" if all_off or skipped.get(name) else "sent" for name in ACTIONS}


def origin(user: tuple[str | None, str | None], request: Request | None) -> dict[str, Any]:
    if request is None:
        return {"user": None, "user_source": None, "ip": None, "device": None}
    return {
        "user": user[0],
        "user_source": user[1],
        "ip": request.headers.get("chargebee-request-origin-ip"),
        "device": request.headers.get("chargebee-request-origin-device"),
    }


def record(db, state, kind: str, fulfillment_id: str, at: int, request: Request | None = None) -> None:
    hooks = state.hooks
    user = hooks.decide("origin-user", origin_user(request), request=request) if request else (None, None)
    headers = hooks.decide("event-headers", request.headers) if request is not None else {}
    event = {
        "type": kind,
        "fulfillment_id": fulfillment_id,
        "occurred_at": at,
        "origin": origin(user, request),
        "business_entity_id": request.headers.get("chargebee-business-entity-id") if request else None,
        "actions": actions(headers),
    }
    hooks.perform(
        "record-event", _insert, db, fulfillment_id, event, kind=kind, by_request=request is not None
    )


def _insert(db, fulfillment_id: str, event: dict[str, Any]) -> None:
    db.execute("INSERT INTO events (fulfillment_id, doc) VALUES (?, ?)", (fulfillment_id, dumps(event)))


def listing(db, fulfillment_id: str | None) -> list[dict[str, Any]]:
    """The events, oldest first; an event's id is its place in the log."""
    query = (
        "SELECT seq, doc FROM events"
        + (" WHERE fulfillment_id = ?" if fulfillment_id else "")
        + " ORDER BY seq"
    )
    rows = db.execute(query, (fulfillment_id,) if fulfillment_id else ()).fetchall()
    return [json.loads(doc) | {"id": f"ev_{seq:06d}"} for seq, doc in rows]
