"""The fixed request plan `cbconform compare` sends to each target, in the same order.

Derived from the contracts: offers for the configured customer and for one without offers, a create
for every option of the offer, retrieves, merchant updates (valid, on a settled fulfillment, on a type
Chargebee processes), unknown ids, orders, and every request case of the four request schemas. Each
answer is judged with the project's checks (`Expect`), so each target gets a pass or fail per rule.
A step that depends on an earlier answer (an offer id, a fulfillment id) uses the id that target
returned. The seed makes the generated values (order ids) the same for both targets."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cbconform.api import NO_AUTH, Api
from cbconform.checks import ConformanceFailure, Failure
from cbconform.checks.expect import Expect
from cbconform.exchange import Exchange
from cbconform.generation import example
from cbconform.parametrize import request_cases

MERCHANT = {"url_redirect", "webhook", "email"}
UNKNOWN_ID = "cbconform_unknown_0001"
# Request fields that name a resource: at their maximum length they name nothing, so 404 is fine.
REFERENCES = {
    "create_offer_fulfillment": ("personalized_offer_id", "option_id"),
    "create_order": ("invoice_id",),
}


@dataclass
class Step:
    label: str
    operation: str
    exchange: Exchange
    failures: list[Failure]


@dataclass
class Run:
    steps: list[Step] = field(default_factory=list)
    exercised: Counter = field(default_factory=Counter)

    def outcomes(self) -> dict[str, str]:
        failed = {f.rule_id for s in self.steps for f in s.failures}
        return {rule: "fail" if rule in failed else "pass" for rule in set(self.exercised) | failed}


class Planner:
    def __init__(self, api: Api, seed: int):
        self.api, self.contracts, self.target = api, api.contracts, api.target
        self.run = Run()
        self.expect = Expect(self.contracts, self.run.exercised)
        self.random = random.Random(seed)

    def step(self, label: str, operation: str, judge: Callable[[Exchange], Any], **call: Any) -> Exchange:
        exchange = self.api.call(operation, **call)
        try:
            judge(exchange)
        except ConformanceFailure as failure:
            self.run.steps.append(Step(label, operation, exchange, failure.failures))
        else:
            self.run.steps.append(Step(label, operation, exchange, []))
        return exchange

    def fresh_id(self, prefix: str, length: int) -> str:
        text = prefix + "".join(self.random.choice("0123456789abcdef") for _ in range(length))
        return text[:length]

    def reading(self, ambiguity: str) -> Any:
        return self.contracts.reading(ambiguity).value

    # ------------------------------------------------------------------ the plan

    def execute(self) -> Run:
        offer = self.offers()
        if offer:
            created = self.fulfillments(offer)
            self.updates(created)
            self.cases("create_offer_fulfillment", lambda: self._create_base(offer))
            self.cases("update_offer_fulfillment", lambda: self._update_base(offer))
        self.unknown_ids()
        self.orders()
        self.credentials()
        if offer:  # headers; idempotency, event log, clock, rate limit as the targets offer them
            from cbconform.compare import features

            features.plan(self, offer)
        return self.run

    def credentials(self) -> None:
        body = {"customer_id": self.target.customer_id}
        for label, auth, rule in (
            ("offers without a key", NO_AUTH, "AUTH-MISSING-KEY-401"),
            ("offers with a wrong key", ("cbconform_wrong_key", ""), "AUTH-WRONG-KEY-401"),
        ):
            judge = lambda ex, rule=rule: self.expect.rejected(ex, rule, (401,))  # noqa: E731
            self.step(label, "personalized_offers", judge, body=body, auth=auth)

    def offers(self) -> dict[str, Any] | None:
        t, accepted = self.target, self.expect.accepted
        found = None
        for encoding in ("form", "json"):
            exchange = self.step(
                f"offers for {t.customer_id} ({encoding})",
                "personalized_offers",
                lambda ex: accepted(ex, "PO-RESPONSE-STATUS-200"),
                body={"customer_id": t.customer_id},
                encoding=encoding,
            )
            offers = _body(exchange).get("personalized_offers") if exchange.status == 200 else None
            found = found or (_usable(offers[0]) if isinstance(offers, list) and offers else None)

        def empty(ex: Exchange) -> None:
            accepted(ex, "PO-EMPTY-WHEN-NONE")
            got = _body(ex).get("personalized_offers")
            self.expect.that(got == [], "PO-EMPTY-WHEN-NONE", "an empty personalized_offers list", got, ex)

        body = {"customer_id": t.customer_without_offers}
        self.step("offers for a customer without offers", "personalized_offers", empty, body=body)
        self.cases(
            "personalized_offers", lambda: self._example("personalized_offers", customer_id=t.customer_id)
        )
        return found

    def fulfillments(self, offer: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        created = []
        for option in offer.get("options", []):
            kind = option.get("processing_type")
            body = {"personalized_offer_id": offer["id"], "option_id": option["id"]}
            exchange = self.step(
                f"create {kind}",
                "create_offer_fulfillment",
                lambda ex: self.expect.accepted(ex, "CRT-STATUS-202", "PO-OPTIONS-ACCEPTABLE"),
                body=body,
                encoding="json",
            )
            resource = _resource(exchange, "offer_fulfillment")
            if resource.get("id"):
                created.append((kind, resource))
                self.step(
                    f"retrieve {kind}",
                    "retrieve_offer_fulfillment",
                    lambda ex: self.expect.accepted(ex, "RET-STATUS-200"),
                    path_id=resource["id"],
                )
        return created

    def updates(self, created: list[tuple[str, dict[str, Any]]]) -> None:
        merchant_only = self.reading("AMB-MERCHANT-UPDATE-TYPES")
        settled = self.reading("AMB-TERMINAL-UPDATE")
        not_merchant = lambda ex: self.expect.rejected(ex, "UPD-ONLY-MERCHANT-TYPES", merchant_only)  # noqa: E731
        again = lambda ex: self.expect.rejected(ex, "UPD-ONLY-FROM-IN-PROGRESS", settled)  # noqa: E731
        for kind, resource in created:
            status = "completed" if len(kind) % 2 else "failed"
            body = {"id": resource["id"], "status": status, "failure_reason": "Declined by the partner."}
            call = {"path_id": resource["id"], "body": body}
            operation = "update_offer_fulfillment"
            if kind not in MERCHANT:
                self.step(f"update {kind} (Chargebee processes it)", operation, not_merchant, **call)
            elif resource.get("status") == "in_progress":
                self.step(f"update {kind} to {status}", operation, self._applied(status), **call)
                self.step(f"update {kind} again once {status}", operation, again, **call)

    def _applied(self, status: str) -> Callable[[Exchange], None]:
        def judge(ex: Exchange) -> None:
            self.expect.accepted(ex, "UPD-STATUS-200")
            got = _resource(ex, "offer_fulfillment").get("status")
            self.expect.that(got == status, "UPD-APPLIES-STATUS", status, got, ex)

        return judge

    def unknown_ids(self) -> None:
        refused = self.reading("AMB-UNKNOWN-IDS")
        self.step(
            "retrieve an unknown id",
            "retrieve_offer_fulfillment",
            lambda ex: self.expect.rejected(ex, "RET-UNKNOWN-ID-404", (404,)),
            path_id=UNKNOWN_ID,
        )
        self.step(
            "update an unknown id",
            "update_offer_fulfillment",
            lambda ex: self.expect.rejected(ex, "UPD-UNKNOWN-ID-404", refused),
            path_id=UNKNOWN_ID,
            body={"id": UNKNOWN_ID, "status": "completed"},
        )

    def orders(self) -> None:
        t = self.target
        if self.reading("AMB-ORDERS-DEPRECATED") == "withdrawn":
            judge = lambda ex: self.expect.rejected(ex, "ORD-DEPRECATED", range(400, 500))  # noqa: E731
            self.step("order (withdrawn)", "create_order", judge, body={"invoice_id": t.invoice_id})
            return
        accepted = lambda ex: self.expect.accepted(ex, "ORD-STATUS-200")  # noqa: E731
        body = {"invoice_id": t.invoice_id, "id": self.fresh_id("dup-", 30)}
        self.step("order without an id", "create_order", accepted, body={"invoice_id": t.invoice_id})
        self.step("order with an id", "create_order", accepted, body=body)
        self.step(
            "order with a duplicate id",
            "create_order",
            lambda ex: self.expect.rejected(ex, "ORD-DUPLICATE-ID", (400,), param="id"),
            body=body,
        )
        order = lambda: self._example("create_order", invoice_id=t.invoice_id, id=self.fresh_id("ord-", 24))  # noqa: E731
        self.cases("create_order", order)

    # ------------------------------------------------------------------ request cases

    def cases(self, operation: str, base: Callable[[], dict[str, Any] | None]) -> None:
        schema = self.contracts.operation(operation).request_body
        for param in request_cases(self.contracts, schema):
            case, encoding = param.values
            if operation == "update_offer_fulfillment" and case.path == ("id",) and case.kind == "at-max":
                continue  # the body id must be a real fulfillment's id
            valid = base()
            if valid is None:
                continue
            body = case.apply(valid)
            if operation == "create_order" and case.path == ("id",) and case.kind == "at-max":
                body["id"] = self.fresh_id("ord-", case.max_length)  # sent twice (form, json): unique ids
            call: dict[str, Any] = {"body": body, "encoding": encoding}
            if operation == "update_offer_fulfillment":
                call["path_id"] = valid["id"]
            judge = self._case_judge(operation, case)
            self.step(f"{case.label} ({encoding})", operation, judge, **call)

    def _case_judge(self, operation: str, case) -> Callable[[Exchange], None]:
        references = REFERENCES.get(operation, ())

        def judge(ex: Exchange) -> None:
            if case.valid and case.path[-1] in references:
                named = _body(ex).get("param")
                not_too_long = not (ex.status == 400 and named == case.param)
                documented = f"{case.param} of {case.max_length} not refused as too long"
                self.expect.that(not_too_long, case.rule, documented, f"HTTP 400 naming {named}", ex)
                self.expect.conforms(ex)
            elif case.valid:
                self.expect.accepted(ex, case.rule)
            else:
                self.expect.rejected(ex, case.rule, param=case.param)

        return judge

    def _example(self, operation: str, **fixed: Any) -> dict[str, Any]:
        return example(self.contracts.schemas[self.contracts.operation(operation).request_body]) | fixed

    def _create_base(self, offer: dict[str, Any]) -> dict[str, Any] | None:
        option = next((o for o in offer.get("options", []) if o.get("processing_type") == "webhook"), None)
        return {"personalized_offer_id": offer["id"], "option_id": option["id"]} if option else None

    def _update_base(self, offer: dict[str, Any]) -> dict[str, Any] | None:
        base = self._create_base(offer)
        if base is None:
            return None
        resource = _resource(self.api.call("create_offer_fulfillment", body=base), "offer_fulfillment")
        if resource.get("status") != "in_progress":
            return None
        return {"id": resource["id"], "status": "failed", "failure_reason": "Out of stock."}


def _body(exchange: Exchange) -> dict[str, Any]:
    body = exchange.json()
    return body if isinstance(body, dict) else {}


def _resource(exchange: Exchange, key: str) -> dict[str, Any]:
    value = _body(exchange).get(key) if 200 <= exchange.status < 300 else None
    return value if isinstance(value, dict) and isinstance(value.get("id"), str) else {}


def _usable(offer: Any) -> dict[str, Any] | None:
    """An offer the plan can accept options of; a malformed one is judged, not used."""
    if not isinstance(offer, dict) or not isinstance(offer.get("id"), str):
        return None
    options = [o for o in offer.get("options") or [] if isinstance(o, dict) and isinstance(o.get("id"), str)]
    return offer | {"options": options}
