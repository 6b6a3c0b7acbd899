"""POST /personalized_offers: a deterministic offer for a known customer, stored so its options can be
accepted later; an empty list otherwise."""

from __future__ import annotations

from typing import Any

from cbconform.server.store import dumps

OPTION_FIELDS = ("id", "label", "processing_type", "processing_layout", "redirect_url")


def personalized_offers(state, params: dict[str, Any], request) -> tuple[int, dict[str, Any]]:
    now = state.clock.now()
    body: dict[str, Any] = {"personalized_offers": [], "expires_at": now + state.data.get("offer_ttl", 86400)}
    if state.data.get("brand"):
        body["brand"] = dict(state.data["brand"])
    customer = state.customer(params["customer_id"])
    offers = [state.offer(offer_id) for offer_id in (customer or {}).get("offers", [])]
    if offers and offers[0]:
        body["personalized_offers"] = [_personalize(state, offers[0], params["customer_id"], now)]
    return 200, body


def _personalize(state, offer: dict[str, Any], customer_id: str, now: int) -> dict[str, Any]:
    personalized = {
        "id": state.store.next_id("po"),
        "offer_id": offer["id"],
        "content": {"title": offer["title"], "description": offer["description"]},
        "options": [_option(state, o) for o in offer["option"]],
    }
    stored = {"customer_id": customer_id, "created_at": now, "offer": personalized}
    with state.store.transaction() as db:
        db.execute("INSERT INTO personalized_offers VALUES (?, ?)", (personalized["id"], dumps(stored)))
    return personalized


def _option(state, option: dict[str, Any]) -> dict[str, Any]:
    shown = {k: option[k] for k in OPTION_FIELDS if k in option}
    if state.contracts.readings["AMB-OPTION-REDIRECT-URL"] == "listed-required":
        fallback = option.get(
            "fulfillment_redirect_url", f"https://conformance.example/options/{option['id']}"
        )
        shown.setdefault("redirect_url", fallback)
    return shown
