"""Writes the hand-made sample results beside this file: `python tests/report/samples/make_samples.py`.

Samples: failing (gating failures, an advisory, an expected failure), clean (passes, with features
declared absent), skips (a harness error) and incomplete (the request budget ran out).

The rows come from the rule catalogue so the samples look like a real run; the outcomes, failures and
coverage are written out here by hand. The JSON files are committed; the renderer tests read only them."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from cbconform import contracts

HERE = Path(__file__).parent
MODULES = {
    "PO": "test_personalized_offers",
    "POREQ": "test_personalized_offers",
    "OF": "test_offer_fulfillment",
    "CRT": "test_create_fulfillment",
    "RET": "test_retrieve_fulfillment",
    "UPD": "test_update_fulfillment",
    "ORD": "test_orders",
    "HDR": "test_headers",
    "ENC": "test_encodings",
    "IDEM": "test_idempotency",
    "AUTH": "test_auth",
    "ERR": "test_errors",
    "RATE": "test_rate_limits",
}
EMBEDDED = "http://embedded.invalid/api/v2"
DOCS = "https://www.chargebee.com/docs/2.0/"
POINTERS = {  # a few rules graded from the official OpenAPI document, as issue 14 plans
    "OF-STATUS-ENUM": "#/components/schemas/OfferFulfillment/properties/status",
    "OF-PROCESSING-TYPE-ENUM": "#/components/schemas/OfferFulfillment/properties/processing_type",
}
INFERRED = ("CRT-HOSTED-PAGE-FOR-CHECKOUT", "ORD-DEPRECATED")
FULFILLMENT = {
    "offer_fulfillment": {
        "id": "of_AzZ9k3T",
        "personalized_offer_id": "po_8x1",
        "option_id": "opt_bu",
        "processing_type": "billing_update",
        "status": "in_progres",
        "created_at": 1700000000,
        "object": "offer_fulfillment",
    }
}


def provenance(rule: Any, pages: dict[str, Any]) -> dict[str, Any]:
    """evidence, source_url and gates as the lead's model will carry them (issue 14)."""
    if rule.id in INFERRED:
        return {"evidence": "inferred", "source_url": None, "gates": False}
    if rule.id in POINTERS:
        return {"evidence": "spec", "source_url": POINTERS[rule.id], "gates": True}
    url = pages.get(rule.page, {}).get("url")
    if url:
        return {"evidence": "seed", "source_url": url, "gates": True}
    return {
        "evidence": "docs",
        "source_url": DOCS + rule.section.lower().replace(" ", "-")[:40],
        "gates": True,
    }


def test_of(rule_id: str) -> str:
    module = MODULES[rule_id.split("-", 1)[0]]
    return f"suites/{module}.py::test_{rule_id.lower().replace('-', '_')}"


def exchange(method: str, path: str, body: str, status: int, response: Any, operation: str) -> dict[str, Any]:
    headers = {"authorization": "[REDACTED]", "content-type": "application/x-www-form-urlencoded"}
    if method == "GET":
        headers.pop("content-type")
    return {
        "request": {"method": method, "url": EMBEDDED + path, "headers": headers, "body": body},
        "response": {
            "status": status,
            "headers": {"content-type": "application/json"},
            "body": response if isinstance(response, str) else json.dumps(response, indent=None),
        },
        "elapsed_ms": 3.4,
        "operation": operation,
    }


def curl(ex: dict[str, Any]) -> str:
    req = ex["request"]
    data = (
        f" -H 'content-type: application/x-www-form-urlencoded' --data-raw '{req['body']}'"
        if req["body"]
        else ""
    )
    return f"curl -sS -X {req['method']} '{req['url']}' -u \"$CHARGEBEE_API_KEY:\"{data}"


def failure(
    fid: str,
    rule_id: str,
    check: str,
    title: str,
    documented: str,
    received: str,
    ex: dict[str, Any] | None,
    seed: int | None = 1234,
    blob: str | None = None,
) -> dict[str, Any]:
    test = test_of(rule_id)
    return {
        "id": fid,
        "rule_id": rule_id,
        "test": test,
        "check": check,
        "title": title,
        "documented": documented,
        "received": received,
        "exchange": ex,
        "curl": curl(ex) if ex else None,
        "reproduce": {
            "seed": seed,
            "blob": blob,
            "pytest": f"pytest '{test}' --hypothesis-seed={seed}" if seed is not None else f"pytest '{test}'",
            "replay": f"cbconform replay reports/results.json --failure {fid}" if ex else None,
        },
    }


def build(
    name: str,
    *,
    kind: str,
    outcomes: dict[str, str],
    failures: list[dict[str, Any]],
    errors: list[dict[str, Any]],
    skip_reasons: dict[str, str],
    requests: int,
    exit_code: int,
    absent: tuple[str, ...] = (),
    stop_reason: str | None = None,
) -> None:
    c = contracts.load()
    url = EMBEDDED if kind == "embedded" else "http://127.0.0.1:8080/api/v2"
    failed = {f["rule_id"]: f for f in failures}
    tests: dict[str, dict[str, Any]] = {}
    rules = []
    for rule in c.rules.values():
        outcome = outcomes.get(rule.id, "pass")
        nodeid = test_of(rule.id)
        if outcome != "not_run":
            test_outcome = {"xfail": "xfail"}.get(outcome, outcome)
            entry = tests.setdefault(
                nodeid,
                {
                    "nodeid": nodeid,
                    "rules": [],
                    "outcome": test_outcome,
                    "duration_s": round(0.01 + (len(rule.id) % 7) * 0.013, 4),
                    "message": skip_reasons.get(rule.id),
                },
            )
            entry["rules"].append(rule.id)
            if outcome == "fail":
                entry["message"] = failed[rule.id]["title"]
        rules.append(
            {
                "id": rule.id,
                "level": rule.level,
                "statement": rule.statement,
                "source": rule.source,
                **provenance(rule, c.pages),
                "group": rule.group,
                "area": rule.area,
                "operations": list(rule.operations),
                "outcome": outcome,
                "tests": [] if outcome == "not_run" else [nodeid],
                "exercised": 0 if outcome in ("skip", "not_run") else 3 + len(rule.statement) % 40,
                "skip_reason": skip_reasons.get(rule.id),
                "failures": [f["id"] for f in failures if f["rule_id"] == rule.id],
            }
        )
    not_examined = [r["id"] for r in rules if r["outcome"] in ("skip", "not_run") and gates(r)]
    not_examined = [i for i in not_examined if stop_reason or c.rules[i].needs not in (None, *absent)]
    summary = {
        "verdict": "incomplete" if stop_reason and verdict(rules) == "pass" else verdict(rules),
        "not_examined": not_examined if stop_reason else [],
        "advisories": [r["id"] for r in rules if r["outcome"] == "fail" and not gates(r)],
        "rules": counts(r["outcome"] for r in rules),
        "tests": counts(t["outcome"] for t in tests.values()),
        "areas": {
            a: {
                "verdict": verdict([r for r in rules if r["area"] == a]),
                "rules": counts(r["outcome"] for r in rules if r["area"] == a),
            }
            for a in c.areas
        },
    }
    results = {
        "schema_version": 1,
        "suite": {"name": "chargebee-conformance", "version": "0.1.0", "contracts_digest": "3f9a1c27b0de"},
        "target": {
            "kind": kind,
            "grow_url": url,
            "core_url": url,
            "site": None,
            "api_key": "[REDACTED]",
            "readings": {"AMB-SEVEN-DAY-CODE": "seed"},
            "features": ["idempotency"],
            "faults": ["of-status-typo"] if name == "failing" else [],
            "absent_features": list(absent),
            "feature_source": "the configuration"
            if absent
            else "discovered from /__admin and the configuration",
        },
        "run": {
            "started_at": "2026-11-22T20:00:00+00:00",
            "duration_s": 12.3,
            "profile": "ci",
            "seed": 1234,
            "requests": requests,
            "command": f"cbconform run --report-dir reports/{name}",
            "exit_code": exit_code,
            "complete": stop_reason is None,
            "stop_reason": stop_reason,
            "strict": False,
            "stale_expected_failures": [],
        },
        "summary": summary,
        "rules": rules,
        "tests": list(tests.values()),
        "failures": failures,
        "errors": errors,
        "coverage": {
            "enum_values": {}
            if name == "skips"
            else {
                "OF-STATUS-ENUM": {"in_progress": 14, "completed": 6, "failed": 3},
                "OF-PROCESSING-TYPE-ENUM": {
                    "billing_update": 4,
                    "checkout": 3,
                    "url_redirect": 2,
                    "webhook": 2,
                    "email": 1,
                },
            },
            "boundary_lengths": {
                "create_offer_fulfillment option_id": {"max": 50, "sent": [1, 50, 51]},
                "personalized_offers customer_id": {"max": 50, "sent": [50, 51]},
            },
            "skipped": {r["id"]: r["skip_reason"] for r in rules if r["outcome"] == "skip"},
        },
    }
    (HERE / f"{name}.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def counts(outcomes: Any) -> dict[str, int]:
    found = Counter(outcomes)
    return {k: found.get(k, 0) for k in ("pass", "fail", "skip", "error", "xfail", "not_run")}


def gates(rule: dict[str, Any]) -> bool:
    return rule["level"] == "MUST" and rule["gates"]


def verdict(rules: list[dict[str, Any]]) -> str:
    if any(r["outcome"] == "error" for r in rules):
        return "error"
    return "fail" if any(r["outcome"] == "fail" and gates(r) for r in rules) else "pass"


def needs_skips() -> dict[str, str]:
    c = contracts.load()
    return {r.id: c.needs[r.needs] for r in c.rules.values() if r.needs}


def failing() -> None:
    bad = exchange(
        "POST",
        "/offer_fulfillments",
        "personalized_offer_id=po_8x1&option_id=opt_bu",
        202,
        FULFILLMENT,
        "create_offer_fulfillment",
    )
    created_200 = exchange(
        "POST",
        "/offer_fulfillments",
        "personalized_offer_id=po_8x1&option_id=opt_wh",
        200,
        {"offer_fulfillment": FULFILLMENT["offer_fulfillment"] | {"status": "in_progress"}},
        "create_offer_fulfillment",
    )
    param = exchange(
        "POST",
        "/offer_fulfillments",
        "personalized_offer_id=po_8x1&option_id=" + "x" * 51,
        400,
        {
            "message": "<script>alert('option_id')</script> is invalid",
            "type": "invalid_request",
            "api_error_code": "param_wrong_value",
            "param": "optionid",
            "error_code": "invalid",
        },
        "create_offer_fulfillment",
    )
    hosted = exchange(
        "POST",
        "/offer_fulfillments",
        "personalized_offer_id=po_8x1&option_id=opt_co",
        202,
        {
            "offer_fulfillment": FULFILLMENT["offer_fulfillment"]
            | {"processing_type": "checkout", "status": "in_progress"}
        },
        "create_offer_fulfillment",
    )
    failures = [
        failure(
            "F1",
            "OF-STATUS-ENUM",
            "response_schema",
            "The response body conforms to its contract",
            "status is one of in_progress, completed, failed.",
            "'in_progres' is not one of ['in_progress', 'completed', 'failed'] at /offer_fulfillment/status",
            bad,
            blob="AXicY2BgZGBkYAQAAA0ABQ==",
        ),
        failure(
            "F2",
            "CRT-STATUS-202",
            "success_status",
            "A successful call answers with the documented status",
            "HTTP 202",
            "HTTP 200",
            created_200,
        ),
        failure(
            "F3",
            "ERR-PARAM-NAMES-FIELD",
            "param_names_field",
            "param_names_field",
            "param = 'option_id'",
            "param = 'optionid'",
            param,
        ),
        failure(
            "F4",
            "CRT-HOSTED-PAGE-FOR-CHECKOUT",
            "expect_that",
            "expect_that",
            "a checkout fulfillment's create response carries hosted_page",
            "no hosted_page",
            hosted,
        ),
        failure(
            "F5",
            "UPD-FAILED-EVENT",
            "expect_that",
            "expect_that",
            "one failed event for of_AzZ9k3T",
            "events: [accepted]",
            None,
            seed=None,
        ),
    ]
    skips = {k: v for k, v in needs_skips().items() if not k.startswith("UPD-FAILED")}
    outcomes = {k: "skip" for k in skips} | {f["rule_id"]: "fail" for f in failures}
    outcomes |= {"UPD-FAILED-EVENT": "xfail", "ORD-DEPRECATED": "not_run"}
    skips["ORD-DEPRECATED"] = None  # not run, no reason recorded
    build(
        "failing",
        kind="embedded",
        outcomes=outcomes,
        failures=failures,
        errors=[],
        skip_reasons=skips,
        requests=812,
        exit_code=1,
    )


def clean() -> None:
    skips = needs_skips()
    build(
        "clean",
        kind="remote",
        outcomes={k: "skip" for k in skips},
        failures=[],
        errors=[],
        skip_reasons=skips,
        requests=640,
        exit_code=0,
        absent=("event-log", "clock", "rate-limit"),
    )


def incomplete() -> None:
    c = contracts.load()
    budget = "the request budget (--max-requests 60) is spent"
    late = [r.id for r in c.rules.values() if r.area == "orders"]
    skips = needs_skips() | {k: budget for k in late}
    build(
        "incomplete",
        kind="remote",
        outcomes={k: "not_run" if k in late else "skip" for k in skips},
        failures=[],
        errors=[],
        skip_reasons=skips,
        requests=60,
        exit_code=4,
        stop_reason=budget,
    )


def skipped() -> None:
    c = contracts.load()
    budget = "the request budget (--max-requests 40) is spent"
    late = [r.id for r in c.rules.values() if r.area in ("orders", "errors")]
    skips = needs_skips() | {k: budget for k in late}
    outcomes = {k: "skip" for k in skips} | {"AUTH-MISSING-KEY-401": "error"}
    errors = [
        {
            "test": test_of("AUTH-MISSING-KEY-401"),
            "message": "KeyError: 'www-authenticate'",
            "detail": 'Traceback (most recent call last):\n  File "suites/test_auth.py", line 12\nKeyError',
        }
    ]
    build(
        "skips",
        kind="remote",
        outcomes=outcomes,
        failures=[],
        errors=errors,
        skip_reasons=skips,
        requests=40,
        exit_code=2,
    )


if __name__ == "__main__":
    failing()
    clean()
    skipped()
    incomplete()
