"""What the suites share: helpers, fixtures, and parameters built at collection from the session's
contracts (so `--reading` reaches them). suites/conftest.py exposes the fixtures and hooks; a suite
module imports the helpers and never loads the contracts itself.

Parameters that depend on the contracts are declared with `from_contracts(argnames, source)`, where
`source(contracts)` returns the values; the rules a response schema names are cited with
`schema_rules(*schemas, extra=...)`. Both are expanded with the contracts of the run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pytest

from cbconform import planner
from cbconform.checks import not_applicable
from cbconform.contracts import Contracts
from cbconform.parametrize import request_cases, rules_mark
from cbconform.plugin import KEY

CASE_OPERATIONS = {
    "po_case": "personalized_offers",
    "create_case": "create_offer_fulfillment",
    "update_case": "update_offer_fulfillment",
    "order_case": "create_order",
}
RESOURCE = "offer_fulfillment.json"
UPDATE = "requests/update_offer_fulfillment.json"


def session_contracts(config: pytest.Config) -> Contracts:
    return config.stash[KEY].contracts


# ---------------------------------------------------------------------- facts the schemas hold


@dataclass(frozen=True)
class Facts:
    """The lifecycle vocabulary, read from the schemas: nothing here is spelled in code."""

    processing_types: tuple[str, ...]
    merchant_types: tuple[str, ...]
    chargebee_types: tuple[str, ...]
    settled: tuple[str, ...]  # the statuses an update may set
    pending: str  # the status a fulfillment waits in
    completed: str
    failed: str
    stamps: dict[str, frozenset[str]]  # status -> fields present exactly then
    checkout: str  # the type whose create answer carries a hosted page
    redirecting: str  # the merchant type that redirects, and may complete at once
    waiting: tuple[str, ...]  # the merchant types that always wait for the merchant's update
    id_limit: int


@lru_cache(maxsize=16)
def facts_of(contracts: Contracts) -> Facts:
    resource, update = contracts.schemas[RESOURCE], contracts.schemas[UPDATE]
    types = tuple(resource["properties"]["processing_type"]["enum"])
    merchant = tuple(update["$defs"]["merchant_processing_type"]["enum"])
    settled = tuple(update["properties"]["status"]["enum"])
    statuses = resource["properties"]["status"]["enum"]
    stamps: dict[str, set[str]] = {}
    for entry in resource["allOf"]:
        if _const(entry):
            stamps.setdefault(_const(entry), set()).update(_then(entry))
    redirect_types = set(_find(_rule_node(resource, "OF-REDIRECT-URL-ONLY-TYPES"), "enum"))
    hosted = _rule_node(contracts.schemas["offer_fulfillment_response.json"], "CRT-HOSTED-PAGE-ONLY-CHECKOUT")
    return Facts(
        processing_types=types,
        merchant_types=merchant,
        chargebee_types=tuple(t for t in types if t not in merchant),
        settled=settled,
        pending=next(s for s in statuses if s not in settled),
        completed=_const(_rule_node(resource, "OF-COMPLETED-AT-ONLY-COMPLETED")),
        failed=_const(_rule_node(resource, "OF-FAILED-AT-ONLY-FAILED")),
        stamps={s: frozenset(stamps.get(s, ())) for s in statuses},
        checkout=_find(hosted, "const"),
        redirecting=next(t for t in merchant if t in redirect_types),
        waiting=tuple(t for t in merchant if t not in redirect_types),
        id_limit=resource["properties"]["id"]["maxLength"],
    )


def _rule_node(schema: dict[str, Any], rule: str) -> dict[str, Any]:
    return next(e for e in schema.get("allOf", []) if e.get("x-rule") == rule)


def _const(entry: dict[str, Any]) -> str | None:
    return entry["if"].get("properties", {}).get("status", {}).get("const")


def _then(entry: dict[str, Any]) -> list[str]:
    return entry.get("then", {}).get("required", [])


def _find(node: Any, keyword: str) -> Any:
    """The first value of `keyword` in a schema node, depth first."""
    if isinstance(node, dict):
        if keyword in node:
            return node[keyword]
        return next((c for c in (_find(v, keyword) for v in node.values()) if c is not None), None)
    return None


def update_body(contracts: Contracts, fulfillment_id: str, status: str, reason: str) -> dict[str, Any]:
    """A valid update to `status`, with the fields the update schema requires for it (failure_reason
    for a failure, unless the reading says the requirement is prose only)."""
    body = {"id": fulfillment_id, "status": status}
    for entry in contracts.schemas[UPDATE].get("allOf", []):
        if _const(entry) == status:
            body |= dict.fromkeys(_then(entry), reason)
    return body


def example_body(contracts: Contracts, operation: str) -> dict[str, Any]:
    from cbconform.generation import example

    schema = contracts.operation(operation).request_body
    return example(contracts.schemas[schema]) if schema else {}


# ---------------------------------------------------------------------- declared parameters


def from_contracts(
    argnames: str, source: Callable[[Contracts], list], ids: Callable[[Any], str] | None = None
) -> pytest.MarkDecorator:
    """Parametrize `argnames` with `source(contracts)`, the run's contracts, at collection."""
    return pytest.mark.cb_from_contracts(argnames, source, ids=ids)


def from_facts(argnames: str, name: str) -> pytest.MarkDecorator:
    """Parametrize `argnames` with one of the Facts lists, e.g. `from_facts("status", "settled")`."""
    return from_contracts(argnames, lambda c: list(getattr(facts_of(c), name)))


def schema_rules(
    *schemas: str | Callable[[Contracts], list[str]], extra: tuple[str, ...] = ()
) -> pytest.MarkDecorator:
    """Cite every rule the schemas name (under the run's readings) and the `extra` ones; a callable
    names schemas from the contracts."""
    return pytest.mark.cb_schema_rules(*schemas, extra=extra)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cb_from_contracts(argnames, source): parameters from the contracts")
    config.addinivalue_line("markers", "cb_schema_rules(*schemas, extra): cite the rules of schemas")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    contracts = session_contracts(metafunc.config)
    for argument, operation in CASE_OPERATIONS.items():
        if argument in metafunc.fixturenames:
            schema = contracts.operation(operation).request_body
            params = request_cases(contracts, schema)
            if planner.active(metafunc.config):  # one request for every field at its maximum
                params = planner.together(params, (*getattr(metafunc.module, "REFERENCES", ()), "id"))
            metafunc.parametrize((argument, "encoding"), params)
    for mark in metafunc.definition.iter_markers("cb_from_contracts"):
        argnames, source = mark.args
        metafunc.parametrize(argnames, source(contracts), ids=mark.kwargs.get("ids"))


@pytest.hookimpl(tryfirst=True)  # before any plugin that selects tests by the rules they cite
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    contracts = session_contracts(config)
    for item in items:
        for mark in list(item.iter_markers("cb_schema_rules")):
            names = [n for a in mark.args for n in (a(contracts) if callable(a) else [a])]
            item.add_marker(rules_mark(contracts, *names, extra=mark.kwargs.get("extra", ())))
    planner.select(config, items)


# ---------------------------------------------------------------------- helpers and fixtures


def needs(admin, contracts: Contracts, feature: str) -> None:
    if not admin.offers(feature):
        not_applicable(contracts.needs.get(feature, f"the target does not offer {feature}"))


def option_of(offer: dict[str, Any], processing_type: str) -> dict[str, Any]:
    for option in offer["options"]:
        if option["processing_type"] == processing_type:
            return option
    pytest.skip(f"the offer has no {processing_type} option; configure a customer whose offer has one")


@pytest.fixture(scope="session")
def facts(contracts) -> Facts:
    return facts_of(contracts)


def json_read(contracts: Contracts) -> bool:
    return contracts.reading("AMB-REQUEST-ENCODING").value == "both"


@pytest.fixture(autouse=True)
def _json_bodies(request: pytest.FixtureRequest, contracts) -> None:
    """A case sent as JSON applies only where the target must read JSON bodies."""
    callspec = getattr(request.node, "callspec", None)
    if callspec and callspec.params.get("encoding") == "json" and not json_read(contracts):
        not_applicable("AMB-REQUEST-ENCODING=form-only: JSON bodies are not required")


@pytest.fixture(autouse=True)
def _every_answer_checked(expect, coverage):
    """Answers a test only read from (a retrieve to compare) are judged by the response checks too."""
    yield
    expect.sweep(list(coverage.current))


@pytest.fixture
def offer(request, api, target, expect) -> dict[str, Any]:
    if planner.active(request.config):  # a sandbox run fetches the offer once
        return _shared(request, "offer", lambda: _offer(api, target, expect))
    return _offer(api, target, expect)


SHARED = pytest.StashKey[dict]()


def _shared(request: pytest.FixtureRequest, name: str, make: Callable[[], Any]) -> Any:
    """Made once per run; a later test that reuses it carries the exchanges that made it in its story,
    so its failures replay on a fresh target."""
    kept = request.config.stash.setdefault(SHARED, {})
    log = request.getfixturevalue("coverage").current
    if name not in kept:
        before = len(log)
        value = make()
        kept[name] = (value, list(log[before:]))
        return value
    value, made = kept[name]
    if hasattr(log, "depends_on"):
        log.depends_on(made)
    return value


def forget(request: pytest.FixtureRequest, processing_type: str) -> None:
    """A shared pending fulfillment that an update changed (the target accepted it) is shared no more."""
    request.config.stash.get(SHARED, {}).pop(f"pending {processing_type}", None)


def _offer(api, target, expect) -> dict[str, Any]:
    exchange = expect.accepted(
        api.call("personalized_offers", body={"customer_id": target.customer_id}), "PO-RESPONSE-STATUS-200"
    )
    offers = exchange.json()["personalized_offers"]
    if not offers:
        pytest.skip(
            f"the target has no offer for customer {target.customer_id!r};"
            " set customer_id in the target configuration"
        )
    return offers[0]


@pytest.fixture
def create(request, api, expect, offer, contracts) -> Callable[..., dict[str, Any]]:
    """Accepts the offer's option of a processing type; returns the created fulfillment. `reuse=True`
    says the test only reads it: a sandbox run then hands every such test the same one of each type."""
    default = "json" if json_read(contracts) else "form"

    def make(
        processing_type: str,
        encoding: str | None = None,
        headers: dict[str, str] | None = None,
        reuse: bool = False,
    ) -> dict[str, Any]:
        if reuse and planner.active(request.config):
            return _shared(request, f"created {processing_type}", lambda: make(processing_type))
        encoding = encoding or default
        option = option_of(offer, processing_type)
        body = {"personalized_offer_id": offer["id"], "option_id": option["id"]}
        exchange = api.call("create_offer_fulfillment", body=body, encoding=encoding, headers=headers)
        expect.accepted(exchange, "CRT-STATUS-202", "PO-OPTIONS-ACCEPTABLE")
        return exchange.json()["offer_fulfillment"]

    return make


@pytest.fixture
def in_progress(request, create, contracts) -> Callable[..., dict[str, Any]]:
    """A fulfillment the merchant may still update, or a skip when the target settles it at once."""
    pending = facts_of(contracts).pending

    def make(processing_type: str, reuse: bool = False) -> dict[str, Any]:
        """`reuse=True`: the test leaves it pending (its update is refused), so a sandbox run shares one."""
        if reuse and planner.active(request.config):
            return _shared(request, f"pending {processing_type}", lambda: make(processing_type))
        fulfillment = create(processing_type)
        if fulfillment["status"] != pending:
            pytest.skip(
                f"the target settled the {processing_type} fulfillment at once (AMB-URL-REDIRECT-IMMEDIATE)"
            )
        return fulfillment

    return make


def judge_case(expect, coverage, operation: str, case, exchange, references: tuple[str, ...] = ()) -> None:
    """The verdict on one request case: valid ones accepted, invalid ones refused naming the field.

    A reference id at its maximum length names nothing on the target, so it may be refused as unknown
    (404), but never as too long."""
    if isinstance(case, planner.Together):
        return planner.judge_together(expect, coverage, operation, case, exchange)
    if case.max_length:
        sent = case.max_length + (0 if case.valid else 1)
        coverage.boundary(f"{operation} {case.param}", case.max_length, sent)
    if case.valid and case.path[-1] in references:
        body = exchange.json()
        named = body.get("param") if isinstance(body, dict) else None
        expect.that(
            not (exchange.status == 400 and named == case.param),
            case.rule,
            f"{case.param} of {case.max_length} not refused as too long",
            f"HTTP 400 naming {named}",
            exchange,
        )
        expect.conforms(exchange)
    elif case.valid:
        expect.accepted(exchange, case.rule)
    else:
        expect.rejected(exchange, case.rule, param=case.param)
