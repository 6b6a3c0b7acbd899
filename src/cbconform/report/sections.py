"""The lower sections of report.html, shaped from the results model: the timeline of tests and the
coverage of rules, enum values and boundary lengths."""

from __future__ import annotations

from typing import Any


def timeline(tests: list[dict[str, Any]]) -> dict[str, Any]:
    spent = [max(0.0, float(t["duration_s"] or 0)) for t in tests]
    total = sum(spent) or 1.0
    rows, offset = [], 0.0
    for index, (test, took) in enumerate(zip(tests, spent, strict=True)):
        rows.append(
            test
            | {"index": index, "left": round(100 * offset / total, 3), "width": round(100 * took / total, 3)}
        )
        offset += took
    slowest = sorted(rows, key=lambda t: -float(t["duration_s"] or 0))[:10]
    return {"rows": rows, "total": sum(spent), "slowest": slowest}


def coverage(r: dict[str, Any], rules: list[dict[str, Any]]) -> dict[str, Any]:
    coverage = r["coverage"]
    by_id = {x["id"]: x for x in rules}
    groups: dict[str, dict[str, Any]] = {}
    for rule in rules:
        g = groups.setdefault(
            rule["group"], {"title": rule["group"], "rules": 0, "exercised": 0, "checks": 0}
        )
        g["rules"] += 1
        g["exercised"] += rule["exercised"] > 0
        g["checks"] += rule["exercised"]
    enums = [
        {
            "rule": rule_id,
            "statement": by_id.get(rule_id, {}).get("statement", ""),
            "pairs": sorted(values.items(), key=lambda kv: (-kv[1], str(kv[0]))),
        }
        for rule_id, values in sorted(coverage["enum_values"].items())
    ]
    lengths = []
    for label, entry in sorted(coverage["boundary_lengths"].items()):
        sent, top = sorted(entry["sent"]), entry["max"]
        lengths.append(
            {"label": label, "max": top, "sent": sent, "at_max": top in sent, "over_max": top + 1 in sent}
        )
    reasons: dict[str, list[str]] = {}
    for rule in rules:
        if rule["outcome"] == "skip":
            reason = coverage["skipped"].get(rule["id"]) or rule["skip_reason"] or "no reason recorded"
            reasons.setdefault(str(reason), []).append(rule["id"])
    return {
        "groups": list(groups.values()),
        "enums": enums,
        "enum_values": sum(len(e["pairs"]) for e in enums),
        "lengths": lengths,
        "edges": sum(x["at_max"] + x["over_max"] for x in lengths),
        "skipped": sorted(reasons.items(), key=lambda kv: -len(kv[1])),
        "not_run": [x for x in rules if x["outcome"] == "not_run"],
        "exercised": sum(x["exercised"] > 0 for x in rules),
        "checks": sum(x["exercised"] for x in rules),
        "total": len(rules),
    }
