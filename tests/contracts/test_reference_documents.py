"""The reference server's full documents hold to the completed contracts: a realistic order consistent
with the invoice it comes from, and a hosted page as the official document describes it."""

from __future__ import annotations

import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest

from cbconform import contracts
from cbconform.server import order_document

C = contracts.load()
DEFAULT_DATA = Path(order_document.__file__).parent / "data" / "default.toml"
DATA = tomllib.loads(DEFAULT_DATA.read_text(encoding="utf-8"))


@pytest.mark.parametrize("invoice", DATA["invoice"], ids=lambda i: i["id"])
def test_order_is_valid_and_consistent_with_its_invoice(invoice: dict) -> None:
    order = order_document.build(invoice, "ord_000042", {"invoice_id": invoice["id"]}, 1_700_000_000)
    assert C.validate("order_response.json", {"order": order}) == []
    lines = order["order_line_items"]
    assert [li["invoice_line_item_id"] for li in lines] == [li["id"] for li in invoice["line_item"]]
    assert order["sub_total"] == sum(li["amount"] for li in lines)
    assert order["discount"] == sum(d["discount_amount"] for d in order["line_item_discounts"])
    assert order["tax"] == sum(t["tax_amount"] for t in order["line_item_taxes"])
    added_tax = order["tax"] if order["price_type"] == "tax_exclusive" else 0
    assert order["total"] == order["sub_total"] - order["discount"] + added_tax
    assert order["currency_code"] == invoice["currency_code"] and order["status"] == "new"
    documented = set(C.schemas["order.json"]["properties"])
    assert set(C.schemas["order.json"]["required"]) <= set(order) <= documented


def test_an_order_from_a_full_invoice_carries_its_nested_documents() -> None:
    invoice = DATA["invoice"][0]
    order = order_document.build(invoice, "ord_000043", {"invoice_id": invoice["id"]}, 1_700_000_000)
    for nested in ("order_line_items", "line_item_taxes", "line_item_discounts", "billing_address"):
        assert order[nested], nested
    assert order["payment_status"] == "paid" and order["amount_paid"] == order["total"]


@pytest.mark.parametrize("reading", ["described", "listed-required"])
def test_hosted_page_follows_the_schema_under_each_reading(reading: str) -> None:
    chosen = contracts.load({"AMB-HOSTED-PAGE-CONTENT": reading})
    state = SimpleNamespace(data=DATA, reading=lambda amb: chosen.reading(amb).value)
    option = {"processing_layout": "full_page"}
    page = order_document.hosted_page(state, "of_000001", option, 1_700_000_000)
    assert chosen.validate("hosted_page.json", page) == []
    assert ("content" in page) == (reading == "listed-required")
