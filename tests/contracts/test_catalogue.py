"""The rule catalogue, the ambiguity register and the operation table are well formed and agree."""

from __future__ import annotations

import re
import tomllib

import pytest

from cbconform import contracts

C = contracts.load()
ID = re.compile(r"^[A-Z]+(-[A-Z0-9]+)+$")


def test_rule_ids_are_unique_in_the_file() -> None:
    raw = tomllib.loads((C.root / "rules.toml").read_text(encoding="utf-8"))
    ids = [r["id"] for r in raw["rule"]]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("rule", C.rules.values(), ids=lambda r: r.id)
def test_rule_is_well_formed(rule: contracts.Rule) -> None:
    assert ID.match(rule.id)
    assert rule.level in ("MUST", "SHOULD")
    assert rule.statement.endswith(".") and len(rule.statement) <= 220
    assert rule.page in C.pages, f"unknown source page {rule.page!r}"
    assert rule.section, "a rule names the attribute or section of its page"
    assert rule.operations and all(op == "*" or op in C.operations for op in rule.operations)
    assert rule.area in ("resources", "lifecycle", "headers", "errors", "orders")
    assert rule.needs is None or rule.needs in C.needs
    assert rule.ambiguity is None or rule.ambiguity in C.ambiguities


def test_every_page_is_cited() -> None:
    assert {r.page for r in C.rules.values()} == set(C.pages)


def test_every_operation_has_rules() -> None:
    for op in C.operations:
        assert C.rules_for(op), op


@pytest.mark.parametrize("amb", C.ambiguities.values(), ids=lambda a: a.id)
def test_ambiguity_is_well_formed(amb: contracts.Ambiguity) -> None:
    assert amb.question.endswith("?")
    assert amb.default in {r.name for r in amb.readings}
    assert all(rule in C.rules for rule in amb.rules)
    assert len({r.name for r in amb.readings}) == len(amb.readings)


@pytest.mark.parametrize(
    ("amb_id", "reading"),
    [(a.id, r.name) for a in C.ambiguities.values() for r in a.readings],
)
def test_every_reading_loads(amb_id: str, reading: str) -> None:
    chosen = contracts.load({amb_id: reading})
    assert chosen.readings[amb_id] == reading
    for name in chosen.schemas:
        chosen.validator(name)


def test_rules_citing_an_ambiguity_are_listed_by_it() -> None:
    for rule in C.rules.values():
        if rule.ambiguity:
            assert rule.id in C.ambiguities[rule.ambiguity].rules, rule.id


def test_unknown_reading_is_refused_plainly() -> None:
    with pytest.raises(contracts.ContractError, match="no reading"):
        contracts.load({"AMB-SEVEN-DAY-CODE": "maybe"})
    with pytest.raises(contracts.ContractError, match="no such ambiguity"):
        contracts.load({"AMB-NOPE": "x"})


def test_readings_change_what_is_enforced() -> None:
    body = {"customer_id": "c", "request_context": {"timezone": "UTC"}}
    assert contracts.load().validate("requests/personalized_offers.json", body)
    assert not contracts.load({"AMB-REQUEST-CONTEXT-REQUIRED": "spec"}).validate(
        "requests/personalized_offers.json", body
    )


def test_error_table_statuses_are_unique_and_cover_operations() -> None:
    statuses = [row.status for row in C.error_table]
    assert len(statuses) == len(set(statuses))
    for op in C.operations.values():
        assert set(op.error_statuses) <= set(statuses), op.id


def test_operation_schemas_exist() -> None:
    for op in C.operations.values():
        for name in (op.request_body, op.path_params, op.response):
            assert name is None or name in C.schemas, (op.id, name)
        assert set(op.headers) <= set(C.schemas["request_headers.json"]["properties"])
