"""The CI recipe (scripts/ci_recipe.sh, the script docs/CI.md publishes) run as a CI job would run it,
against `cbconform serve` standing in for "your implementation": clean, with a fault and an
expected-failures file, then with the fault fixed and the file left stale. A loopback target is not
throttled, so each run is a full one, as in CI."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path

from cbconform import __version__, paths
from cbconform.results import contracts_digest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ci_recipe.sh"
FAULT, RULE = "replay-without-header", "IDEM-REPLAY"  # a documented feature, checked with no target file


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def recipe(workdir: Path, *args: str, fault: str | None = None, **settings: str):
    """Runs the script as CI would, in its own process group; whatever is left of it is stopped after."""
    port = _free_port()
    serve = [sys.executable, "-m", "cbconform.cli", "serve", "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBCONFORM_")}
    env.pop("CHARGEBEE_API_KEY", None)
    env |= {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "CBCONFORM_START": "exec " + shlex.join(serve + (["--fault", fault] if fault else [])),
        "CBCONFORM_TARGET": f"http://127.0.0.1:{port}/api/v2",
        "CBCONFORM_REPORT_DIR": str(workdir / "reports"),
        "CBCONFORM_VERSION": __version__,
        "CBCONFORM_CONTRACTS_DIGEST": contracts_digest(paths.contracts_dir()),
    } | settings
    proc = subprocess.Popen(
        ["bash", str(SCRIPT), *args],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=300)
        left_running = _listening(port)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    assert not left_running, "the recipe left the implementation under test running"
    return proc.returncode, output


def _results(workdir: Path) -> dict:
    return json.loads((workdir / "reports" / "results.json").read_text(encoding="utf-8"))


def _outcome(results: dict, rule_id: str) -> str:
    return next(r["outcome"] for r in results["rules"] if r["id"] == rule_id)


def test_clean_implementation_passes_and_publishes_its_reports(tmp_path: Path) -> None:
    code, output = recipe(tmp_path)
    assert code == 0, output
    for name in ("junit.xml", "report.html", "results.json"):
        assert (tmp_path / "reports" / name).stat().st_size > 0, name
    results = _results(tmp_path)
    assert results["target"]["kind"] == "remote" and "idempotency" in results["target"]["features"]
    assert _outcome(results, RULE) == "pass"


def test_expected_failure_keeps_the_job_green_until_fixed_then_goes_stale(tmp_path: Path) -> None:
    expected = tmp_path / "expected-failures.txt"
    expected.write_text(f"# the replayed header is not sent yet\n{RULE}\n", encoding="utf-8")
    code, output = recipe(tmp_path, fault=FAULT, CBCONFORM_EXPECTED_FAILURES=str(expected))
    assert code == 0, output
    assert _outcome(_results(tmp_path), RULE) == "xfail"

    code, output = recipe(tmp_path, CBCONFORM_EXPECTED_FAILURES=str(expected))
    assert code == 1, output
    assert _results(tmp_path)["run"]["stale_expected_failures"] == [RULE]
    assert RULE in output


def test_a_version_pin_that_does_not_match_stops_the_job_before_it_starts(tmp_path: Path) -> None:
    code, output = recipe(tmp_path, CBCONFORM_VERSION="0.0.0-not-this")
    assert code == 2, output
    assert "pins cbconform 0.0.0-not-this" in output
    assert not (tmp_path / "reports").exists()
