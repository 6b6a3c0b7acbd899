"""`cbconform replay` on the results of a real fault run against the embedded reference server."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAULT, RULE = "offers-without-expires-at", "PO-RESPONSE-EXPIRES-AT"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cbconform.cli", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def results_file(tmp_path_factory) -> Path:
    report_dir = tmp_path_factory.mktemp("fault-run")
    suite = ROOT / "suites" / "test_personalized_offers.py"
    argv = [suite, "-p", "cbconform.plugin", "-p", "no:cacheprovider", "-q", "-k", "fetch"]
    argv += [f"--report-dir={report_dir}", f"--fault={FAULT}"]
    subprocess.run([sys.executable, "-m", "pytest", *map(str, argv)], capture_output=True, timeout=180)
    path = report_dir / "results.json"
    assert {f["rule_id"] for f in json.loads(path.read_text())["failures"]} == {RULE}
    return path


def lines(result: subprocess.CompletedProcess) -> list[str]:
    return (result.stdout + result.stderr).strip().splitlines()


def test_same_faulty_server_still_fails(results_file):
    result = run("replay", str(results_file))
    assert result.returncode == 1, result.stderr
    assert lines(result) and all(f" {RULE} STILL FAILING: " in line for line in lines(result))


def test_faults_cleared_is_fixed(results_file, tmp_path):
    results = json.loads(results_file.read_text())
    results["target"]["faults"] = []
    cleared = tmp_path / "results.json"
    cleared.write_text(json.dumps(results))
    result = run("replay", str(cleared), "--failure", "F1")
    assert result.returncode == 0, result.stderr
    assert lines(result) == [f"F1 {RULE} FIXED"]


def test_unknown_failure_is_usage_error(results_file):
    result = run("replay", str(results_file), "--failure", "F999")
    assert result.returncode == 2
    assert len(lines(result)) == 1 and "F999" in result.stderr


def test_missing_file_is_usage_error(tmp_path):
    result = run("replay", str(tmp_path / "absent.json"))
    assert result.returncode == 2
    assert len(lines(result)) == 1


def test_unreachable_target(results_file):
    result = run("replay", str(results_file), "--target", "http://127.0.0.1:9", "--api-key", "k")
    assert result.returncode == 3
    assert len(lines(result)) == 1 and "Traceback" not in result.stderr


def test_request_that_needs_missing_state_is_not_reproduced(results_file, tmp_path):
    results = json.loads(results_file.read_text())
    results["target"]["faults"] = []
    results["failures"][0]["exchange"]["request"]["body"] = ""
    changed = tmp_path / "results.json"
    changed.write_text(json.dumps(results))
    result = run("replay", str(changed), "--failure", "F1")
    assert result.returncode == 1
    assert lines(result)[0].startswith(f"F1 {RULE} NOT REPRODUCED: answered HTTP 4")


@pytest.fixture
def served():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    argv = [sys.executable, "-m", "cbconform.cli", "serve", "--port", str(port), "--fault", FAULT]
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            break
        time.sleep(0.2)
    yield f"http://127.0.0.1:{port}/api/v2"
    server.terminate()
    server.wait(timeout=10)


def test_target_rewrites_the_recorded_url(results_file, served):
    result = run("replay", str(results_file), "--target", served, "--api-key", "test_conformance_key")
    assert result.returncode == 1, result.stderr
    assert all(f" {RULE} STILL FAILING: " in line for line in lines(result))
