"""junit.xml: one test case per rule check, so CI systems list rule IDs.

A test suite per area; a test case per (rule, test citing it), classname = the rule's group. A rule no
test cites gets one test case of its own, skipped with the reason. Skipped cases carry a `type` that
tells a skip, an expected failure and a rule the test never reached apart, so the worst case of each
rule gives back the rule's outcome in results.json. Every string goes through report.safe.xml first:
characters XML 1.0 forbids (control characters a target may send) are written as visible escapes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from cbconform.report import safe
from cbconform.report.links import failure_link


def render(results: dict[str, Any]) -> str:
    return _render(safe.clean_value(results, safe.xml))


def _render(results: dict[str, Any]) -> str:
    failures = {(f["rule_id"], f["test"]): f for f in results["failures"]}
    tests = {t["nodeid"]: t for t in results["tests"]}
    failed_rules: dict[str, list[str]] = {}
    for f in results["failures"]:
        failed_rules.setdefault(f["test"], []).append(f["rule_id"])
    root = ET.Element("testsuites", name=results["suite"]["name"])
    areas = list(results["summary"]["areas"])
    areas += sorted({r["area"] for r in results["rules"]} - set(areas))
    for area in areas:
        rules = [r for r in results["rules"] if r["area"] == area]
        if rules:
            suite = _suite(root, results, area)
            for rule in rules:
                for case in _cases(rule, tests, failures, failed_rules):
                    suite.append(case)
            _count(suite)
            cited = {nodeid for r in rules for nodeid in r["tests"] if nodeid in tests}
            suite.set("time", f"{sum(tests[n]['duration_s'] for n in cited):.3f}")
    _count(root)
    root.set("time", f"{results['run']['duration_s']:.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _suite(root: ET.Element, results: dict[str, Any], area: str) -> ET.Element:
    suite = ET.SubElement(root, "testsuite", name=f"cbconform.{area}", timestamp=results["run"]["started_at"])
    props = ET.SubElement(suite, "properties")
    target, run = results["target"], results["run"]
    for name, value in (
        ("grow_url", target["grow_url"]),
        ("core_url", target["core_url"]),
        ("profile", run["profile"]),
        ("seed", run["seed"]),
        ("contracts_digest", results["suite"]["contracts_digest"]),
        ("verdict", results["summary"]["areas"].get(area, {}).get("verdict", "")),
        ("run_verdict", results["summary"]["verdict"]),
        ("run_complete", run.get("complete", True)),
        ("run_stop_reason", run.get("stop_reason")),
        ("run_unanswered", len(run.get("unanswered") or [])),
        ("gating_rules_not_examined", len(results["summary"].get("not_examined", []))),
    ):
        ET.SubElement(props, "property", name=name, value="" if value is None else str(value))
    return suite


def _cases(rule, tests, failures, failed_rules) -> list[ET.Element]:
    cited = [tests[nodeid] for nodeid in rule["tests"] if nodeid in tests]
    if not cited:
        case = ET.Element("testcase", classname=rule["group"], name=rule["id"], time="0")
        kind = "skip" if rule["outcome"] == "skip" else "not_run"
        reason = rule["skip_reason"] or "no test of this run checked this rule"
        ET.SubElement(case, "skipped", type=kind, message=reason)
        return [case]
    return [_case(rule, test, failures.get((rule["id"], test["nodeid"])), failed_rules) for test in cited]


def _case(rule, test, failure, failed_rules) -> ET.Element:
    case = ET.Element(
        "testcase",
        classname=rule["group"],
        name=f"{rule['id']} [{test['nodeid']}]",
        file=test["nodeid"].split("::", 1)[0],
        time=f"{test['duration_s']:.3f}",
    )
    if failure is not None and rule["outcome"] == "xfail":
        ET.SubElement(case, "skipped", type="xfail", message=f"expected failure: {failure['received']}")
    elif failure is not None:
        gating = rule.get("gates", rule["level"] == "MUST")
        level = "" if gating else f"[{rule['level']}, {rule.get('evidence')}: does not fail the gate] "
        message = f"{level}{failure['title']} ({failure_link('report.html', rule['id'])})"
        el = ET.SubElement(case, "failure", type=failure["check"], message=message)
        el.text = _failure_text(rule, failure)
    elif test["outcome"] == "error":
        el = ET.SubElement(case, "error", type="harness", message=test["message"] or "the harness failed")
        el.text = "A harness error: it says nothing about the target."
    elif test["outcome"] == "skip":
        ET.SubElement(case, "skipped", type="skip", message=test["message"] or "skipped")
    elif test["outcome"] in ("fail", "xfail"):
        others = ", ".join(failed_rules.get(test["nodeid"], [])) or "another rule"
        ET.SubElement(case, "skipped", type="not_run", message=f"not reached: the test failed on {others}")
    return case


def _failure_text(rule: dict[str, Any], failure: dict[str, Any]) -> str:
    lines = [
        f"{failure['id']}  {rule['id']} ({rule['level']}): {rule['statement']}",
        f"source:     {rule['source']}",
        f"documented: {failure['documented']}",
        f"received:   {failure['received']}",
    ]
    exchange = failure.get("exchange")
    if exchange:
        req, resp = exchange["request"], exchange["response"]
        lines.append(f"request:    {req['method']} {req['url']} -> HTTP {resp['status']}")
    if failure.get("curl"):
        lines.append(f"curl:       {failure['curl']}")
    repro = failure["reproduce"]
    lines.append(f"reproduce:  {repro['pytest']}")
    if repro.get("replay"):
        lines.append(f"replay:     {repro['replay']}")
    return "\n".join(lines)


def _count(el: ET.Element) -> None:
    cases = list(el.iter("testcase"))
    el.set("tests", str(len(cases)))
    el.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    el.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
    el.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
