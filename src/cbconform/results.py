"""The results model (docs/ARCHITECTURE.md, contracts/results.schema.json): built once at the end of a
run from what the plugin recorded; the HTML report, JUnit file and JSON file are all rendered from it."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cbconform import __version__
from cbconform.contracts import Contracts

OUTCOMES = ("pass", "fail", "skip", "error", "xfail")
RULE_OUTCOMES = (*OUTCOMES, "not_run")
AREAS = ("resources", "lifecycle", "headers", "errors", "orders")


@dataclass
class TestRecord:
    nodeid: str
    rules: list[str]
    outcome: str
    duration_s: float
    message: str | None = None
    failure_ids: list[str] = field(default_factory=list)
    failed_rules: list[str] = field(default_factory=list)


def contracts_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def rule_outcomes(
    contracts: Contracts, tests: list[TestRecord], expected: set[str]
) -> dict[str, dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {
        rule_id: {"tests": [], "outcomes": set(), "skip_reason": None, "failures": []}
        for rule_id in contracts.rules
    }
    for test in tests:
        for rule_id in set(test.rules) | set(test.failed_rules):
            entry = seen.setdefault(
                rule_id, {"tests": [], "outcomes": set(), "skip_reason": None, "failures": []}
            )
            entry["tests"].append(test.nodeid)
            if test.outcome in ("fail", "xfail") and rule_id not in test.failed_rules:
                continue  # the test broke on another rule; it says nothing about this one
            entry["outcomes"].add("fail" if test.outcome == "xfail" else test.outcome)
            if test.outcome == "skip" and not entry["skip_reason"]:
                entry["skip_reason"] = test.message
        for rule_id, failure_id in zip(test.failed_rules, test.failure_ids, strict=False):
            seen[rule_id]["failures"].append(failure_id)
    for rule_id, entry in seen.items():
        entry["outcome"] = _combine(entry["outcomes"], rule_id in expected)
    return seen


def _combine(outcomes: set[str], expected: bool) -> str:
    if "fail" in outcomes:
        return "xfail" if expected else "fail"
    if "error" in outcomes:
        return "error"
    if "pass" in outcomes:
        return "pass"
    if "skip" in outcomes:
        return "skip"
    return "not_run"


def build(
    *,
    contracts: Contracts,
    target: dict[str, Any],
    run: dict[str, Any],
    tests: list[TestRecord],
    failures: list[dict[str, Any]],
    errors: list[dict[str, Any]],
    expected: set[str],
    exercised: Counter,
    coverage: dict[str, Any],
) -> dict[str, Any]:
    outcomes = rule_outcomes(contracts, tests, expected)
    rules = [_rule_row(contracts, rule_id, outcomes[rule_id], exercised) for rule_id in contracts.rules]
    summary = _summary(rules, tests)
    return {
        "schema_version": 1,
        "suite": {
            "name": "chargebee-conformance",
            "version": __version__,
            "contracts_digest": contracts_digest(contracts.root),
        },
        "target": target,
        "run": run,
        "summary": summary,
        "rules": rules,
        "tests": [
            {
                "nodeid": t.nodeid,
                "rules": sorted(set(t.rules) | set(t.failed_rules)),
                "outcome": t.outcome,
                "duration_s": round(t.duration_s, 4),
                "message": t.message,
            }
            for t in tests
        ],
        "failures": failures,
        "errors": errors,
        "coverage": coverage
        | {"skipped": {r["id"]: r["skip_reason"] for r in rules if r["outcome"] == "skip"}},
    }


def _rule_row(
    contracts: Contracts, rule_id: str, entry: dict[str, Any], exercised: Counter
) -> dict[str, Any]:
    rule = contracts.rules[rule_id]
    reason = entry["skip_reason"]
    if entry["outcome"] == "not_run" and rule.needs:
        reason = contracts.needs[rule.needs]
    return {
        "id": rule.id,
        "level": rule.level,
        "statement": rule.statement,
        "source": rule.source,
        "group": rule.group,
        "area": rule.area,
        "operations": list(rule.operations),
        "outcome": entry["outcome"],
        "tests": sorted(set(entry["tests"])),
        "exercised": exercised.get(rule_id, 0),
        "skip_reason": reason,
        "failures": entry["failures"],
    }


def _summary(rules: list[dict[str, Any]], tests: list[TestRecord]) -> dict[str, Any]:
    areas = {
        area: {
            "verdict": _verdict([r for r in rules if r["area"] == area]),
            "rules": dict(Counter(r["outcome"] for r in rules if r["area"] == area)),
        }
        for area in AREAS
    }
    verdict = _verdict(rules)
    if verdict == "pass" and any(t.outcome == "error" for t in tests):
        verdict = "error"
    return {
        "verdict": verdict,
        "rules": {k: sum(1 for r in rules if r["outcome"] == k) for k in RULE_OUTCOMES},
        "tests": {k: sum(1 for t in tests if t.outcome == k) for k in OUTCOMES},
        "areas": areas,
    }


def _verdict(rules: list[dict[str, Any]]) -> str:
    """fail (the target broke a MUST rule) outranks error (the harness broke): the gate's answer about
    the target stands even when some other check could not run."""
    if any(r["outcome"] == "fail" and r["level"] == "MUST" for r in rules):
        return "fail"
    if any(r["outcome"] == "error" for r in rules):
        return "error"
    return "pass"
