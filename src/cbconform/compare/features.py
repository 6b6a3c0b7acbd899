"""The parts of the compare plan beyond the five operations' bodies: every documented request header's
valid and invalid values, and, where the target offers the feature, idempotency, the event log and the
clock. A target without a feature skips its part, so a rule it cannot exercise shows as not exercised.

Each request is a step of the plan (`Planner.step`); an event-log read judges the step that led to it."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from cbconform import connection
from cbconform.checks import ConformanceFailure
from cbconform.compare.plan import Planner, Step, _resource
from cbconform.exchange import Exchange
from cbconform.generation import header_cases
from cbconform.suitekit import facts_of

CREATE, UPDATE = "create_offer_fulfillment", "update_offer_fulfillment"
KEY = "chargebee-idempotency-key"
REPLAYED = "chargebee-idempotency-replayed"
SKIPS = (
    ("chargebee-event-actions", "HDR-EVENT-ACTIONS-SKIPS", {"webhook", "email", "slack", "segment"}),
    ("chargebee-event-email", "HDR-EVENT-EMAIL-SKIPS", {"email"}),
    ("chargebee-event-webhook", "HDR-EVENT-WEBHOOK-SKIPS", {"webhook"}),
)
HOUR = 3600
LIMIT = 3


def plan(planner: Planner, offer: dict[str, Any]) -> None:
    api, contracts = planner.api, planner.contracts
    discovered = frozenset((api.admin("GET", "") or {}).get("features", ()))
    offered = connection.features(api.target, contracts) | discovered
    admin = connection.Admin(api, offered, "compare")
    part = Part(planner, offer, admin)
    part.headers()
    parts = {
        "idempotency": part.idempotency,
        "event-log": part.events,
        "clock": part.clock,
        "rate-limit": part.rate_limit,
    }
    for feature, run in parts.items():
        if admin.offers(feature):
            run()


class Part:
    def __init__(self, planner: Planner, offer: dict[str, Any], admin: connection.Admin):
        self.planner, self.offer, self.admin = planner, offer, admin
        self.expect, self.facts = planner.expect, facts_of(planner.contracts)

    def body(self, processing_type: str) -> dict[str, Any] | None:
        option = next((o for o in self.offer["options"] if o.get("processing_type") == processing_type), None)
        return {"personalized_offer_id": self.offer["id"], "option_id": option["id"]} if option else None

    def headers(self) -> None:
        body = self.body(self.facts.waiting[-1])
        if body is None:
            return
        for case in header_cases(self.planner.contracts):
            if case.header not in self.planner.contracts.operation(CREATE).headers:
                continue
            if case.header == KEY and not self.admin.offers("idempotency"):
                continue
            value = self.planner.fresh_id("k", len(case.value)) if case.keyword == "maxLength" else case.value
            judge = (
                (lambda ex, c=case: self.expect.accepted(ex, c.rule))
                if case.valid
                else (lambda ex, c=case: self.expect.rejected(ex, c.rule, param=c.header))
            )
            headers = {case.header: value}
            self.planner.step(f"create with {case.label}", CREATE, judge, body=body, headers=headers)

    def idempotency(self) -> None:
        one, another = self.body(self.facts.waiting[0]), self.body(self.facts.waiting[-1])
        if one is None or another is None:
            return
        key = {KEY: self.planner.fresh_id("idem-", 40)}
        first = self.planner.step("create with a fresh key", CREATE, self._fresh, body=one, headers=key)

        def replayed(ex: Exchange) -> None:
            got = ex.response_headers.get(REPLAYED)
            self.expect.that(got == "true", "IDEM-REPLAY", f"{REPLAYED}: true", got, ex)
            same = (ex.status, ex.json()) == (first.status, first.json())
            self.expect.that(same, "IDEM-REPLAY", f"HTTP {first.status} with the first body", ex.status, ex)

        self.planner.step("create again with the same key", CREATE, replayed, body=one, headers=key)

        def conflict(ex: Exchange) -> None:
            self.expect.rejected(ex, "IDEM-CONFLICT-422", (422,))

        self.planner.step("the same key, another payload", CREATE, conflict, body=another, headers=key)

    def _fresh(self, ex: Exchange) -> None:
        self.expect.accepted(ex, "CRT-STATUS-202")
        got = ex.response_headers.get(REPLAYED)
        self.expect.that(got is None, "IDEM-REPLAYED-HEADER-ABSENT", f"no {REPLAYED}", got, ex)

    def events(self) -> None:
        body = self.body(self.facts.waiting[0])
        if body is None:
            return
        origin = {
            "chargebee-request-origin-user": "plain@example.com",
            "chargebee-request-origin-user-encoded": base64.b64encode("jürgen@example.com".encode()).decode(),
        }
        created = self.create("create with both origin-user headers", body, origin)
        events = self.read("events of the create", created, self._accepted)
        self.judge_read("origin user of the create event", created, events, self._precedence)
        for header, rule, skipped in SKIPS:
            created = self.create(f"create with {header}: all-disabled", body, {header: "all-disabled"})
            read = self.events_of(created)
            self.judge_read(f"actions after {header}", created, read, self._skips(rule, skipped))
        for status, kind, rule in (
            (self.facts.completed, "fulfilled", "UPD-FULFILLED-EVENT"),
            (self.facts.failed, "failed", "UPD-FAILED-EVENT"),
        ):
            self.update_event(body, status, kind, rule)

    def update_event(self, body: dict[str, Any], status: str, kind: str, rule: str) -> None:
        created = self.create(f"create to update to {status}", body, None)
        fulfillment = _resource(created, "offer_fulfillment")
        if fulfillment.get("status") != self.facts.pending:
            return
        update = {"id": fulfillment["id"], "status": status, "failure_reason": "Declined by the partner."}
        updated = self.planner.step(
            f"update to {status} (events)", UPDATE, lambda ex: self.expect.accepted(ex, "UPD-STATUS-200"),
            path_id=fulfillment["id"], body=update,
        )  # fmt: skip
        kinds = [e.get("type") for e in self.events_of(created)]

        def judge(ex: Exchange, kinds: list[Any]) -> None:
            self.expect.that(kinds[-1:] == [kind], rule, f"a {kind} event after the update", kinds, ex)

        self.judge_read(f"events after the update to {status}", updated, kinds, judge)

    def create(self, label: str, body: dict[str, Any], headers: dict[str, str] | None) -> Exchange:
        judge = lambda ex: self.expect.accepted(ex, "CRT-STATUS-202")  # noqa: E731
        return self.planner.step(label, CREATE, judge, body=body, headers=headers)

    def events_of(self, created: Exchange) -> list[dict[str, Any]]:
        fulfillment_id = _resource(created, "offer_fulfillment").get("id")
        return self.admin.events(fulfillment_id) if fulfillment_id else []

    def read(self, label: str, created: Exchange, judge: Callable) -> list[dict[str, Any]]:
        events = self.events_of(created)
        self.judge_read(label, created, [e.get("type") for e in events], judge)
        return events

    def judge_read(self, label: str, ex: Exchange, read: Any, judge: Callable[[Exchange, Any], None]) -> None:
        try:
            judge(ex, read)
        except ConformanceFailure as failure:
            self.planner.run.steps.append(Step(label, "event_log", ex, failure.failures))
        else:
            self.planner.run.steps.append(Step(label, "event_log", ex, []))

    def _accepted(self, ex: Exchange, kinds: list[Any]) -> None:
        wanted = "an accepted event at once"
        self.expect.that(kinds[:1] == ["accepted"], "CRT-ACCEPTED-EVENT", wanted, kinds, ex)

    def _precedence(self, ex: Exchange, events: list[dict[str, Any]]) -> None:
        user = (events[0].get("origin") or {}).get("user") if events else None
        wanted = "the -user-encoded email (jürgen@example.com)"
        self.expect.that(user == "jürgen@example.com", "HDR-ORIGIN-USER-ENCODED-PRECEDENCE", wanted, user, ex)

    def _skips(self, rule: str, skipped: set[str]) -> Callable[[Exchange, Any], None]:
        def judge(ex: Exchange, events: list[dict[str, Any]]) -> None:
            actions = (events[-1].get("actions") or {}) if events else {}
            actually = {name for name, done in actions.items() if done == "skipped"}
            documented = f"skipped: {sorted(skipped)}, the rest sent"
            self.expect.that(actually == skipped, rule, documented, actions, ex)

        return judge

    def rate_limit(self) -> None:
        """A limit of LIMIT a minute for LIMIT + 1 requests, then none: the last one is refused."""
        body = {"customer_id": self.planner.target.customer_id}
        self.admin.rate_limit(LIMIT)
        try:
            for n in range(LIMIT):
                judge = lambda ex: self.expect.accepted(ex, "PO-RESPONSE-STATUS-200")  # noqa: E731
                self.planner.step(f"offers {n + 1} of {LIMIT} a minute", "personalized_offers", judge,
                                  body=body, retry_429=False)  # fmt: skip
            self.planner.step("offers past the limit", "personalized_offers", self._limited, body=body,
                              retry_429=False)  # fmt: skip
        finally:
            self.admin.rate_limit(None)

    def _limited(self, ex: Exchange) -> None:
        self.expect.rejected(ex, "RATE-LIMIT-429", (429,))
        retry = ex.response_headers.get("retry-after", "")
        wanted = "a Retry-After header in seconds"
        self.expect.that(retry.isdigit(), "RATE-RETRY-AFTER", wanted, retry or "(none)", ex)

    def clock(self) -> None:
        kinds = self.facts.chargebee_types
        body = self.body(kinds[0]) if kinds else None
        if body is None:
            return
        created = self.create("create one Chargebee processes", body, None)
        fulfillment = _resource(created, "offer_fulfillment")
        if not fulfillment:
            return
        self.admin.advance(HOUR)

        def settled(ex: Exchange) -> None:
            self.expect.accepted(ex, "RET-STATUS-200")
            status = _resource(ex, "offer_fulfillment").get("status")
            wanted = f"{' or '.join(self.facts.settled)} an hour later"
            self.expect.that(status in self.facts.settled, "CRT-CHARGEBEE-PROCESSES", wanted, status, ex)

        self.planner.step(
            "retrieve an hour later", "retrieve_offer_fulfillment", settled, path_id=fulfillment["id"]
        )
