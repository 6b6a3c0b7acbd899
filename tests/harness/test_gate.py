"""The gate's exit codes (docs/GATE.md), from `cbconform run` in a subprocess. Runs are narrowed with
pass-through pytest arguments (`-- -k MODULE`) and skip collecting the schemathesis module, so each
takes seconds."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP_SCHEMATHESIS = "--ignore-glob=*test_schemathesis.py"  # its collection alone takes ~15 s
FAULT, FAULT_RULE, FAULT_MODULE = "create-answers-200", "CRT-STATUS-202", "test_offer_fulfillments_create"


def _narrow(module: str) -> list[str]:
    return ["--", "-k", module, SKIP_SCHEMATHESIS]


def _plain(output: str) -> None:
    assert "Traceback" not in output, output
    assert "INTERNALERROR" not in output, output


def _results(report_dir: Path) -> dict:
    return json.loads((report_dir / "results.json").read_text(encoding="utf-8"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served() -> str:
    """The reference server under uvicorn on a free port; yields its base URL."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "cbconform.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, "cbconform serve exited early"
                assert time.monotonic() < deadline, "cbconform serve did not listen within 30 s"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/api/v2"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_unreachable_target_exits_3_with_one_sentence(cbconform_run, tmp_path: Path) -> None:
    proc = cbconform_run(
        "--target", "http://127.0.0.1:9/api/v2", "--report-dir", str(tmp_path), *_narrow("test_auth")
    )
    assert proc.returncode == 3, proc.stdout
    _plain(proc.stdout)
    said = [line for line in proc.stdout.splitlines() if "cannot be reached" in line]
    assert len(said) == 1 and said[0].startswith("cbconform: The target http://127.0.0.1:9/api/v2"), (
        proc.stdout
    )
    assert said[0].endswith("."), said


def test_wrong_key_against_the_served_reference_server_exits_3(cbconform_run, served, tmp_path: Path) -> None:
    key = "wrong_key_4f1d9a"
    proc = cbconform_run(
        "--target", served, "--api-key", key, "--report-dir", str(tmp_path), *_narrow("test_auth")
    )
    assert proc.returncode == 3, proc.stdout
    _plain(proc.stdout)
    assert "rejected the API key (HTTP 401)" in proc.stdout
    assert key not in proc.stdout


def test_right_key_against_the_served_reference_server_passes(cbconform_run, served, tmp_path: Path) -> None:
    proc = cbconform_run("--target", served, "--report-dir", str(tmp_path), *_narrow("test_auth"))
    assert proc.returncode == 4, proc.stdout  # narrowed with -k: the rules of other modules are not examined
    model = _results(tmp_path)
    assert model["target"]["kind"] == "remote" and model["summary"]["verdict"] == "incomplete"
    assert model["summary"]["rules"]["fail"] == 0 and model["summary"]["rules"]["pass"] > 0


@pytest.mark.parametrize(
    "args",
    [
        ["--profile", "nope"],
        ["--reading", "nonsense"],
        ["--site", "acme"],
        ["--fault", "no-such-fault"],
        ["--fault", FAULT, "--target", "http://127.0.0.1:9/api/v2"],
    ],
    ids=["bad-choice", "bad-reading", "live-site", "unknown-fault", "fault-on-remote-target"],
)
def test_usage_error_exits_2(cbconform_run, tmp_path: Path, args: list[str]) -> None:
    proc = cbconform_run(*args, "--report-dir", str(tmp_path), *_narrow("test_auth"), timeout=120)
    assert proc.returncode == 2, proc.stdout
    _plain(proc.stdout)


def test_expected_failures_naming_an_unknown_rule_exits_2(cbconform_run, tmp_path: Path) -> None:
    listed = tmp_path / "expected.txt"
    listed.write_text("NOT-A-RULE\n", encoding="utf-8")
    proc = cbconform_run(
        "--expected-failures", str(listed), "--report-dir", str(tmp_path), *_narrow("test_auth")
    )
    assert proc.returncode == 2, proc.stdout
    _plain(proc.stdout)
    assert "NOT-A-RULE" in proc.stdout


def test_embedded_fault_fails_the_gate_naming_the_rule(cbconform_run, tmp_path: Path) -> None:
    proc = cbconform_run("--fault", FAULT, "--report-dir", str(tmp_path), *_narrow(FAULT_MODULE))
    assert proc.returncode == 1, proc.stdout
    _plain(proc.stdout)
    assert FAULT_RULE in proc.stdout
    rules = {r["id"]: r["outcome"] for r in _results(tmp_path)["rules"]}
    assert rules[FAULT_RULE] == "fail"


def test_expected_failure_turns_the_broken_rule_into_xfail(cbconform_run, tmp_path: Path) -> None:
    listed = tmp_path / "expected.txt"
    listed.write_text(f"# the fault breaks it\n{FAULT_RULE}\n", encoding="utf-8")
    proc = cbconform_run(
        "--expected-failures", str(listed), "--report-dir", str(tmp_path / "r"),
        "--fault", FAULT, *_narrow(FAULT_MODULE),
    )  # fmt: skip
    assert proc.returncode == 4, proc.stdout  # no failure; narrowed, so incomplete rather than conforming
    model = _results(tmp_path / "r")
    assert {r["id"]: r["outcome"] for r in model["rules"]}[FAULT_RULE] == "xfail"
    assert model["summary"]["verdict"] == "incomplete"


def test_expected_failure_of_a_passing_rule_is_stale_and_fails(cbconform_run, tmp_path: Path) -> None:
    listed = tmp_path / "expected.txt"
    listed.write_text(f"{FAULT_RULE}\n", encoding="utf-8")
    proc = cbconform_run(
        "--expected-failures", str(listed), "--report-dir", str(tmp_path / "r"), *_narrow(FAULT_MODULE)
    )
    assert proc.returncode == 1, proc.stdout
    _plain(proc.stdout)
    assert FAULT_RULE in proc.stdout
    assert _results(tmp_path / "r")["run"]["stale_expected_failures"] == [FAULT_RULE]
