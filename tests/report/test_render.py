"""The reports rendered from the sample results models: valid, self-contained and in agreement."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import html5lib
import jsonschema
import pytest

from cbconform.report import html, write_all
from cbconform.report.links import failure_link

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = Path(__file__).parent / "samples"
SCHEMA = json.loads((ROOT / "contracts" / "results.schema.json").read_text(encoding="utf-8"))


PLANNED = {  # fields the lead's model adds (issues 12, 14); validated once the schema declares them
    "target": ("absent_features", "feature_source"),
    "run": ("complete", "stop_reason"),
    "summary": ("not_examined",),
}
RULE_PLANNED = ("evidence", "source_url", "gates")


@pytest.fixture(params=["clean", "skips", "failing", "incomplete"])
def rendered(request, tmp_path):
    results = json.loads((SAMPLES / f"{request.param}.json").read_text(encoding="utf-8"))
    paths = write_all(results, tmp_path)
    return results, {name: path.read_text(encoding="utf-8") for name, path in paths.items()}


def _as_schema_knows(results):
    """The sample without the planned fields the schema does not declare yet."""
    results = copy.deepcopy(results)
    props = SCHEMA["properties"]
    for part, names in PLANNED.items():
        for name in names:
            if name not in props[part]["properties"]:
                results[part].pop(name, None)
    rule_props = props["rules"]["items"].get("properties", {})
    for rule in results["rules"]:
        for name in RULE_PLANNED:
            if name not in rule_props:
                rule.pop(name, None)
    if (
        "incomplete" not in json.dumps(SCHEMA["$defs"]["verdict"])
        and results["summary"]["verdict"] == "incomplete"
    ):
        pytest.skip("the results schema has no incomplete verdict yet (issue 12)")
    return results


def test_results_validate_against_schema(rendered):
    results, files = rendered
    jsonschema.validate(_as_schema_knows(results), SCHEMA)
    jsonschema.validate(_as_schema_knows(json.loads(files["results.json"])), SCHEMA)


def test_html_parses_strictly(rendered):
    _, files = rendered
    html5lib.HTMLParser(strict=True).parse(files["report.html"])


def test_html_loads_nothing_external(rendered):
    html = rendered[1]["report.html"].lower()
    for marker in (
        'src="http',
        "src='http",
        "<link rel=stylesheet href",
        '<link rel="stylesheet"',
        "@import",
    ):
        assert marker not in html


def test_every_rule_in_matrix_with_its_outcome(rendered):
    results, files = rendered
    tree = html5lib.parse(files["report.html"], namespaceHTMLElements=False)
    rows = {row.get("id"): row for row in tree.iter("tr") if (row.get("id") or "").startswith("rule-")}
    for rule in results["rules"]:
        row = rows.get(f"rule-{rule['id']}")
        assert row is not None, rule["id"]
        assert row.get("data-outcome") == rule["outcome"], rule["id"]
        assert rule["id"] in "".join(row.itertext())


def test_junit_names_rules_and_counts_failures(rendered):
    results, files = rendered
    root = ET.fromstring(files["junit.xml"])
    names = [case.get("name") for case in root.iter("testcase")]
    for rule in results["rules"]:
        assert any(name == rule["id"] or name.startswith(f"{rule['id']} [") for name in names), rule["id"]
    outcome = {rule["id"]: rule["outcome"] for rule in results["rules"]}
    failed_checks = {
        (f["rule_id"], f["test"]) for f in results["failures"] if outcome[f["rule_id"]] != "xfail"
    }
    assert int(root.get("failures")) == len(failed_checks)
    assert sum(1 for case in root.iter("testcase") if case.find("failure") is not None) == len(failed_checks)


def _tree(text):
    return html5lib.parse(text, namespaceHTMLElements=False)


def test_every_failing_rule_has_a_stable_anchor(rendered):
    results, files = rendered
    tree = _tree(files["report.html"])
    ids = {el.get("id") for el in tree.iter() if el.get("id")}
    for failure in results["failures"]:
        assert failure["rule_id"] in ids, failure["rule_id"]
    for link in tree.iter("a"):
        href = link.get("href") or ""
        if href.startswith("#") and len(href) > 1:
            assert href[1:] in ids, href


def test_every_rule_links_its_public_source(rendered):
    results, files = rendered
    rows = {row.get("id"): row for row in _tree(files["report.html"]).iter("tr") if row.get("id")}
    for rule in results["rules"]:
        hrefs = {a.get("href") for a in rows[f"rule-{rule['id']}"].iter("a")}
        url = rule.get("source_url") or ""
        if url.startswith("https://"):
            assert url in hrefs, rule["id"]
        else:  # a JSON Pointer or nothing: shown as text, never as a link to nowhere
            assert not any(h and h.startswith("http") for h in hrefs), rule["id"]


def test_model_fields_reach_the_first_screen():
    def text(name):
        return html.render(json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8")))

    failing, clean, incomplete = text("failing"), text("clean"), text("incomplete")
    assert "3 gating rules failed" in failing
    assert "advisory (failed, but not gating)" in failing and 'id="advisories"' in failing
    assert "Limitation:" in clean and "event-log, clock, rate-limit" in clean
    assert "Incomplete: the request budget (--max-requests 60) is spent." in incomplete
    assert "<title>\u25d1 Incomplete" in incomplete


def test_sections_below_the_failures_are_collapsed(rendered):
    _, files = rendered
    sections = [d for d in _tree(files["report.html"]).iter("details") if "section" in (d.get("class") or "")]
    assert {d.get("id") for d in sections} == {"rules", "coverage", "tests", "self-proof", "run"}
    assert not [d.get("id") for d in sections if d.get("open") is not None]


def test_text_from_the_target_is_escaped():
    results = json.loads((SAMPLES / "failing.json").read_text(encoding="utf-8"))
    results["failures"][0]["received"] = "<img src=x onerror=alert(1)>"
    results["rules"][0]["statement"] = "</script><script>alert(2)</script>"
    page = html.render(results)
    assert "<img src=x" not in page and "<script>alert(2)" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def _without(results, path):
    """`results` with the field at `path` removed (a `*` step removes it from every list item)."""
    results = copy.deepcopy(results)

    def drop(node, steps):
        head, rest = steps[0], steps[1:]
        if head == "*":
            for item in node if isinstance(node, list) else []:
                drop(item, rest)
        elif isinstance(node, dict) and head in node:
            if rest:
                drop(node[head], rest)
            else:
                del node[head]

    drop(results, path.split("."))
    return results


def _paths(results):
    paths = list(results)
    for part in ("suite", "target", "run", "summary", "coverage"):
        paths += [f"{part}.{key}" for key in results[part]]
    for part in ("rules", "failures", "tests", "errors"):
        keys = {key for row in results[part] for key in row}
        paths += [f"{part}.*.{key}" for key in sorted(keys)]
    paths += [f"failures.*.exchange.{k}" for k in ("request", "response")]
    paths += [f"failures.*.exchange.request.{k}" for k in ("method", "url", "headers", "body")]
    paths += [f"failures.*.exchange.response.{k}" for k in ("status", "headers", "body")]
    return paths


@pytest.mark.parametrize("sample", ["failing", "skips"])
def test_renderer_survives_missing_and_unknown_fields(sample):
    results = json.loads((SAMPLES / f"{sample}.json").read_text(encoding="utf-8"))
    failing = {f["rule_id"] for f in results["failures"]}  # a few rules are enough, and quick
    results["rules"] = [r for i, r in enumerate(results["rules"]) if i < 6 or r["id"] in failing]
    results["tests"] = results["tests"][:6]
    for path in _paths(results):
        assert "</html>" in html.render(_without(results, path)), path
    odd = copy.deepcopy(results)
    odd["summary"]["verdict"] = "something-new"
    odd["rules"][0] |= {"outcome": "flaky", "evidence": "oracle", "gates": None, "future": {"x": 1}}
    odd["failures"].append(odd["failures"][0] | {"rule_id": "NOT-IN-CATALOGUE"} if odd["failures"] else {})
    odd["run"] |= {"duration_s": "soon", "requests": None, "complete": False}
    odd["target"]["absent_features"] = None
    assert "</html>" in html.render(odd)
    for garbage in ({}, {"rules": "x", "failures": [None, 3]}, {"summary": None, "run": []}):
        assert "</html>" in html.render(garbage)


def test_failure_link_is_report_path_and_rule_id():
    assert failure_link("reports/report.html", "OF-STATUS-ENUM") == "reports/report.html#OF-STATUS-ENUM"


def test_a_run_split_over_processes_says_so_in_its_details():
    results = json.loads((SAMPLES / "clean.json").read_text(encoding="utf-8"))
    assert "tests run by" not in html.render(results)
    results["run"]["processes"] = 2
    assert "requests sent · tests run by 2 processes" in html.render(results)


def test_requests_left_unanswered_are_named_in_the_banner_and_listed_in_the_details(tmp_path):
    results = json.loads((SAMPLES / "clean.json").read_text(encoding="utf-8"))
    unanswered = [
        {"test": f"suites/t.py::test_{n}", "request": "POST http://t/api/v2/orders", "reason": "no answer: X"}
        for n in range(23)
    ]
    results["run"] |= {"unanswered": unanswered, "complete": False}
    results["summary"]["verdict"] = "incomplete"
    jsonschema.Draft202012Validator(SCHEMA).validate(results)
    page = html.render(results)
    assert "the target left 23 requests unanswered (POST http://t/api/v2/orders: no answer: X)" in page
    assert '<a href="#unanswered">Every request left unanswered</a>' in page and 'id="unanswered"' in page
    assert (
        page.count("in <code>suites/t.py::test_") == 20 and "and 3 more in <code>results.json</code>" in page
    )
    junit = ET.fromstring(write_all(results, tmp_path)["junit.xml"].read_text(encoding="utf-8"))
    assert junit.find(".//property[@name='run_unanswered']").get("value") == "23"
