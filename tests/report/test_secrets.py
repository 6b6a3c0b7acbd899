"""A planted API key never reaches the reports or the output of `cbconform run`."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import pytest

KEY = "sk_test_PLANTED_9f8e7d"
FORMS = (KEY, base64.b64encode(f"{KEY}:".encode()).decode(), base64.b64encode(KEY.encode()).decode())


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    report_dir = tmp_path_factory.mktemp("reports")
    env = {k: v for k, v in os.environ.items() if k != "CHARGEBEE_API_KEY"}
    argv = ["run", "--api-key", KEY, "--report-dir", str(report_dir), "--progress", "lines"]
    argv += ["--", "--fault=undocumented-status", "-k", "option_is_acceptable or fetch"]
    result = subprocess.run(
        [sys.executable, "-m", "cbconform.cli", *argv], capture_output=True, text=True, env=env, timeout=300
    )
    return report_dir, result


def test_run_failed_on_the_fault_not_on_a_leak(run):
    report_dir, result = run
    assert result.returncode == 1, result.stdout[-2000:]
    assert "API key was found" not in result.stdout
    assert json.loads((report_dir / "results.json").read_text())["failures"]


def test_key_absent_from_every_report_file(run):
    report_dir, _ = run
    files = [p for p in report_dir.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"results.json", "junit.xml", "report.html"}
    for path in files:
        data = path.read_text(encoding="utf-8", errors="replace")
        assert not [form for form in FORMS if form in data], path.name


def test_key_absent_from_output(run):
    _, result = run
    for form in FORMS:
        assert form not in result.stdout
        assert form not in result.stderr


def test_curl_uses_the_environment_variable(run):
    report_dir, _ = run
    failures = json.loads((report_dir / "results.json").read_text())["failures"]
    for failure in failures:
        if failure["exchange"] is not None:
            assert '-u "$CHARGEBEE_API_KEY:"' in failure["curl"]
            assert "[REDACTED]" not in failure["curl"]


def test_replay_output_keeps_the_key_out(run):
    report_dir, _ = run
    argv = ["replay", str(report_dir / "results.json"), "--api-key", KEY, "--failure", "F1"]
    result = subprocess.run([sys.executable, "-m", "cbconform.cli", *argv], capture_output=True, text=True)
    assert result.returncode in (0, 1), result.stderr
    assert result.stdout.startswith("F1 ")
    for form in FORMS:
        assert form not in result.stdout + result.stderr
