"""The results model with every field the report reads filled in, so a model from an older or newer
version, or a partial one written by an interrupted run, renders instead of crashing."""

from __future__ import annotations

import copy
from typing import Any

SUITE = {"name": "cbconform", "version": "", "contracts_digest": ""}
TARGET = {
    "kind": "unknown",
    "grow_url": "",
    "core_url": "",
    "site": None,
    "api_key": "",
    "readings": {},
    "features": [],
    "faults": [],
    "absent_features": [],
    "feature_source": None,
}
RUN = {
    "started_at": "",
    "duration_s": None,
    "profile": "",
    "seed": None,
    "requests": 0,
    "command": "",
    "exit_code": None,
    "fatal": None,
    "complete": True,
    "stop_reason": None,
    "unanswered": [],
    "stale_expected_failures": [],
}
SUMMARY = {"verdict": "error", "rules": {}, "tests": {}, "areas": {}, "not_examined": []}
RULE = {
    "id": "?",
    "level": "MUST",
    "statement": "",
    "source": "",
    "source_url": None,
    "evidence": None,
    "gates": True,
    "group": "Other",
    "area": "other",
    "operations": [],
    "outcome": "not_run",
    "tests": [],
    "exercised": 0,
    "skip_reason": None,
    "failures": [],
}
FAILURE = {
    "id": "",
    "rule_id": "?",
    "test": "",
    "check": "",
    "title": "",
    "documented": "",
    "received": "",
    "exchange": None,
    "curl": None,
    "reproduce": {},
}
REPRODUCE = {"seed": None, "blob": None, "pytest": "", "replay": None}
REQUEST = {"method": "", "url": "", "headers": {}, "body": ""}
RESPONSE = {"status": 0, "headers": {}, "body": ""}
TEST = {"nodeid": "", "rules": [], "outcome": "not_run", "duration_s": 0.0, "message": None}
ERROR = {"test": "", "message": "", "detail": None}
UNANSWERED = {"test": "", "request": "", "reason": ""}
COVERAGE = {"enum_values": {}, "boundary_lengths": {}, "skipped": {}}
AREA = {"verdict": "not_run", "rules": {}}
LENGTH = {"max": 0, "sent": []}


def fill(value: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    """`value` over `defaults`, key by key; a missing, null or wrongly typed field takes the default."""
    out = {k: copy.copy(v) for k, v in defaults.items()}
    if not isinstance(value, dict):
        return out
    for key, got in value.items():
        want = defaults.get(key)
        if got is None and want is not None:
            continue
        if isinstance(want, dict | list) and not isinstance(got, type(want)):
            continue
        if (
            _scalar(want)
            and not isinstance(got, type(want))
            and not (type(want) is float and type(got) is int)
        ):
            continue
        out[key] = got
    return out


def _scalar(value: Any) -> bool:
    return isinstance(value, bool | int | float | str)


def _rows(value: Any, defaults: dict[str, Any]) -> list[dict[str, Any]]:
    return [fill(row, defaults) for row in value if isinstance(row, dict)] if isinstance(value, list) else []


def _exchange(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    return value | {
        "request": fill(value.get("request"), REQUEST),
        "response": fill(value.get("response"), RESPONSE),
    }


def normalise(results: Any) -> dict[str, Any]:
    r = results if isinstance(results, dict) else {}
    failures = []
    for f in _rows(r.get("failures"), FAILURE):
        f["exchange"] = _exchange(f["exchange"])
        f["reproduce"] = fill(f["reproduce"], REPRODUCE)
        failures.append(f)
    summary = fill(r.get("summary"), SUMMARY)
    summary["areas"] = {str(k): fill(v, AREA) for k, v in summary["areas"].items()}
    coverage = fill(r.get("coverage"), COVERAGE)
    coverage["boundary_lengths"] = {
        str(k): fill(v, LENGTH) for k, v in coverage["boundary_lengths"].items() if isinstance(v, dict)
    }
    coverage["enum_values"] = {k: v for k, v in coverage["enum_values"].items() if isinstance(v, dict)}
    run = fill(r.get("run"), RUN)
    run["unanswered"] = _rows(run["unanswered"], UNANSWERED)
    return dict(r) | {
        "schema_version": r.get("schema_version"),
        "suite": fill(r.get("suite"), SUITE),
        "target": fill(r.get("target"), TARGET),
        "run": run,
        "summary": summary,
        "rules": _rows(r.get("rules"), RULE),
        "tests": _rows(r.get("tests"), TEST),
        "failures": failures,
        "errors": _rows(r.get("errors"), ERROR),
        "coverage": coverage,
    }
