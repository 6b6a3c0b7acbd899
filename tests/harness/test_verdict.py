"""The verdict means what it says (docs/GATE.md): rules pass on evidence, an early stop is incomplete
(exit 4) and still writes all three reports, and a failure outside the catalogue is an error."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from cbconform.api import SILENT_LIMIT
from cbconform.contracts import load
from cbconform.model import build
from cbconform.results import Evidence
from cbconform.results import TestRecord as Record

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--", "--ignore-glob=*test_schemathesis.py"]


def _reports(report_dir: Path) -> dict:
    """All three reports, well-formed; the results valid against contracts/results.schema.json."""
    ET.parse(report_dir / "junit.xml")
    assert (report_dir / "report.html").read_text(encoding="utf-8").strip().endswith("</html>")
    model = json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
    schema = json.loads((ROOT / "contracts" / "results.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(model)
    return model


def _model(
    tests: list[Record], exercised: dict[str, int], stop: str | None = None, readings: dict | None = None
) -> dict:
    evidence = Evidence(tests={t.nodeid: t for t in tests})
    evidence.exercised.update(exercised)
    run = {"stop_reason": stop, "requests": 0}
    return build(contracts=load(readings or {}), evidence=evidence, target={"features": []}, run=run,
                 expected=set(), strict=False)  # fmt: skip


def _rule(model: dict, rule_id: str) -> dict:
    return next(r for r in model["rules"] if r["id"] == rule_id)


def test_a_rule_cited_by_a_passing_test_that_examined_nothing_is_not_run() -> None:
    model = _model([Record("suites/t.py::t", ["OF-STATUS-ENUM"], "pass", 0.1)], {})
    row = _rule(model, "OF-STATUS-ENUM")
    assert row["outcome"] == "not_run" and row["exercised"] == 0
    assert "no response they received could have broken it" in row["skip_reason"]
    assert model["summary"]["verdict"] == "incomplete"
    assert "OF-STATUS-ENUM" in model["summary"]["not_examined"]


def test_a_rule_the_reading_makes_unexaminable_is_a_skip_with_the_reading_as_reason() -> None:
    """Under AMB-REQUEST-ENCODING=form-only no request can break a JSON-only rule: skip, not not-run."""
    record = Record("suites/t.py::t[form]", ["POREQ-STRING-TYPES"], "pass", 0.1)
    model = _model([record], {}, readings={"AMB-REQUEST-ENCODING": "form-only"})
    row = _rule(model, "POREQ-STRING-TYPES")
    assert row["outcome"] == "skip" and row["skip_reason"].startswith("AMB-REQUEST-ENCODING=form-only")
    assert "POREQ-STRING-TYPES" not in model["summary"]["not_examined"]
    assert _rule(_model([record], {}), "POREQ-STRING-TYPES")["outcome"] == "not_run"


def test_every_passing_rule_was_examined() -> None:
    model = _model([Record("suites/t.py::t", ["OF-STATUS-ENUM"], "pass", 0.1)], {"OF-STATUS-ENUM": 3})
    assert _rule(model, "OF-STATUS-ENUM")["outcome"] == "pass"
    assert all(r["exercised"] >= 1 for r in model["rules"] if r["outcome"] == "pass")


def test_a_stopped_run_is_incomplete_even_when_nothing_failed() -> None:
    every = {rule_id: 1 for rule_id in load().rules}
    model = _model([], every, stop="interrupted (SIGINT)")
    assert model["summary"]["verdict"] == "incomplete"
    assert model["run"]["complete"] is False and model["run"]["stop_reason"] == "interrupted (SIGINT)"


def test_a_failure_keeps_precedence_over_an_early_stop() -> None:
    test = Record("suites/t.py::t", ["OF-STATUS-ENUM"], "fail", 0.1, "x", ["F1"], ["OF-STATUS-ENUM"])
    model = _model([test], {"OF-STATUS-ENUM": 1}, stop="interrupted (SIGINT)")
    assert model["summary"]["verdict"] == "fail" and model["run"]["complete"] is False


def _run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBCONFORM_")}
    env.pop("CHARGEBEE_API_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "cbconform.cli", "run", "--progress", "quiet", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def test_a_spent_request_budget_is_incomplete_with_reports(tmp_path: Path) -> None:
    proc = _run("--max-requests", "40", "--report-dir", str(tmp_path), *FAST)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    model = _reports(tmp_path)
    assert model["summary"]["verdict"] == "incomplete" and "budget" in model["run"]["stop_reason"]
    assert model["summary"]["tests"]["not_run"] >= 1 and "Traceback" not in proc.stdout + proc.stderr


def test_a_customer_without_offers_leaves_the_lifecycle_rules_not_run_with_the_reason(tmp_path: Path) -> None:
    config = tmp_path / "t.toml"
    config.write_text('[data]\ncustomer_id = "cust_no_offers"\n', encoding="utf-8")
    proc = _run("--target-config", str(config), "--report-dir", str(tmp_path / "r"), "--", "-k", "lifecycle")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    model = _reports(tmp_path / "r")
    lifecycle = [r for r in model["rules"] if r["tests"] and all("test_lifecycle" in t for t in r["tests"])]
    assert lifecycle and all(r["outcome"] in ("not_run", "skip") for r in lifecycle)
    assert any("has no offer for customer" in (r["skip_reason"] or "") for r in lifecycle)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("done", [0, 40], ids=["early", "late"])
def test_an_interrupted_run_writes_three_reports_marked_incomplete(tmp_path: Path, signum, done) -> None:
    """Early: while the command's modules import, before any test has run. Late: once 40 tests ended."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBCONFORM_")}
    argv = ["run", "--progress", "lines", "--report-dir", str(tmp_path)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "cbconform.cli", *argv],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    seen, lines = 0, []
    if done:
        for line in proc.stdout:
            lines.append(line)
            seen += line.lstrip().startswith(("\u2713", "\u2717", "!", "\u21b7"))
            if seen >= done:
                break
    else:
        _wait_for_the_cli(proc.pid)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    out = "".join(lines) + out
    assert proc.returncode == 4, out[-3000:] + err[-3000:]
    model = _reports(tmp_path)
    assert model["summary"]["verdict"] == "incomplete" and model["run"]["complete"] is False
    assert model["run"]["stop_reason"]
    assert "Traceback" not in out + err and "INCOMPLETE" in out


def test_a_target_that_stops_answering_mid_run_leaves_it_incomplete_never_errored(serve, tmp_path) -> None:
    """The tests after the server is gone meet a refused connection: not run, and the run incomplete
    (exit 4), never an error, wherever the request came from; after a few in a row the run stops."""
    url = serve()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBCONFORM_")}
    argv = ["run", "--target", url, "--progress", "lines", "--report-dir", str(tmp_path)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "cbconform.cli", *argv],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if sum(x.startswith("\u2713") for x in lines) >= 40:
            break
    serve.servers[-1].kill()
    out = "".join(lines) + proc.communicate(timeout=300)[0]
    assert proc.returncode == 4, out[-3000:]
    model = _reports(tmp_path)
    assert model["errors"] == [] and model["failures"] == [], out[-3000:]
    assert model["summary"]["verdict"] == "incomplete" and model["run"]["complete"] is False
    unanswered = model["run"]["unanswered"]
    assert 1 <= len(unanswered) <= SILENT_LIMIT
    assert all(u["reason"].startswith("no answer: ") for u in unanswered)  # refused, or cut off
    assert model["run"]["stop_reason"].startswith(f"the target stopped answering ({SILENT_LIMIT} requests")
    not_run = {t["nodeid"] for t in model["tests"] if t["outcome"] == "not_run"}
    assert {u["test"] for u in unanswered} < not_run
    assert "Traceback" not in out and "left" in out and "requests unanswered" in out


def _wait_for_the_cli(pid: int) -> None:
    """Until the CLI holds Ctrl-C and SIGTERM (it does while it imports) or the run answers SIGTERM:
    before that, the interpreter is still starting and a signal would end it as it would any program."""
    held = (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGTERM - 1))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
        if int(fields["SigBlk"], 16) & held == held or int(fields["SigCgt"], 16) & 1 << (signal.SIGTERM - 1):
            return
        time.sleep(0.002)
    raise AssertionError("the CLI never began")


def test_a_failure_naming_an_unknown_rule_is_a_harness_error(tmp_path: Path) -> None:
    suite = tmp_path / "test_unknown.py"
    suite.write_text(
        "import pytest\nfrom cbconform.checks import ConformanceFailure, Failure\n\n"
        "@pytest.mark.rule('OF-STATUS-ENUM')\ndef test_x(api):\n"
        "    raise ConformanceFailure([Failure('NOT-A-RULE', 'c', 't', 'd', 'r')])\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBCONFORM_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(suite), "-p", "cbconform.plugin", "-p", "no:cacheprovider",
         f"--report-dir={tmp_path / 'r'}", f"--rootdir={tmp_path}", "-q"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode != 0
    model = _reports(tmp_path / "r")
    assert model["summary"]["verdict"] == "error"
    assert "NOT-A-RULE" in model["errors"][0]["message"]
