"""The fulfillment lifecycle as a state machine: offers, then fulfillments of every processing type,
retrieved and updated in any order, with the invariants checked after every step; and the rules that
need the target's clock (Chargebee-side processing, the 7-day expiry)."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from cbconform.suitekit import Facts, from_facts, needs, schema_rules

SEVEN_DAYS = 7 * 24 * 3600


def lifecycle(facts: Facts) -> type[RuleBasedStateMachine]:
    """The state machine over this run's processing types and statuses."""

    class Lifecycle(_Lifecycle):
        fulfillments = Bundle("fulfillments")

        @rule(target=fulfillments, processing_type=st.sampled_from(facts.processing_types))
        def accept(self, processing_type):
            return self.do_accept(processing_type)

        @rule(fulfillment_id=fulfillments)
        def retrieve(self, fulfillment_id):
            self.do_retrieve(fulfillment_id)

        @rule(fulfillment_id=fulfillments, status=st.sampled_from(facts.settled))
        def update(self, fulfillment_id, status):
            self.do_update(fulfillment_id, status)

    return Lifecycle


class _Lifecycle(RuleBasedStateMachine):
    def __init__(self, api, expect, target, contracts, facts: Facts):
        super().__init__()
        self.api, self.expect, self.target, self.contracts = api, expect, target, contracts
        self.facts = facts
        self.known: dict[str, dict] = {}
        self.offer: dict = {}

    @initialize()
    def fetch_offer(self):
        exchange = self.expect.accepted(
            self.api.call("personalized_offers", body={"customer_id": self.target.customer_id}),
            "PO-RESPONSE-STATUS-200",
        )
        offers = exchange.json()["personalized_offers"]
        self.offer = offers[0] if offers else {}

    def do_accept(self, processing_type):
        option = next(
            (o for o in self.offer.get("options", []) if o["processing_type"] == processing_type), None
        )
        if option is None:
            return None
        body = {"personalized_offer_id": self.offer["id"], "option_id": option["id"]}
        exchange = self.expect.accepted(
            self.api.call("create_offer_fulfillment", body=body), "CRT-STATUS-202"
        )
        created = exchange.json()["offer_fulfillment"]
        self.known[created["id"]] = created
        return created["id"]

    def do_retrieve(self, fulfillment_id):
        if fulfillment_id is None:
            return
        exchange = self.expect.accepted(
            self.api.call("retrieve_offer_fulfillment", path_id=fulfillment_id), "RET-STATUS-200"
        )
        got, was = exchange.json()["offer_fulfillment"], self.known[fulfillment_id]
        if was["status"] != self.facts.pending:
            self.expect.that(
                got == was, "UPD-ONLY-FROM-IN-PROGRESS", "a settled fulfillment never changes", got, exchange
            )
        self.known[fulfillment_id] = got

    def do_update(self, fulfillment_id, status):
        if fulfillment_id is None:
            return
        was = self.known[fulfillment_id]
        body = {"id": fulfillment_id, "status": status, "failure_reason": "Declined by the partner."}
        exchange = self.api.call("update_offer_fulfillment", path_id=fulfillment_id, body=body)
        if was["processing_type"] not in self.facts.merchant_types:
            refused = self.contracts.reading("AMB-MERCHANT-UPDATE-TYPES").value
            self.expect.rejected(exchange, "UPD-ONLY-MERCHANT-TYPES", refused)
        elif was["status"] != self.facts.pending:
            refused = self.contracts.reading("AMB-TERMINAL-UPDATE").value
            self.expect.rejected(exchange, "UPD-ONLY-FROM-IN-PROGRESS", refused)
        else:
            got = self.expect.accepted(exchange, "UPD-STATUS-200").json()["offer_fulfillment"]
            self.expect.that(got["status"] == status, "UPD-APPLIES-STATUS", status, got["status"], exchange)
            self.known[fulfillment_id] = got

    @invariant()
    def settled_ones_carry_their_timestamps(self):
        for fulfillment in self.known.values():
            every = set().union(*self.facts.stamps.values())
            stamps = {k for k in every if k in fulfillment}
            wanted = set(self.facts.stamps.get(fulfillment["status"], ()))
            self.expect.that(
                stamps == wanted,
                "OF-COMPLETED-AT-ONLY-COMPLETED",
                f"{sorted(wanted)} for {fulfillment['status']}",
                sorted(stamps),
                None,
            )


@schema_rules(
    "offer_fulfillment_response.json",
    extra=(
        "UPD-APPLIES-STATUS",
        "UPD-ONLY-FROM-IN-PROGRESS",
        "UPD-ONLY-MERCHANT-TYPES",
        "RET-STATUS-200",
        "CRT-STATUS-202",
        "UPD-STATUS-200",
        "OF-FAILED-AT-ONLY-FAILED",
        "OF-ERROR-ONLY-FAILED",
        "OF-COMPLETED-AFTER-CREATED",
        "OF-FAILED-AFTER-CREATED",
    ),
)
def test_lifecycle_state_machine_keeps_invariants(api, expect, target, contracts, facts):
    machine = lifecycle(facts)
    run_state_machine_as_test(lambda: machine(api, expect, target, contracts, facts))


@pytest.mark.exclusive("moves the target's clock")
@pytest.mark.rule("CRT-CHARGEBEE-PROCESSES", "OF-COMPLETED-AFTER-CREATED", "OF-FAILED-AFTER-CREATED")
@from_facts("processing_type", "chargebee_types")
def test_lifecycle_chargebee_processed_settles_as_clock_advances(
    api, expect, create, admin, contracts, facts, processing_type
):
    needs(admin, contracts, "clock")
    fulfillment = create(processing_type)
    admin.advance(3600)
    exchange = expect.accepted(
        api.call("retrieve_offer_fulfillment", path_id=fulfillment["id"]), "RET-STATUS-200"
    )
    status = exchange.json()["offer_fulfillment"]["status"]
    expect.that(
        status in facts.settled,
        "CRT-CHARGEBEE-PROCESSES",
        f"{' or '.join(facts.settled)} an hour later",
        status,
        exchange,
    )


@pytest.mark.exclusive("moves the target's clock")
@pytest.mark.rule("UPD-SEVEN-DAY-EXPIRY", "OF-FAILED-AT-ONLY-FAILED", "OF-ERROR-CODE-ENUM")
@from_facts("processing_type", "merchant_types")
def test_lifecycle_seven_days_without_update_fails(
    api, expect, in_progress, admin, contracts, facts, processing_type
):
    needs(admin, contracts, "clock")
    fulfillment = in_progress(processing_type)
    admin.advance(SEVEN_DAYS - 60)
    early = api.call("retrieve_offer_fulfillment", path_id=fulfillment["id"]).json()["offer_fulfillment"]
    expect.that(
        early["status"] == facts.pending,
        "UPD-SEVEN-DAY-EXPIRY",
        f"still {facts.pending} before 7 days",
        early["status"],
        None,
    )
    admin.advance(120)
    exchange = expect.accepted(
        api.call("retrieve_offer_fulfillment", path_id=fulfillment["id"]), "RET-STATUS-200"
    )
    got = exchange.json()["offer_fulfillment"]
    code = contracts.reading("AMB-SEVEN-DAY-CODE").value
    expect.that(
        got["status"] == facts.failed and got.get("error", {}).get("code") == code,
        "UPD-SEVEN-DAY-EXPIRY",
        f"{facts.failed} with error.code {code}",
        {"status": got["status"], "error": got.get("error")},
        exchange,
    )
