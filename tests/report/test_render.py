"""The reports rendered from the sample results models: valid, self-contained and in agreement."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import html5lib
import jsonschema
import pytest

from cbconform.report import write_all

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = Path(__file__).parent / "samples"
SCHEMA = json.loads((ROOT / "contracts" / "results.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(params=["clean", "skips", "failing"])
def rendered(request, tmp_path):
    results = json.loads((SAMPLES / f"{request.param}.json").read_text(encoding="utf-8"))
    paths = write_all(results, tmp_path)
    return results, {name: path.read_text(encoding="utf-8") for name, path in paths.items()}


def test_results_validate_against_schema(rendered):
    results, files = rendered
    jsonschema.validate(results, SCHEMA)
    jsonschema.validate(json.loads(files["results.json"]), SCHEMA)


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
