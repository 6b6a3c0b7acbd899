"""POST /orders (deprecated): served as documented, or withdrawn under AMB-ORDERS-DEPRECATED=withdrawn."""

from __future__ import annotations

from typing import Any

from cbconform.server import order_document
from cbconform.server.errors import ApiError, not_found
from cbconform.server.store import dumps


def create(state, params: dict[str, Any], request) -> tuple[int, dict[str, Any]]:
    if state.reading("AMB-ORDERS-DEPRECATED") == "withdrawn":
        state.hooks.refuse("orders-served", not_found("POST /orders is no longer supported on this site."))
    invoice = state.invoice(params["invoice_id"])
    if invoice is None:
        raise not_found(f"No invoice {params['invoice_id']!r}.", "invoice_id")
    now = state.clock.now()
    requested = params.get("id")
    order_id = state.hooks.decide(
        "order-id", requested or state.store.next_id("ord"), requested=requested, store=state.store
    )
    order = order_document.build(invoice, order_id, params, now)
    with state.store.transaction() as db:
        taken = db.execute("SELECT 1 FROM orders WHERE id = ?", (order_id,)).fetchone()
        if taken:
            state.hooks.refuse(
                "order-id-free",
                ApiError(400, "duplicate_entry", f"An order with id {order_id!r} already exists.", "id"),
            )
        db.execute("INSERT OR REPLACE INTO orders VALUES (?, ?)", (order_id, dumps(order)))
    return 200, {"order": order}
