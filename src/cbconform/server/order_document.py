"""The documents the reference server answers with in full: the order of POST /orders, with every
attribute Chargebee's OpenAPI document gives an order, filled from the invoice it is created from (so
amounts, taxes, discounts, addresses and line items always agree with that invoice), and the hosted page
beside a checkout fulfillment."""

from __future__ import annotations

from typing import Any

ECHOED = (
    "invoice_id",
    "status",
    "reference_id",
    "fulfillment_status",
    "note",
    "tracking_id",
    "tracking_url",
    "batch_id",
)


def build(invoice: dict[str, Any], order_id: str, params: dict[str, Any], now: int) -> dict[str, Any]:
    """The order `order_id` for `invoice`, created at `now`, with the request's own fields."""
    lines = [_line(order_id, invoice, item, i) for i, item in enumerate(invoice.get("line_item", []), 1)]
    discounts = [_discount(item) for item in invoice.get("line_item", []) if item.get("discount")]
    taxes = [_tax(invoice, line) for line in lines] if invoice.get("tax_rate") else []
    sub_total = sum(line["amount"] for line in lines)
    discount = sum(d["discount_amount"] for d in discounts)
    tax = sum(t["tax_amount"] for t in taxes)
    total = (
        sub_total - discount + (tax if invoice.get("price_type", "tax_exclusive") == "tax_exclusive" else 0)
    )
    paid = total if invoice.get("paid_at") else 0
    order: dict[str, Any] = {
        "id": order_id,
        "document_number": f"ORD-{order_id.rsplit('_', 1)[-1]}"[:50],
        "invoice_id": invoice["id"],
        "customer_id": invoice.get("customer_id"),
        "subscription_id": invoice.get("subscription_id"),
        "status": "new",
        "payment_status": "paid" if paid else "not_paid",
        "order_type": "manual",
        "price_type": invoice.get("price_type", "tax_exclusive"),
        "order_date": now,
        "created_by": "api",
        "currency_code": invoice.get("currency_code", "USD"),
        "sub_total": sub_total,
        "discount": discount,
        "tax": tax,
        "total": total,
        "amount_paid": paid,
        "amount_adjusted": 0,
        "refundable_credits_issued": 0,
        "refundable_credits": paid,
        "rounding_adjustement": 0,
        "invoice_round_off_amount": 0,
        "paid_on": invoice.get("paid_at"),
        "created_at": now,
        "updated_at": now,
        "status_update_at": now,
        "resource_version": now * 1000,
        "deleted": False,
        "is_resent": False,
        "is_gifted": False,
        "business_entity_id": invoice.get("business_entity_id"),
        "order_line_items": lines,
        "line_item_taxes": taxes,
        "line_item_discounts": discounts,
        "linked_credit_notes": [],
        "resent_orders": [],
        "billing_address": invoice.get("billing_address"),
        "shipping_address": invoice.get("shipping_address"),
    }
    order |= {k: params[k] for k in ECHOED if k in params}
    return {k: v for k, v in order.items() if v is not None}


CHECKOUT_PAGE_TTL = 3 * 3600  # the document: checkout pages expire 3 hours after creation


def hosted_page(state, fulfillment_id: str, option: dict[str, Any], now: int) -> dict[str, Any]:
    """The checkout page of a checkout fulfillment, as the HostedPage schema describes it."""
    page_id = "hp_" + fulfillment_id.removeprefix("of_")
    page: dict[str, Any] = {
        "id": page_id,
        "type": "checkout_existing",
        "url": f"https://{state.data.get('site', 'conformance-test')}.chargebee.com/pages/v4/{page_id}/",
        "state": "created",
        "layout": option.get("processing_layout", "full_page"),
        "created_at": now,
        "expires_at": now + CHECKOUT_PAGE_TTL,
        "updated_at": now,
        "resource_version": now * 1000,
    }
    if state.reading("AMB-HOSTED-PAGE-CONTENT") == "listed-required":
        page["content"] = {}
    return page


def _line(order_id: str, invoice: dict[str, Any], item: dict[str, Any], n: int) -> dict[str, Any]:
    amount = item["unit_price"] * item.get("quantity", 1)
    return {
        "id": f"{order_id}_li{n}"[-40:],
        "invoice_id": invoice["id"],
        "invoice_line_item_id": item["id"],
        "entity_type": item["entity_type"],
        "entity_id": item.get("entity_id"),
        "description": item.get("description"),
        "unit_price": item["unit_price"],
        "amount": amount,
        "fulfillment_quantity": item.get("quantity", 1),
        "fulfillment_amount": amount - item.get("discount", 0),
        "discount_amount": item.get("discount", 0),
        "item_level_discount_amount": item.get("discount", 0),
        "tax_amount": _tax_of(invoice, amount - item.get("discount", 0)),
        "amount_paid": 0,
        "amount_adjusted": 0,
        "refundable_credits_issued": 0,
        "refundable_credits": 0,
        "is_shippable": item["entity_type"] != "charge_item_price",
        "status": "queued",
    }


def _discount(item: dict[str, Any]) -> dict[str, Any]:
    found = {
        "line_item_id": item["id"],
        "discount_type": item.get("discount_type", "item_level_discount"),
        "discount_amount": item["discount"],
    }
    if item.get("discount_entity_id"):
        found["entity_id"] = item["discount_entity_id"]
    return found


def _tax_of(invoice: dict[str, Any], taxable: int) -> int:
    return round(taxable * invoice.get("tax_rate", 0) / 100)


def _tax(invoice: dict[str, Any], line: dict[str, Any]) -> dict[str, Any]:
    taxable = line["amount"] - line["discount_amount"]
    return {
        "line_item_id": line["id"],
        "tax_name": invoice["tax_name"],
        "tax_rate": invoice["tax_rate"],
        "taxable_amount": taxable,
        "tax_amount": line["tax_amount"],
        "tax_juris_type": invoice.get("tax_juris_type", "other"),
        "tax_juris_name": invoice.get("tax_juris_name"),
        "tax_juris_code": invoice.get("tax_juris_code"),
        "is_partial_tax_applied": False,
        "is_non_compliance_tax": False,
    }
