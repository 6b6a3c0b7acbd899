"""The schemas are valid 2020-12, annotate every constraint with a catalogued rule, and their examples
hold."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from cbconform import contracts
from cbconform.contracts_meta import unannotated

C = contracts.load()
EXAMPLES = json.loads((C.root / "examples" / "conditionals.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(C.schemas))
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = C.schemas[name]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("name", sorted(C.schemas))
def test_schema_constraints_each_name_a_rule(name: str) -> None:
    assert unannotated(C.schemas[name], name + "#") == []


def test_schema_annotations_name_catalogued_rules() -> None:
    unknown = sorted(set(contracts.schema_rule_references(C)) - set(C.rules))
    assert unknown == []


def test_examples_cover_every_conditional_rule() -> None:
    conditional = {
        rule
        for rule, places in contracts.schema_rule_references(C).items()
        if any("/allOf/" in p for p in places)
    }
    assert conditional <= {group["rule"] for group in EXAMPLES}


def test_example_descriptions_are_unique() -> None:
    descriptions = [t["description"] for g in EXAMPLES for t in g["tests"]] + [
        g["description"] for g in EXAMPLES
    ]
    assert len(descriptions) == len(set(descriptions))


@pytest.mark.parametrize(
    ("group", "case"),
    [(g, t) for g in EXAMPLES for t in g["tests"]],
    ids=[t["description"] for g in EXAMPLES for t in g["tests"]],
)
def test_example_validates_as_declared(group: dict[str, Any], case: dict[str, Any]) -> None:
    instance = {**group["base"], **case["data"]}
    rules = {v.rule_id for v in C.validate(group["schema"], instance)}
    if case["valid"]:
        assert rules == set()
    else:
        assert rules == {group["rule"]}, f"expected only {group['rule']} to be broken"


def test_violations_are_attributed_to_rules_not_left_unmapped() -> None:
    broken = {"offer_fulfillment": {"id": 7, "status": "lost", "created_at": "yesterday"}}
    rules = {v.rule_id for v in C.validate("offer_fulfillment_response.json", broken)}
    assert contracts.UNMAPPED not in rules
    assert {"OF-ID-TYPE", "OF-STATUS-ENUM", "OF-CREATED-AT-TYPE", "OF-OPTION-ID-REQUIRED"} <= rules
