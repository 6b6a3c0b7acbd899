"""report.html: one self-contained page (inline CSS, one small optional script, no external assets),
rendered from the results model alone. This module shapes the model into what the templates show.

The first screen answers "what broke, and how do I see it again": the verdict, the failing gating rules
and the first failure in full. Everything else sits below, collapsed."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from jinja2 import ChainableUndefined, Environment, FileSystemBytecodeCache, FileSystemLoader

from cbconform.report import OUTCOME_RANK, incomplete_because, safe, sections
from cbconform.report.defaults import normalise
from cbconform.report.links import anchor, failure_link

__all__ = ["failure_link", "render"]

TEMPLATES = Path(__file__).parent / "templates"
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
    "incomplete": ("Incomplete: not every gating rule was examined", "\u25d1"),
    "error": ("Harness error: the suite itself failed", "\u26a0\ufe0e"),
    "unreachable": ("Target unreachable or key rejected", "\u26a0\ufe0e"),
}
EVIDENCE = {
    "seed": "a seed documentation page states it",
    "spec": "Chargebee's OpenAPI document states it",
    "docs": "a public Chargebee docs page states it",
    "sdk": "the official SDK's behaviour shows it",
    "inferred": "our reading: no public document states it",
}
BODY_LIMIT = 20_000
TESTS_PER_RULE = 40
SHOWN_PER_RULE = 3  # failures of one rule shown in full; the rest are listed, and all are in results.json


def render(results: dict[str, Any]) -> str:
    return _environment().get_template("report.html.j2").render(**context(results))


@functools.cache
def bytecode_cache() -> FileSystemBytecodeCache | None:
    """Compiled templates kept in jinja2's per-user temporary directory: compiling them costs a fifth of
    a second a run. Jinja checks each entry against its template's source and recompiles on mismatch."""
    try:
        return FileSystemBytecodeCache()
    except (OSError, RuntimeError):  # no private temporary directory: compile every time
        return None


@functools.cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        bytecode_cache=bytecode_cache(),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=ChainableUndefined,  # a field this version does not know renders empty, never crashes
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["duration"] = duration
    env.filters["safe_url"] = safe_url
    env.filters["anchor"] = anchor
    return env


def context(results: dict[str, Any]) -> dict[str, Any]:
    r = normalise(results)
    rules = [_rule(rule, index) for index, rule in enumerate(r["rules"])]
    by_id = {rule["id"]: rule for rule in rules}
    groups = _failure_groups(r["failures"], by_id)
    return {
        "r": r,
        "run": r["run"],
        "target": _target(r["target"]),
        "started": _started(r["run"]["started_at"]),
        "verdict": _verdict(r, rules),
        "areas": _areas(r),
        "groups": _groups(rules),
        "failures": r["failures"],
        "gating": [g for g in groups if g["kind"] == "gating"],
        "advisories": [g for g in groups if g["kind"] == "advisory"],
        "expected": [g for g in groups if g["kind"] == "expected"],
        "tests": sections.timeline(r["tests"]),
        "coverage": sections.coverage(r, rules),
        "outcomes": OUTCOMES,
        "badges": OUTCOMES
        | {"incomplete": ("Incomplete", "\u25d1"), "unreachable": ("Unreachable", "\u26a0\ufe0e")},
        "evidence_names": EVIDENCE,
        "levels": sorted({rule["level"] for rule in rules}),
        "area_names": _area_order(r, rules),
        "operations": sorted({op for x in rules for op in x["operations"] if op != "*"}),
        "evidences": sorted({x["evidence"] for x in rules if x["evidence"]}),
    }


def duration(seconds: float | None) -> str:
    if not isinstance(seconds, int | float):
        return "\u2013"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def safe_url(url: str) -> str:
    """The URL without user info: credentials never reach the page, even from a URL."""
    parts = urlsplit(str(url))
    if "@" not in parts.netloc:
        return str(url)
    return urlunsplit(parts._replace(netloc="[REDACTED]@" + parts.netloc.rsplit("@", 1)[1]))


def gating(rule: dict[str, Any]) -> bool:
    """Whether a failure of this rule fails the verdict: MUST rules that gate (inferred ones do not)."""
    return rule.get("level", "MUST") == "MUST" and rule.get("gates", True) is not False


def _rule(rule: dict[str, Any], index: int) -> dict[str, Any]:
    page, _, section = str(rule["source"]).partition(" § ")
    url = str(rule["source_url"] or "")
    shown = rule["tests"][:TESTS_PER_RULE]
    search = " ".join(map(str, [rule["id"], rule["statement"], rule["source"], *shown])).lower()
    return rule | {
        "index": index,
        "page": page,
        "section": section,
        "link": url if url.startswith(("https://", "http://")) else None,
        "pointer": url if url.startswith("#/") else None,
        "gating": gating(rule),
        "search": search,
        "tests_shown": shown,
        "tests_more": len(rule["tests"]) - len(shown),
    }


def _target(target: dict[str, Any]) -> dict[str, Any]:
    grow, core = safe_url(target["grow_url"]), safe_url(target["core_url"])
    name = "Embedded reference server" if target["kind"] == "embedded" else (grow or "unknown target")
    return target | {"grow_url": grow, "core_url": core, "same_host": grow == core, "name": name}


def _started(value: str) -> str:
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    except (TypeError, ValueError):
        return str(value)


def _verdict(r: dict[str, Any], rules: list[dict[str, Any]]) -> dict[str, Any]:
    run, summary = r["run"], r["summary"]
    key = "unreachable" if run["fatal"] else str(summary["verdict"])
    label, icon = VERDICTS.get(key, (key, "?"))
    incomplete = key == "incomplete" or run["complete"] is False
    if incomplete and key == "fail":
        label += " (and the run is incomplete)"
    failed = [x for x in rules if x["outcome"] == "fail"]
    return {
        "key": key,
        "label": label,
        "icon": icon,
        "must_failed": [x["id"] for x in failed if x["gating"]],
        "advisory": [x["id"] for x in failed if not x["gating"]],
        "incomplete": incomplete,
        "why_incomplete": incomplete_because(run),
        "not_examined": [str(x) for x in summary["not_examined"]],
        "fatal": run["fatal"],
        "errors": len(r["errors"]),
        "unchecked": sum(x["outcome"] in ("skip", "not_run") for x in rules),
    }


def _counts(counts: dict[str, int] | None) -> dict[str, int]:
    return {k: int((counts or {}).get(k, 0) or 0) for k in OUTCOMES}


def _segments(counts: dict[str, int]) -> list[dict[str, Any]]:
    total = sum(counts.values()) or 1
    return [{"outcome": k, "count": n, "pct": round(100 * n / total, 3)} for k, n in counts.items() if n]


def _area_order(r: dict[str, Any], rules: list[dict[str, Any]]) -> list[str]:
    """The contracts' order of areas, as the model's summary lists them; any others after."""
    ordered = list(r["summary"]["areas"])
    return ordered + sorted({x["area"] for x in rules} - set(ordered))


def _area(name: str, verdict: str, counts: dict[str, int]) -> dict[str, Any]:
    return {"name": name, "verdict": verdict, "counts": counts, "total": sum(counts.values())} | {
        "segments": _segments(counts)
    }


def _areas(r: dict[str, Any]) -> list[dict[str, Any]]:
    areas = r["summary"]["areas"]
    rows = []
    for name in [a for a in _area_order(r, []) if a in areas]:
        counts = _counts(areas[name]["rules"])
        checked = counts["pass"] + counts["fail"] + counts["error"] + counts["xfail"]
        rows.append(_area(name, areas[name]["verdict"] if checked else "not_run", counts))
    rows.append(_area("overall", r["summary"]["verdict"], _counts(r["summary"]["rules"])))
    return rows


def _groups(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for rule in rules:
        group = groups.setdefault(
            rule["group"], {"title": rule["group"], "area": rule["area"], "index": rule["index"], "rules": []}
        )
        group["rules"].append(rule)
    for group in groups.values():
        group["rules"].sort(key=lambda x: (OUTCOME_RANK.get(x["outcome"], 9), x["index"]))
        group["counts"] = _counts({k: sum(x["outcome"] == k for x in group["rules"]) for k in OUTCOMES})
        group["failing"] = group["counts"]["fail"] + group["counts"]["error"]
    return sorted(groups.values(), key=lambda g: (0 if g["failing"] else 1, g["index"]))


def _failure_groups(failures: list[dict[str, Any]], by_id: dict[str, Any]) -> list[dict[str, Any]]:
    """Failures by rule: gating ones first (one broken rule often fails many tests), then advisories
    (rules that do not gate: SHOULD, or inferred), then expected failures."""
    groups: dict[str, dict[str, Any]] = {}
    for failure in failures:
        rule = by_id.get(failure["rule_id"])
        group = groups.setdefault(
            failure["rule_id"], {"rule_id": failure["rule_id"], "rule": rule, "all": []}
        )
        group["all"].append(failure)
    for group in groups.values():
        rule = group["rule"] or {}
        if rule.get("outcome") == "xfail":
            group["kind"] = "expected"
        else:
            group["kind"] = "gating" if gating(rule) else "advisory"
        group["shown"] = [_failure(f, group["rule"]) for f in group["all"][:SHOWN_PER_RULE]]
        group["rest"] = group["all"][SHOWN_PER_RULE:]

    def order(group: dict[str, Any]) -> tuple[int, int]:
        rule = group["rule"] or {}
        return (OUTCOME_RANK.get(rule.get("outcome", "fail"), 9), rule.get("index", 0))

    return sorted(groups.values(), key=order)


def _failure(failure: dict[str, Any], rule: dict[str, Any] | None) -> dict[str, Any]:
    view = failure | {"rule": rule, "request": None, "response": None}
    exchange = failure["exchange"]
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
    except (TypeError, ValueError):
        return ""


def _pretty(body: Any, headers: Any) -> dict[str, Any]:
    """The body as sent or received, and a readable form of it when there is one (JSON, form fields)."""
    body = body if isinstance(body, str) else ("" if body is None else json.dumps(body))
    headers = headers if isinstance(headers, dict) else {}
    kind = str(headers.get("content-type") or "").split(";")[0].strip().lower()
    readable = None
    if body:
        parsed, value = safe.parse_json(body)  # deep or wide JSON cannot break the page (report.safe)
        if parsed:
            readable = safe.visible(safe.pretty_json(value, limit=BODY_LIMIT))
        elif kind == "application/x-www-form-urlencoded":
            readable = "\n".join(f"{k} = {v}" for k, v in parse_qsl(body, keep_blank_values=True))
    clipped = len(body) > BODY_LIMIT
    return {
        "raw": body[:BODY_LIMIT],
        "readable": (readable or "")[:BODY_LIMIT] or None,
        "clipped": clipped,
        "size": len(body.encode("utf-8")),
        "kind": kind,
    }
