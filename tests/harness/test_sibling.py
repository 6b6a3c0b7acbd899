"""An embedded run forks one sibling for the schemathesis module (cbconform.sibling): its outcomes,
counts, failures and verdict are those of the same run in one process, and a sibling that ends without
its results leaves the run incomplete, never passing."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from cbconform import plugin, sibling
from cbconform.results import Evidence


def _results(cbconform_run, report_dir: Path, *args: str) -> dict:
    proc = cbconform_run("--report-dir", str(report_dir), *args, timeout=600)
    assert proc.returncode in (0, 1), proc.stdout[-4000:]
    return json.loads((report_dir / "results.json").read_text(encoding="utf-8"))


def _outcomes(results: dict) -> dict:
    return {
        "rules": {r["id"]: r["outcome"] for r in results["rules"]},
        "summary": {k: results["summary"][k] for k in ("verdict", "rules", "tests")},
        "tests": sorted((t["nodeid"], t["outcome"]) for t in results["tests"]),
        "failed rules": sorted({f["rule_id"] for f in results["failures"]}),
    }


@pytest.mark.parametrize("fault", [None, "errors-as-html"])
def test_an_embedded_run_in_two_processes_judges_as_one_process_does(cbconform_run, tmp_path, fault):
    extra = ["--fault", fault] if fault else []
    split = _results(cbconform_run, tmp_path / "split", *extra)
    alone = _results(cbconform_run, tmp_path / "alone", "--workers", "1", *extra)
    assert (split["run"]["processes"], alone["run"]["processes"]) == (2, 1)
    assert _outcomes(split) == _outcomes(alone)
    assert split["run"]["complete"] is True
    if fault:  # the schemathesis module, run by the sibling, reports its failures into the one model
        assert any("test_schemathesis" in f["test"] for f in split["failures"])


def _session() -> SimpleNamespace:
    stopped: list[str] = []
    cb = SimpleNamespace(collected=set(), evidence=Evidence(), stop=stopped.append, stopped=stopped)
    config = SimpleNamespace(stash=pytest.Stash())
    config.stash[plugin.KEY] = cb
    return SimpleNamespace(config=config)


def test_the_sibling_evidence_joins_this_run_before_it_is_judged() -> None:
    part = Evidence(requests=7)
    twin = sibling.Sibling(lambda: {"evidence": json.dumps(part.export()), "collected": ["suites/x.py::t"]})
    session = _session()
    twin.pytest_sessionfinish(session, 0)
    cb = session.config.stash[plugin.KEY]
    assert (cb.evidence.requests, cb.evidence.processes, cb.collected) == (7, 2, {"suites/x.py::t"})
    assert cb.stopped == []


@pytest.mark.parametrize(
    ("job", "why"),
    [
        (lambda: os._exit(9), "exit 9"),
        (lambda: os.kill(os.getpid(), signal.SIGKILL), "killed by SIGKILL"),
        (lambda: 1 / 0, "exit 70"),
        (lambda: {"evidence": None, "collected": []}, "none sent"),
    ],
    ids=["exits", "is killed", "raises", "sends nothing"],
)
def test_a_sibling_that_ends_without_its_results_leaves_the_run_incomplete(job, why) -> None:
    twin = sibling.Sibling(job)
    session = _session()
    twin.pytest_sessionfinish(session, 0)
    (reason,) = session.config.stash[plugin.KEY].stopped
    assert "test_schemathesis.py ended without its results" in reason and why in reason


def _waiting_sibling(answer: Callable[[], dict]) -> sibling.Sibling:
    """A sibling that has started and waits for Ctrl-C, then answers; returned once it waits. Ctrl-C is
    held until sigwait takes it, so one sent the moment the sibling says it waits is never lost."""
    ready, told = os.pipe()

    def endless() -> dict:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        os.write(told, b"!")
        signal.sigwait({signal.SIGINT})
        return answer()

    twin = sibling.Sibling(endless)
    os.read(ready, 1)
    return twin


def test_an_interrupted_run_stops_its_sibling_too() -> None:
    stopped = Evidence(stop_reason="interrupted (SIGINT)")
    twin = _waiting_sibling(lambda: {"evidence": json.dumps(stopped.export()), "collected": []})
    session = _session()
    twin.pytest_sessionfinish(session, pytest.ExitCode.INTERRUPTED)
    assert session.config.stash[plugin.KEY].evidence.stop_reason == "interrupted (SIGINT)"


def test_a_stop_that_reaches_the_sibling_before_its_run_starts_leaves_the_run_incomplete() -> None:
    twin = sibling.Sibling(lambda: time.sleep(60))  # not pause(): Ctrl-C may come before it begins
    twin.interrupt()
    session = _session()
    twin.pytest_sessionfinish(session, pytest.ExitCode.INTERRUPTED)
    (reason,) = session.config.stash[plugin.KEY].stopped
    assert "ended without its results" in reason


def test_ctrl_c_while_waiting_is_passed_on_and_the_sibling_still_reports() -> None:
    def ctrl_c(signum, frame):
        raise KeyboardInterrupt

    twin = _waiting_sibling(lambda: {"evidence": "stopped", "collected": []})
    previous = signal.signal(signal.SIGALRM, ctrl_c)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        assert twin.wait() == {"evidence": "stopped", "collected": []}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_progress_says_the_sibling_is_still_running_until_it_has_reported() -> None:
    import io

    from cbconform.report.terminal import Progress

    progress = Progress(io.StringIO(), "periodic", period=0)
    twin = sibling.Sibling(lambda: {"evidence": None, "collected": []}, progress)
    assert progress.status().endswith("; test_schemathesis.py in a second process, counted when it ends")
    twin.wait()
    assert "second process" not in progress.status()


@pytest.mark.parametrize(
    ("args", "split"),
    [
        ([], True),
        (["--hypothesis-seed=12"], True),
        (["--hypothesis-seed", "12"], True),
        (["-k", "orders"], False),
        (["--hypothesis-seed=12", "-x"], False),
        (["--hypothesis-seed"], False),
    ],
)
def test_only_a_seed_among_pytest_arguments_keeps_the_split(args, split, monkeypatch) -> None:
    monkeypatch.setattr(sibling, "_cores", lambda: 2)
    monkeypatch.setattr(sibling.threading, "active_count", lambda: 1)  # an xdist worker has threads
    embedded = SimpleNamespace(target=SimpleNamespace(embedded=True), values={})
    assert sibling.applies(embedded, None, args) is split
