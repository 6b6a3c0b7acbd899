"""pytest-xdist keeps every result: `cbconform run --workers 2` gives the rule outcomes, counts and
verdict of a serial run (each worker's evidence is merged on the controller)."""

from __future__ import annotations

import json
from pathlib import Path

NARROW = ["--", "-k", "orders or retrieve or headers", "--ignore-glob=*test_schemathesis.py"]


def _model(cbconform_run, report_dir: Path, *extra: str) -> dict:
    return _served(cbconform_run, report_dir, *extra, *NARROW)


def test_two_workers_give_the_outcomes_of_a_serial_run(cbconform_run, tmp_path: Path) -> None:
    serial = _model(cbconform_run, tmp_path / "serial")
    spread = _model(cbconform_run, tmp_path / "spread", "--workers", "2")
    assert {r["id"]: r["outcome"] for r in spread["rules"]} == {
        r["id"]: r["outcome"] for r in serial["rules"]
    }
    assert spread["summary"]["rules"] == serial["summary"]["rules"]
    assert spread["summary"]["tests"] == serial["summary"]["tests"]
    assert spread["summary"]["verdict"] == serial["summary"]["verdict"]
    assert sorted(t["nodeid"] for t in spread["tests"]) == sorted(t["nodeid"] for t in serial["tests"])
    assert spread["run"]["requests"] > 0 and spread["run"]["complete"] is True


def test_two_workers_on_a_served_target_run_clock_and_rate_limit_tests_alone(
    cbconform_run, serve, tmp_path: Path
) -> None:
    """Against one served target the workers share its clock and rate limit: the tests marked
    `exclusive` run alone, so the other worker's tests never see the clock jump or the limit."""
    url = serve()
    shared = ["--target", url, "--", "-k", "rate_limit or clock or seven_days or update or retrieve",
              "--ignore-glob=*test_schemathesis.py"]  # fmt: skip
    serial = _served(cbconform_run, tmp_path / "serial", *shared)
    spread = _served(cbconform_run, tmp_path / "spread", "--workers", "2", *shared)
    assert not spread["failures"] and not spread["errors"]
    assert {r["id"]: r["outcome"] for r in spread["rules"]} == {
        r["id"]: r["outcome"] for r in serial["rules"]
    }
    assert spread["summary"]["tests"] == serial["summary"]["tests"]


def _served(cbconform_run, report_dir: Path, *args: str) -> dict:
    proc = cbconform_run("--report-dir", str(report_dir), *args, timeout=600)
    assert proc.returncode in (0, 4), proc.stdout[-4000:]
    return json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
