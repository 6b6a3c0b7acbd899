"""Assembles the results model of a run (contracts/results.schema.json) from its evidence."""

from __future__ import annotations

from typing import Any

from cbconform import __version__, verdict
from cbconform.contracts import Contracts
from cbconform.results import Evidence, contracts_digest

SCHEMA_VERSION = 1


def build(
    *,
    contracts: Contracts,
    evidence: Evidence,
    target: dict[str, Any],
    run: dict[str, Any],
    expected: set[str],
    strict: bool,
) -> dict[str, Any]:
    complete = run.get("stop_reason") is None and not run.get("unanswered")
    rules = verdict.rule_rows(
        contracts, evidence, expected=expected, features=target.get("features", ()), strict=strict
    )
    stale = sorted(r["id"] for r in rules if r["id"] in expected and r["outcome"] == "pass")
    return {
        "schema_version": SCHEMA_VERSION,
        "suite": {
            "name": "chargebee-conformance",
            "version": __version__,
            "contracts_digest": contracts_digest(contracts.root),
        },
        "target": target,
        "run": run | {"complete": complete, "strict": strict, "stale_expected_failures": stale},
        "summary": verdict.summary(contracts, rules, evidence, complete),
        "rules": rules,
        "tests": [_test_row(t) for t in evidence.tests.values()],
        "failures": evidence.failures,
        "errors": evidence.errors,
        "coverage": {
            "enum_values": {k: dict(v) for k, v in evidence.enum_values.items()},
            "boundary_lengths": evidence.boundary_lengths,
            "skipped": {r["id"]: r["skip_reason"] for r in rules if r["outcome"] == "skip"},
        },
    }


def _test_row(t) -> dict[str, Any]:
    return {
        "nodeid": t.nodeid,
        "rules": sorted(set(t.rules) | set(t.failed_rules)),
        "outcome": t.outcome,
        "duration_s": round(t.duration_s, 4),
        "message": t.message,
    }
