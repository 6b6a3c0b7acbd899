"""The results model (docs/ARCHITECTURE.md, contracts/results.schema.json): built once at the end of a
run from what the session recorded; the HTML report, JUnit file and JSON file are rendered from it.

A rule passes only on evidence: a check examined at least one response that could have broken it
(`exercised`). The verdict is fail, error, incomplete or pass, in that order of precedence."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

TEST_OUTCOMES = ("pass", "fail", "skip", "error", "xfail", "not_run")
RULE_OUTCOMES = ("pass", "fail", "skip", "error", "xfail", "not_run")
VERDICTS = ("pass", "fail", "incomplete", "error")


@dataclass
class TestRecord:
    nodeid: str
    rules: list[str]
    outcome: str
    duration_s: float
    message: str | None = None
    failure_ids: list[str] = field(default_factory=list)
    failed_rules: list[str] = field(default_factory=list)
    not_applicable: bool = False  # skipped because the rule does not apply to this target or reading

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Evidence:
    """What a run (or one xdist worker of it) saw; merged across workers before the model is built."""

    tests: dict[str, TestRecord] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    exercised: Counter = field(default_factory=Counter)
    requests: int = 0
    enum_values: dict[str, Counter] = field(default_factory=dict)
    boundary_lengths: dict[str, dict[str, Any]] = field(default_factory=dict)
    stop_reason: str | None = None
    unanswered: list[dict[str, str]] = field(default_factory=list)  # requests the target left unanswered
    features: set[str] = field(default_factory=set)  # what the connected target offered, when known
    feature_source: str | None = None
    processes: int = 1  # that ran tests: xdist's workers, or this one and cbconform.sibling's

    def export(self) -> dict[str, Any]:
        return {
            "tests": [t.to_dict() for t in self.tests.values()],
            "failures": self.failures,
            "errors": self.errors,
            "exercised": dict(self.exercised),
            "requests": self.requests,
            "enum_values": {k: dict(v) for k, v in self.enum_values.items()},
            "boundary_lengths": self.boundary_lengths,
            "stop_reason": self.stop_reason,
            "unanswered": self.unanswered,
            "features": sorted(self.features),
            "feature_source": self.feature_source,
            "processes": self.processes,
        }

    def merge(self, part: dict[str, Any]) -> None:
        """Adds a worker's export; its failure ids are renumbered after ours."""
        renumber = {}
        for failure in part["failures"]:
            renumber[failure["id"]] = new = f"F{len(self.failures) + 1}"
            self.failures.append(failure | {"id": new, "reproduce": _renumbered(failure["reproduce"], new)})
        for raw in part["tests"]:
            test = TestRecord(**raw)
            test.failure_ids = [renumber.get(f, f) for f in test.failure_ids]
            self.tests[test.nodeid] = test
        self.errors += part["errors"]
        self.exercised.update(part["exercised"])
        self.requests += part["requests"]
        for rule, values in part["enum_values"].items():
            self.enum_values.setdefault(rule, Counter()).update(values)
        for label, entry in part["boundary_lengths"].items():
            mine = self.boundary_lengths.setdefault(label, {"max": entry["max"], "sent": []})
            mine["sent"] = sorted(set(mine["sent"]) | set(entry["sent"]))
        self.stop_reason = self.stop_reason or part["stop_reason"]
        self.unanswered += part.get("unanswered", [])
        self.features |= set(part.get("features", ()))
        self.feature_source = self.feature_source or part.get("feature_source")
        self.processes += part.get("processes", 1)


def _renumbered(reproduce: dict[str, Any] | None, new: str) -> dict[str, Any] | None:
    if not reproduce or not reproduce.get("replay"):
        return reproduce
    head, _, _ = reproduce["replay"].rpartition("--failure ")
    return reproduce | {"replay": f"{head}--failure {new}"}


def contracts_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
