"""Turns the request schemas' derived cases into pytest parameters that cite their rules."""

from __future__ import annotations

import pytest

from cbconform.contracts import Contracts
from cbconform.generation import cases

ENCODINGS = ("form", "json")


def request_cases(contracts: Contracts, schema_name: str) -> list:
    params = []
    for case in cases(contracts, schema_name):
        rules = (case.rule,) if case.valid else (case.rule, "ERR-PARAM-NAMES-FIELD")
        for encoding in ("json",) if case.json_only else ENCODINGS:
            params.append(
                pytest.param(case, encoding, id=f"{case.label}-{encoding}", marks=pytest.mark.rule(*rules))
            )
    return params


def rules_mark(contracts: Contracts, *schemas: str, extra: tuple[str, ...] = ()) -> pytest.MarkDecorator:
    rules = set(extra)
    for schema in schemas:
        rules |= contracts.rules_of_schema(schema)
    return pytest.mark.rule(*sorted(rules))
