"""The event log: accepted, fulfilled and failed events, with the actions each one took or skipped
as the chargebee-event-* headers asked, and the request's origin."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from cbconform.server.encoding import origin_user
from cbconform.server.store import dumps

ACTIONS = ("webhook", "email", "slack", "segment")
IGNORED_BY_FAULT = {
    "chargebee-event-actions": "event-actions-ignored",
    "chargebee-event-email": "event-email-ignored",
    "chargebee-event-webhook": "event-webhook-ignored",
}


def actions(request: Request | None, ignored: frozenset[str] = frozenset()) -> dict[str, str]:
    """What each action did; `ignored` names the headers a faulty server pays no attention to."""
    headers = request.headers if request is not None else {}

    def disabled(name: str) -> bool:
        return name not in ignored and headers.get(name) == "all-disabled"

    all_off = disabled("chargebee-event-actions")
    skipped = {
        "webhook": all_off or disabled("chargebee-event-webhook"),
        "email": all_off or disabled("chargebee-event-email"),
    }
    return {name: "skipped" if all_off or skipped.get(name) else "sent" for name in ACTIONS}


def origin(request: Request | None, prefer_plain: bool = False) -> dict[str, Any]:
    if request is None:
        return {"user": None, "user_source": None, "ip": None, "device": None}
    user, source = origin_user(request, prefer_plain)
    return {
        "user": user,
        "user_source": source,
        "ip": request.headers.get("chargebee-request-origin-ip"),
        "device": request.headers.get("chargebee-request-origin-device"),
    }


def record(db, state, kind: str, fulfillment_id: str, at: int, request: Request | None = None) -> None:
    faulty = state.config.faulty
    event = {
        "type": kind,
        "fulfillment_id": fulfillment_id,
        "occurred_at": at,
        "origin": origin(request, prefer_plain=faulty("origin-user-wins")),
        "business_entity_id": request.headers.get("chargebee-business-entity-id") if request else None,
        "actions": actions(request, frozenset(h for h, f in IGNORED_BY_FAULT.items() if faulty(f))),
    }
    cursor = db.execute(
        "INSERT INTO events (fulfillment_id, doc) VALUES (?, ?)", (fulfillment_id, dumps(event))
    )
    db.execute(
        "UPDATE events SET doc = json_set(doc, '$.id', ?) WHERE seq = ?",
        (f"ev_{cursor.lastrowid:06d}", cursor.lastrowid),
    )


def listing(db, fulfillment_id: str | None) -> list[dict[str, Any]]:
    query = (
        "SELECT doc FROM events" + (" WHERE fulfillment_id = ?" if fulfillment_id else "") + " ORDER BY seq"
    )
    rows = db.execute(query, (fulfillment_id,) if fulfillment_id else ()).fetchall()
    return [json.loads(doc) for (doc,) in rows]
