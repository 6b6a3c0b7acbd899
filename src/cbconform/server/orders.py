"""POST /orders (deprecated): served as documented, or withdrawn under AMB-ORDERS-DEPRECATED=withdrawn."""

from __future__ import annotations

import uuid
from typing import Any

from cbconform.server import order_document
from cbconform.server.errors import ApiError, not_found
from cbconform.server.store import dumps


def create(state, params: dict[str, Any], request) -> tuple[int, dict[str, Any]]:
    faulty = state.config.faulty
    if state.reading("AMB-ORDERS-DEPRECATED") == "withdrawn":
        if faulty("withdrawn-orders-crash"):
            raise RuntimeError("the orders handler was removed")
        raise not_found("POST /orders is no longer supported on this site.")
    invoice = state.invoice(params["invoice_id"])
    if invoice is None:
        raise not_found(f"No invoice {params['invoice_id']!r}.", "invoice_id")
    now = state.clock.now()
    order_id = params.get("id") if not faulty("requested-order-id-ignored") else None
    if not order_id:
        order_id = (
            f"order_{uuid.uuid4()}" if faulty("generated-order-id-uuid") else state.store.next_id("ord")
        )
    order = order_document.build(invoice, order_id, params, now)
    with state.store.transaction() as db:
        taken = db.execute("SELECT 1 FROM orders WHERE id = ?", (order_id,)).fetchone()
        if taken and not faulty("duplicate-order-id-accepted"):
            raise ApiError(400, "duplicate_entry", f"An order with id {order_id!r} already exists.", "id")
        db.execute("INSERT OR REPLACE INTO orders VALUES (?, ?)", (order_id, dumps(order)))
    return 200, {"order": order}
