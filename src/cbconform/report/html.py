"""report.html: one self-contained page (inline CSS, one small optional script, no external assets),
rendered from the results model alone. This module shapes the model into what the templates show."""

from __future__ import annotations

import json
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from cbconform.report import OUTCOME_RANK

TEMPLATES = Path(__file__).parent / "templates"
AREAS = ("resources", "lifecycle", "headers", "errors", "orders")
OUTCOMES = {  # label and icon: the outcome reads without colour, in print and in greyscale
    "fail": ("Fail", "\u2717"),
    "error": ("Error", "\u26a0\ufe0e"),
    "xfail": ("Expected fail", "\u2298"),
    "pass": ("Pass", "\u2713"),
    "skip": ("Skip", "\u21b7"),
    "not_run": ("Not run", "\u00b7"),
}
VERDICTS = {
    "pass": ("Conforms", "\u2713"),
    "fail": ("Does not conform", "\u2717"),
    "error": ("Incomplete: the harness failed", "\u26a0\ufe0e"),
    "unreachable": ("Target unreachable or key rejected", "\u26a0\ufe0e"),
}
BODY_LIMIT = 20_000
TESTS_PER_RULE = 40
SHOWN_PER_RULE = 3  # failures of one rule shown in full; the rest are listed, and all are in results.json


def render(results: dict[str, Any]) -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["duration"] = duration
    env.filters["safe_url"] = safe_url
    return env.get_template("report.html.j2").render(**context(results))


def context(results: dict[str, Any]) -> dict[str, Any]:
    rules = results["rules"]
    by_id = {r["id"]: r for r in rules}
    return {
        "r": results,
        "run": results["run"],
        "target": _target(results["target"]),
        "started": _started(results["run"]["started_at"]),
        "verdict": _verdict(results),
        "areas": _areas(results),
        "groups": _groups(rules),
        "failures": results["failures"],
        "failure_groups": _failure_groups(results["failures"], by_id),
        "tests": _timeline(results["tests"]),
        "coverage": _coverage(results),
        "outcomes": OUTCOMES,
        "levels": sorted({r["level"] for r in rules}),
        "area_names": [a for a in AREAS if any(r["area"] == a for r in rules)],
    }


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "\u2013"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def safe_url(url: str) -> str:
    """The URL without user info: credentials never reach the page, even from a URL."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="[REDACTED]@" + parts.netloc.rsplit("@", 1)[1]))


def _target(target: dict[str, Any]) -> dict[str, Any]:
    grow, core = safe_url(target["grow_url"]), safe_url(target["core_url"])
    return target | {"grow_url": grow, "core_url": core, "same_host": grow == core}


def _started(value: str) -> str:
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    except ValueError:
        return value


def _verdict(results: dict[str, Any]) -> dict[str, Any]:
    summary, rules = results["summary"], results["rules"]
    key = "unreachable" if results["run"].get("fatal") else summary["verdict"]
    must_failed = [r["id"] for r in rules if r["outcome"] == "fail" and r["level"] == "MUST"]
    advisory = [r["id"] for r in rules if r["outcome"] == "fail" and r["level"] != "MUST"]
    label, icon = VERDICTS.get(key, (key, "?"))
    unchecked = sum(r["outcome"] in ("skip", "not_run") for r in rules)
    return {
        "key": key,
        "label": label,
        "icon": icon,
        "must_failed": must_failed,
        "advisory": advisory,
        "fatal": results["run"].get("fatal"),
        "errors": len(results["errors"]),
        "unchecked": unchecked,
    }


def _counts(counts: dict[str, int] | None) -> dict[str, int]:
    return {k: (counts or {}).get(k, 0) for k in OUTCOMES}


def _segments(counts: dict[str, int]) -> list[dict[str, Any]]:
    total = sum(counts.values()) or 1
    return [{"outcome": k, "count": n, "pct": round(100 * n / total, 3)} for k, n in counts.items() if n]


def _areas(results: dict[str, Any]) -> list[dict[str, Any]]:
    areas = results["summary"]["areas"]
    rows = []
    for name in [a for a in AREAS if a in areas] + sorted(set(areas) - set(AREAS)):
        counts = _counts(areas[name]["rules"])
        checked = counts["pass"] + counts["fail"] + counts["error"] + counts["xfail"]
        rows.append(
            {
                "name": name,
                "verdict": areas[name]["verdict"] if checked else "not_run",
                "counts": counts,
                "total": sum(counts.values()),
                "segments": _segments(counts),
            }
        )
    overall = _counts(results["summary"]["rules"])
    rows.append(
        {
            "name": "overall",
            "verdict": results["summary"]["verdict"],
            "counts": overall,
            "total": sum(overall.values()),
            "segments": _segments(overall),
        }
    )
    return rows


def _groups(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for index, rule in enumerate(rules):
        group = groups.setdefault(
            rule["group"], {"title": rule["group"], "area": rule["area"], "index": index, "rules": []}
        )
        page, _, section = rule["source"].partition(" § ")
        shown = rule["tests"][:TESTS_PER_RULE]
        search = " ".join([rule["id"], rule["statement"], rule["source"], *shown]).lower()
        group["rules"].append(
            rule
            | {
                "index": index,
                "page": page,
                "section": section,
                "search": search,
                "tests_shown": shown,
                "tests_more": len(rule["tests"]) - len(shown),
            }
        )
    for group in groups.values():
        group["rules"].sort(key=lambda r: (OUTCOME_RANK.get(r["outcome"], 9), r["index"]))
        group["counts"] = _counts({k: sum(r["outcome"] == k for r in group["rules"]) for k in OUTCOMES})
        group["failing"] = group["counts"]["fail"] + group["counts"]["error"]
    return sorted(groups.values(), key=lambda g: (0 if g["failing"] else 1, g["index"]))


def _failure_groups(failures: list[dict[str, Any]], by_id: dict[str, Any]) -> list[dict[str, Any]]:
    """Failures by rule, MUST before SHOULD before expected: one broken rule often fails many tests."""
    groups: dict[str, dict[str, Any]] = {}
    for failure in failures:
        rule = by_id.get(failure["rule_id"])
        group = groups.setdefault(
            failure["rule_id"], {"rule_id": failure["rule_id"], "rule": rule, "all": []}
        )
        group["all"].append(failure)
    for group in groups.values():
        group["shown"] = [_failure(f, group["rule"]) for f in group["all"][:SHOWN_PER_RULE]]
        group["rest"] = group["all"][SHOWN_PER_RULE:]

    def order(group: dict[str, Any]) -> tuple[int, int]:
        rule = group["rule"] or {}
        return (
            OUTCOME_RANK.get(rule.get("outcome", "fail"), 9),
            0 if rule.get("level", "MUST") == "MUST" else 1,
        )

    return sorted(groups.values(), key=order)


def _failure(failure: dict[str, Any], rule: dict[str, Any] | None) -> dict[str, Any]:
    view = failure | {"rule": rule, "request": None, "response": None}
    exchange = failure.get("exchange")
    if exchange:
        req, resp = exchange["request"], exchange["response"]
        view["request"] = req | {"url": safe_url(req["url"]), "pretty": _pretty(req["body"], req["headers"])}
        view["response"] = resp | {
            "reason": _reason(resp["status"]),
            "pretty": _pretty(resp["body"], resp["headers"]),
        }
        view["elapsed_ms"] = exchange.get("elapsed_ms")
    return view


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _pretty(body: str, headers: dict[str, str]) -> dict[str, Any]:
    """The body as sent or received, and a readable form of it when there is one (JSON, form fields)."""
    kind = (headers.get("content-type") or "").split(";")[0].strip().lower()
    readable = None
    if body:
        try:
            readable = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
        except ValueError:
            if kind == "application/x-www-form-urlencoded":
                readable = "\n".join(f"{k} = {v}" for k, v in parse_qsl(body, keep_blank_values=True))
    clipped = len(body) > BODY_LIMIT
    return {
        "raw": body[:BODY_LIMIT],
        "readable": (readable or "")[:BODY_LIMIT] or None,
        "clipped": clipped,
        "size": len(body.encode("utf-8")),
        "kind": kind,
    }


def _timeline(tests: list[dict[str, Any]]) -> dict[str, Any]:
    total = sum(t["duration_s"] for t in tests) or 1.0
    rows, offset = [], 0.0
    for index, test in enumerate(tests):
        rows.append(
            test
            | {
                "index": index,
                "left": round(100 * offset / total, 3),
                "width": round(100 * test["duration_s"] / total, 3),
            }
        )
        offset += test["duration_s"]
    slowest = sorted(rows, key=lambda t: -t["duration_s"])[:10]
    return {"rows": rows, "total": sum(t["duration_s"] for t in tests), "slowest": slowest}


def _coverage(results: dict[str, Any]) -> dict[str, Any]:
    rules, coverage = results["rules"], results["coverage"]
    by_id = {r["id"]: r for r in rules}
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
            "pairs": sorted(values.items(), key=lambda kv: (-kv[1], kv[0])),
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
            reasons.setdefault(reason, []).append(rule["id"])
    not_run = [r for r in rules if r["outcome"] == "not_run"]
    exercised = sum(r["exercised"] > 0 for r in rules)
    return {
        "groups": list(groups.values()),
        "enums": enums,
        "lengths": lengths,
        "skipped": sorted(reasons.items(), key=lambda kv: -len(kv[1])),
        "not_run": not_run,
        "exercised": exercised,
        "checks": sum(r["exercised"] for r in rules),
        "total": len(rules),
    }
