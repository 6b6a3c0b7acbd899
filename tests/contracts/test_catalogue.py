"""The rule catalogue, the ambiguity register and the operation table are well formed and agree."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from cbconform import contracts

C = contracts.load()
ROOT = Path(__file__).resolve().parents[2]
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
    assert rule.area in C.areas
    assert rule.needs is None or rule.needs in C.needs
    assert rule.ambiguity is None or rule.ambiguity in C.ambiguities


@pytest.mark.parametrize("rule", C.rules.values(), ids=lambda r: r.id)
def test_rule_has_evidence_and_a_public_source(rule: contracts.Rule) -> None:
    assert rule.evidence in ("seed", "spec", "docs", "sdk", "inferred")
    assert rule.source_url.startswith("https://"), rule.source
    assert rule.quote, "the documented words (or, for an inferred rule, the nearest ones) are quoted"
    if C.pages[rule.page].get("seed"):
        assert rule.evidence in ("seed", "inferred"), "a seed page is seed evidence"
    if rule.page == "spec":
        assert rule.section.startswith("#/"), "the OpenAPI document is cited by JSON Pointer"
        assert rule.evidence in ("spec", "inferred")


def test_spec_pointers_resolve_in_the_vendored_document() -> None:
    import jsonpointer

    doc = json.loads((ROOT / "tests" / "data" / "chargebee-openapi-subset.json").read_text(encoding="utf-8"))
    for rule in C.rules.values():
        if rule.page == "spec":
            jsonpointer.resolve_pointer(doc, rule.section[1:])


def test_only_documented_must_rules_gate_by_default() -> None:
    for rule in C.rules.values():
        assert rule.gates(strict=False) == (rule.level == "MUST" and rule.evidence != "inferred")
        assert rule.gates(strict=True) == (rule.level == "MUST")


def test_areas_come_from_the_data() -> None:
    assert {r.area for r in C.rules.values()} <= set(C.areas)
    assert all(group["area"] in C.areas for group in C.groups.values())


def test_no_source_names_a_file_outside_the_repository() -> None:
    for page in C.pages.values():
        assert page["url"].startswith("https://") and "/work/" not in page["url"], page["id"]
    text = (C.root / "rules.toml").read_text(encoding="utf-8")
    assert "facts §" not in text and "facts file" not in text


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
    for row in C.error_table:
        assert row.type in row.types(), row.status


def test_a_reading_can_add_an_undocumented_status() -> None:
    assert 415 not in C.error_statuses("create_offer_fulfillment")
    chosen = contracts.load({"AMB-UNSUPPORTED-CONTENT-TYPE": "415"})
    assert 415 in chosen.error_statuses("create_offer_fulfillment")


def test_operation_schemas_exist() -> None:
    for op in C.operations.values():
        for name in (op.request_body, op.path_params, op.response):
            assert name is None or name in C.schemas, (op.id, name)
        assert set(op.headers) <= set(C.schemas["request_headers.json"]["properties"])
