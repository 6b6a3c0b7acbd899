"""Where two runs of the plan differ: per rule (pass on one, fail on the other) and per operation, the
shape of the answers (status codes, error type and code, fields present and their types, enum values).

Values that must differ between two targets are not compared, only their presence and type: ids,
timestamps, URLs and free text. `IGNORED` says so in the report."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from cbconform.compare.plan import Run
from cbconform.contracts import Contracts

IGNORED = [
    "ids (id and *_id fields): only presence and type compared",
    "timestamps (*_at fields) and URLs (*_url fields): only presence and type compared",
    "free text (message, failure_reason and every string not declared as an enum): only presence and type",
    "the order of fields in an object",
]
NOT_EXERCISED = "not exercised"


def enum_keys(contracts: Contracts) -> set[str]:
    """Property names whose response schema declares an enum: their values are compared."""
    keys: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for name, sub in (node.get("properties") or {}).items():
                if isinstance(sub, dict) and "enum" in sub:
                    keys.add(name)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for name, schema in contracts.schemas.items():
        if not name.startswith("requests/"):
            walk(schema)
    return keys


def rules(a: Run, b: Run) -> list[dict[str, Any]]:
    oa, ob = a.outcomes(), b.outcomes()
    found = []
    for rule in sorted(set(oa) | set(ob)):
        left, right = oa.get(rule, NOT_EXERCISED), ob.get(rule, NOT_EXERCISED)
        if left != right:
            found.append(
                {"rule": rule, "a": left, "b": right, "a_shows": _shows(a, rule), "b_shows": _shows(b, rule)}
            )
    return found


def _shows(run: Run, rule: str) -> dict[str, str] | None:
    for step in run.steps:
        for failure in step.failures:
            if failure.rule_id == rule:
                return {"step": step.label, "received": failure.received, "request": step.exchange.summary()}
    return None


def shapes(run: Run, enums: set[str]) -> dict[str, dict[str, Any]]:
    by_op: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"statuses": {}, "errors": {}, "fields": {}, "enums": defaultdict(set)}
    )
    for step in run.steps:
        shape, ex = by_op[step.operation], step.exchange
        shape["statuses"][step.label] = ex.status
        body = ex.json()
        prefix = "" if 200 <= ex.status < 300 else "(error) "
        if ex.status >= 400 and isinstance(body, dict):
            shape["errors"][step.label] = f"{body.get('type')} / {body.get('api_error_code')}"
        for path, kind, value in _leaves(body, prefix.strip()):
            shape["fields"].setdefault(path, set()).add(kind)
            if path.rsplit(".", 1)[-1] in enums and isinstance(value, str):
                shape["enums"][path].add(value)
    return by_op


def _leaves(body: Any, path: str):
    kind = _kind(body)
    if path:
        yield path, kind, body
    if isinstance(body, dict):
        for key, value in body.items():
            yield from _leaves(value, f"{path}.{key}" if path else key)
    elif isinstance(body, list):
        for value in body:
            yield from _leaves(value, f"{path}[]")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
    }.get(type(value), type(value).__name__)


def operations(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Per operation, one plain line per difference of shape."""
    found: dict[str, list[str]] = {}
    for op in sorted(set(a) | set(b)):
        sa, sb = a.get(op) or _empty(), b.get(op) or _empty()
        lines = _keyed("status", sa["statuses"], sb["statuses"], "HTTP ")
        lines += _keyed("error type / code", sa["errors"], sb["errors"], "")
        lines += _fields(sa["fields"], sb["fields"])
        for path in sorted(set(sa["enums"]) | set(sb["enums"])):
            va, vb = sa["enums"].get(path, set()), sb["enums"].get(path, set())
            if va - vb:
                lines.append(f"{path}: value(s) {', '.join(sorted(va - vb))} only from A")
            if vb - va:
                lines.append(f"{path}: value(s) {', '.join(sorted(vb - va))} only from B")
        if lines:
            found[op] = lines
    return found


def _empty() -> dict[str, Any]:
    return {"statuses": {}, "errors": {}, "fields": {}, "enums": {}}


def _keyed(what: str, a: dict[str, Any], b: dict[str, Any], unit: str) -> list[str]:
    lines = []
    for label in list(a) + [k for k in b if k not in a]:
        if label not in b:
            lines.append(f"{label}: sent to A only")
        elif label not in a:
            lines.append(f"{label}: sent to B only")
        elif a[label] != b[label]:
            lines.append(f"{label}: {what} {unit}{a[label]} from A, {unit}{b[label]} from B")
    return lines


def _fields(a: dict[str, set[str]], b: dict[str, set[str]]) -> list[str]:
    lines = []
    for path in sorted(set(a) | set(b)):
        if path not in b:
            lines.append(f"field {path} ({'|'.join(sorted(a[path]))}) only from A")
        elif path not in a:
            lines.append(f"field {path} ({'|'.join(sorted(b[path]))}) only from B")
        elif a[path] != b[path]:
            lines.append(
                f"field {path}: {'|'.join(sorted(a[path]))} from A, {'|'.join(sorted(b[path]))} from B"
            )
    return lines
