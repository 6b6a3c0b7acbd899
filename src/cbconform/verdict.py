"""Rule outcomes and the run's verdict, from the evidence a run recorded (see docs/GATE.md).

A rule fails when a check found it broken; errors when a test citing it broke in the harness; passes
only when a check examined at least one response that could have broken it; is skipped when it cannot
apply to this target (a feature it needs is absent, or the chosen reading rules it out); and is
otherwise not run, with the reason."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from cbconform.contracts import Contracts
from cbconform.results import RULE_OUTCOMES, TEST_OUTCOMES, Evidence, TestRecord


def rule_rows(
    contracts: Contracts,
    evidence: Evidence,
    *,
    expected: set[str],
    features: Iterable[str],
    strict: bool,
) -> list[dict[str, Any]]:
    citing: dict[str, list[TestRecord]] = {rule_id: [] for rule_id in contracts.rules}
    for test in evidence.tests.values():
        for rule_id in set(test.rules) | set(test.failed_rules):
            citing.setdefault(rule_id, []).append(test)
    available = set(features)
    return [
        _row(contracts, rule_id, citing[rule_id], evidence, expected, available, strict)
        for rule_id in contracts.rules
    ]


def _row(contracts, rule_id, tests, evidence, expected, available, strict) -> dict[str, Any]:
    rule = contracts.rules[rule_id]
    failures = [f for t in tests for r, f in zip(t.failed_rules, t.failure_ids, strict=False) if r == rule_id]
    exercised = evidence.exercised.get(rule_id, 0)
    outcome, reason = _outcome(rule, tests, failures, exercised, evidence.stop_reason, available, contracts)
    if outcome == "fail" and rule_id in expected:
        outcome = "xfail"
    return {
        "id": rule.id,
        "level": rule.level,
        "statement": rule.statement,
        "source": rule.source,
        "source_url": getattr(rule, "source_url", None),
        "evidence": getattr(rule, "evidence", None),
        "gates": rule.gates(strict),
        "group": rule.group,
        "area": rule.area,
        "operations": list(rule.operations),
        "outcome": outcome,
        "tests": sorted({t.nodeid for t in tests}),
        "exercised": exercised,
        "skip_reason": reason,
        "failures": failures,
    }


def _outcome(rule, tests, failures, exercised, stop_reason, available, contracts) -> tuple[str, str | None]:
    if failures:
        return "fail", None
    if any(t.outcome == "error" for t in tests):
        return "error", None
    if exercised:
        return "pass", None
    if rule.needs and rule.needs not in available:
        return "skip", contracts.needs.get(rule.needs, f"the target does not offer {rule.needs}")
    for amb in contracts.readings:
        if rule.id in contracts.reading(amb).unexaminable:
            return "skip", f"{amb}={contracts.readings[amb]}: {contracts.reading(amb).says}"
    ran = [t for t in tests if t.outcome != "not_run"]
    if ran and all(t.outcome == "skip" and t.not_applicable for t in ran):
        return "skip", ran[0].message
    return "not_run", _why_not_run(tests, stop_reason)


def _why_not_run(tests: list[TestRecord], stop_reason: str | None) -> str:
    skipped = [t.message for t in tests if t.outcome == "skip" and t.message]
    if skipped:
        return skipped[0]
    if stop_reason:
        return f"the run stopped before a check examined it: {stop_reason}"
    if not tests:
        return "no test of this run cites it (narrowed with -k, or not collected)"
    if all(t.outcome == "not_run" for t in tests):
        return "its tests did not run"
    return "its tests ran, but no response they received could have broken it"


def summary(
    contracts: Contracts, rules: list[dict[str, Any]], evidence: Evidence, complete: bool
) -> dict[str, Any]:
    tests = list(evidence.tests.values())
    return {
        "verdict": verdict(rules, evidence, complete),
        "rules": {k: sum(1 for r in rules if r["outcome"] == k) for k in RULE_OUTCOMES},
        "tests": {k: sum(1 for t in tests if t.outcome == k) for k in TEST_OUTCOMES},
        "areas": {
            area: {
                "verdict": verdict([r for r in rules if r["area"] == area], None, True),
                "rules": dict(Counter(r["outcome"] for r in rules if r["area"] == area)),
            }
            for area in contracts.areas
        },
        "not_examined": [r["id"] for r in rules if r["gates"] and r["outcome"] == "not_run"],
        "advisories": [r["id"] for r in rules if not r["gates"] and r["outcome"] == "fail"],
    }


def verdict(rules: list[dict[str, Any]], evidence: Evidence | None, complete: bool) -> str:
    """fail (the target broke a gating rule) outranks error (the harness broke), which outranks
    incomplete (the run stopped early, or a gating rule the target allows was not examined)."""
    if any(r["outcome"] == "fail" and r["gates"] for r in rules):
        return "fail"
    if any(r["outcome"] == "error" for r in rules) or (evidence is not None and evidence.errors):
        return "error"
    if not complete or any(r["outcome"] == "not_run" and r["gates"] for r in rules):
        return "incomplete"
    return "pass"
