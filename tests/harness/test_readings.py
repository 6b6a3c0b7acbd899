"""Readings reach every check (issue 12): for every reading of every ambiguity in contracts/, an embedded
`cbconform run --reading ID=NAME` passes; and where two readings exclude each other, a suite on one
reading fails the ambiguity's rules against a served reference server left on the other.

Each run is narrowed to the suite tests citing the ambiguity's rules (rules_plugin deselects the rest;
the modules that cite none, by one collection of the suites, are not even collected). These runs take
minutes, so they run only when CBCONFORM_READINGS is set:
`CBCONFORM_READINGS=1 pytest -m readings tests/harness`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cbconform import contracts

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
C = contracts.load()
# Every default reading is what every default run follows (README command 1 in .ci/run, and the embedded
# runs of the other harness tests), so the narrowed runs here cover the other readings.
READINGS = [(amb.id, r.name) for amb in C.ambiguities.values() for r in amb.readings if r.name != amb.default]

# (ambiguity, the suite's reading, the server's reading, the rule that must fail): the server's answer
# breaks the suite's reading. A representative pair for each ambiguity whose readings change what the
# reference server does, both ways where both exclude; the other ambiguities (and directions) only
# widen or narrow what the suite accepts of the same answer. The rule is the ambiguity's own, except
# that a withdrawn endpoint breaks the order rules the "served" reading checks.
EXCLUSIVE = [
    ("AMB-SEVEN-DAY-CODE", "spec", "seed", "UPD-SEVEN-DAY-EXPIRY"),
    ("AMB-SEVEN-DAY-CODE", "seed", "spec", "UPD-SEVEN-DAY-EXPIRY"),
    ("AMB-REQUEST-CONTEXT-REQUIRED", "seed", "spec", "POREQ-REQUEST-CONTEXT-REQUIRED"),
    ("AMB-OPTION-REDIRECT-URL", "listed-required", "described", "PO-OPTION-REDIRECT-URL-ONLY-URL-REDIRECT"),
    ("AMB-OPTION-REDIRECT-URL", "described", "listed-required", "PO-OPTION-REDIRECT-URL-ONLY-URL-REDIRECT"),
    ("AMB-ORDERS-DEPRECATED", "served", "withdrawn", "ORD-STATUS-200"),
    ("AMB-ORDERS-DEPRECATED", "withdrawn", "served", "ORD-DEPRECATED"),
    ("AMB-REQUEST-ENCODING", "both", "form-only", "ENC-JSON-ACCEPTED"),
    ("AMB-UNSUPPORTED-CONTENT-TYPE", "415", "any-4xx", "ENC-CONTENT-TYPE-SUPPORTED"),
    ("AMB-FAILED-WITHOUT-REASON", "enforced", "prose-only", "UPD-FAILURE-REASON-REQUIRED"),
]
CONFORMS, FAILED, INCOMPLETE = 0, 1, 4  # docs/GATE.md; a narrowed run may be judged incomplete

pytestmark = [
    pytest.mark.readings,
    pytest.mark.skipif(
        not os.environ.get("CBCONFORM_READINGS"),
        reason="minutes of CPU: set CBCONFORM_READINGS=1 (CI: CBCONFORM_READINGS=1 pytest -m readings)",
    ),
]


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBCONFORM_") and k != "CHARGEBEE_API_KEY"}
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])
    return env


@pytest.fixture(scope="module")
def citations(tmp_path_factory) -> dict[str, list[str]]:
    """nodeid -> the rules it cites, from one collection of the suites."""
    out = tmp_path_factory.mktemp("citations") / "citations.json"
    env = _environment() | {"CBCONFORM_CITATIONS_OUT": str(out)}
    argv = [sys.executable, "-m", "pytest", "--collect-only", "-q", "suites", "-p", "no:cacheprovider"]
    proc = subprocess.run(
        [*argv, "-p", "citations_plugin"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))


def _narrowed(citations: dict[str, list[str]], rules: set[str]) -> list[str]:
    """pytest arguments that skip collecting the suite modules that cite none of `rules`."""
    citing = {nodeid.split("::")[0] for nodeid, cited in citations.items() if rules & set(cited)}
    assert citing, f"no suite test cites {sorted(rules)}"
    ignored = sorted({nodeid.split("::")[0] for nodeid in citations} - citing)
    return ["-p", "rules_plugin", *(f"--ignore={ROOT / m}" for m in ignored)]


def _run(rules: set[str], *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "cbconform.cli", "run", "--progress", "quiet", *args]
    env = _environment() | {"CBCONFORM_SELECT_RULES": ",".join(sorted(rules))}
    return subprocess.run(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout
    )


def _model(report_dir: Path) -> dict:
    return json.loads((report_dir / "results.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("ambiguity", "reading"), READINGS, ids=[f"{a}={r}" for a, r in READINGS])
def test_every_reading_passes_embedded(citations, tmp_path: Path, ambiguity: str, reading: str) -> None:
    rules = set(C.ambiguities[ambiguity].rules)
    if not rules:
        pytest.skip(f"{ambiguity} governs no check (it records where the documents disagree on hosts)")
    assert reading != C.ambiguities[ambiguity].default
    proc = _run(
        rules, "--reading", f"{ambiguity}={reading}", "--report-dir", str(tmp_path),
        "--", *_narrowed(citations, rules),
    )  # fmt: skip
    assert proc.returncode in (CONFORMS, INCOMPLETE), proc.stdout[-4000:]
    model = _model(tmp_path)
    assert not model["failures"] and not model["errors"], proc.stdout[-4000:]


@pytest.mark.parametrize(
    ("ambiguity", "suite", "server", "rule"),
    EXCLUSIVE,
    ids=[f"{a}:suite={s},server={v}" for a, s, v, _ in EXCLUSIVE],
)
def test_suite_on_one_reading_fails_a_server_on_another(
    citations, serve, tmp_path: Path, ambiguity: str, suite: str, server: str, rule: str
) -> None:
    url = serve(f"{ambiguity}={server}")
    rules = set(C.ambiguities[ambiguity].rules) | {rule}
    proc = _run(
        rules, "--target", url, "--rate", "100000", "--reading", f"{ambiguity}={suite}",
        "--report-dir", str(tmp_path), "--", *_narrowed(citations, rules),
    )  # fmt: skip
    outcomes = {r["id"]: r["outcome"] for r in _model(tmp_path)["rules"]}
    assert outcomes[rule] == "fail", proc.stdout[-4000:]
    gating = C.rules[rule].level == "MUST"
    assert proc.returncode == FAILED if gating else proc.returncode in (CONFORMS, INCOMPLETE), proc.stdout
