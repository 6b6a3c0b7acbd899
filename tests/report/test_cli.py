"""The command line behaves like a Unix tool: closed pipes end quietly, an error is one sentence printed
once, every --help shows defaults, --quiet/--verbose/NO_COLOR are honoured, progress is reported, and
`serve` says what it serves."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from cbconform import cli
from cbconform.report import terminal

SAMPLES = Path(__file__).parent / "samples"
CLI = [sys.executable, "-m", "cbconform.cli"]
ENV = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CHARGEBEE_API_KEY")}


def cbconform(*argv: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *argv], capture_output=True, text=True, env=ENV, timeout=120, **kw)


@pytest.mark.parametrize(
    "argv",
    [
        ["rules"],
        ["rules", "--format", "json"],
        ["ambiguities"],
        ["serve", "--list-faults"],
        *([name, "--help"] for name in cli.COMMANDS),
    ],
    ids=lambda argv: " ".join(argv),
)
def test_a_closed_pipe_ends_quietly(argv):
    child = subprocess.Popen([*CLI, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    child.stdout.close()  # the reader is gone before the first line, like `| head -0`
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) in (0, cli.EXIT_PIPE)
    assert err == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["nosuchcommand"],
        ["rules", "--bogus"],
        ["rules", "--level", "MAYBE"],
        ["rules", "--operation", "nope"],
        ["serve", "--reading", "bad"],
        ["serve", "--reading", "AMB-NOPE=x"],
        ["serve", "--port", "not-a-port"],
        ["replay", "/nonexistent/results.json"],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_an_error_is_one_sentence_printed_once(argv):
    result = cbconform(*argv)
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert result.returncode == 2
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]


def test_a_run_usage_error_is_printed_once():
    result = cbconform("run", "--target-config", "/nonexistent/target.toml")
    assert len((result.stdout + result.stderr).strip().splitlines()) == 1


def test_an_unexpected_exception_is_one_sentence(monkeypatch, capsys):
    def boom(argv):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(cli, "_main", boom)
    assert cli.main(["rules"]) == cli.EXIT_USAGE
    out = capsys.readouterr()
    assert out.err == "cbconform: The disk is full.\n" and out.out == ""


@pytest.mark.parametrize("name", list(cli.COMMANDS))
def test_every_help_shows_defaults(name):
    parser, _ = cli.parser_for([name])
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[name]
    formatter = cli._Formatter(prog=name)
    for action in sub._actions:
        if action.option_strings and action.default not in (None, False, [], argparse.SUPPRESS):
            shown = formatter._get_help_string(action) % {"default": action.default}
            assert "default" in shown.lower(), f"{name} {action.option_strings[0]}"
    assert "-q, --quiet" in sub.format_help()


def test_quiet_and_verbose_choose_the_progress(monkeypatch):
    def args(**kw):
        return SimpleNamespace(**({"quiet": False, "verbose": False, "progress": "auto"} | kw))

    monkeypatch.setattr(sys, "stdout", io.StringIO())  # not a terminal: a CI log
    for given, progress, verbosity in (
        (args(), "periodic", 0),
        (args(quiet=True), "quiet", -1),
        (args(verbose=True), "lines", 1),
        (args(progress="bar"), "bar", 0),
    ):
        cli._apply_loudness(given)
        assert (given.progress, terminal.VERBOSITY) == (progress, verbosity)
    terminal.VERBOSITY = 0


def _summary(name: str, **kw) -> list[str]:
    results = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return terminal.summary(results, results["run"]["exit_code"], "reports", **kw)


def test_summary_links_each_failing_rule_and_quiet_keeps_only_that(monkeypatch):
    full = _summary("failing", colour=False)
    assert "    reports/report.html#OF-STATUS-ENUM" in full
    assert any(line.startswith("  resources") for line in full)
    monkeypatch.setattr(terminal, "VERBOSITY", -1)
    quiet = _summary("failing", colour=False)
    assert quiet[0].startswith("FAIL:") and "    reports/report.html#CRT-STATUS-202" in quiet
    assert not any(line.startswith("  resources") for line in quiet)
    assert "reports/report.html#CRT-HOSTED-PAGE-FOR-CHECKOUT" not in "\n".join(quiet)  # an advisory
    assert len(quiet) < len(full) / 2


def test_summary_says_incomplete_and_absent_features():
    assert "  incomplete: the request budget (--max-requests 60) is spent" in "\n".join(
        _summary("incomplete")
    )
    assert "  limitation: features declared absent: event-log, clock, rate-limit" in _summary("clean")


def test_no_color_is_honoured(monkeypatch):
    tty = SimpleNamespace(isatty=lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert terminal.colour_on(tty) and not terminal.colour_on(io.StringIO())
    assert "\x1b[" in _summary("failing", colour=True)[0]
    monkeypatch.setenv("NO_COLOR", "1")
    assert not terminal.colour_on(tty)
    assert "\x1b[" not in "".join(_summary("failing"))


def _report(nodeid: str, outcome: str = "passed"):
    return SimpleNamespace(
        nodeid=nodeid, when="call", passed=outcome == "passed", skipped=outcome == "skipped", failed=False
    )


def test_periodic_progress_counts_tests_and_decided_rules():
    out = io.StringIO()
    progress = terminal.Progress(out, "periodic", period=0)
    progress.total = 2
    progress.cites = {"t1": ["R-A", "R-B"], "t2": ["R-B"]}
    progress.pending = {"R-A": 1, "R-B": 2}
    progress.pytest_runtest_logreport(_report("t1"))
    progress.pytest_runtest_logreport(_report("t2", "skipped"))
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("progress: 1/2 tests, 0 requests, 1/2 rules decided, ")
    assert lines[1].startswith("progress: 2/2 tests, 0 requests, 2/2 rules decided, ")


def test_serve_prints_what_it_serves():
    argv = ["serve", "--port", "0", "--admin", "--rate-limit", "30", "--fault", "undocumented-status"]
    argv += ["--reading", "AMB-SEVEN-DAY-CODE=seed"]
    child = subprocess.Popen([*CLI, *argv], stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        lines = []
        for line in child.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Ctrl-C"):
                break
    finally:
        child.terminate()
        child.wait(timeout=30)
    text = "\n".join(lines)
    assert text.startswith("Reference server on http://127.0.0.1:")
    for expected in (
        "API key   test_conformance_key (the default)",
        "readings  AMB-SEVEN-DAY-CODE=seed",
        "faults    undocumented-status (breaks ",
        "/__admin: event log, clock, reset, rate limit",
        "throttle  429 past 30 requests a minute",
    ):
        assert expected in text


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One small failing run, its output a log (not a terminal): the integration of the above."""
    report_dir = tmp_path_factory.mktemp("reports")
    argv = ["run", "--report-dir", str(report_dir), "--fault", "undocumented-status"]
    result = cbconform(*argv, "--", "-k", "option_is_acceptable", stdin=subprocess.DEVNULL)
    return report_dir, result


def test_run_in_a_log_prints_progress_and_links(run):
    report_dir, result = run
    assert result.returncode == 1, result.stdout[-2000:]
    assert "progress: " in result.stdout and " rules decided, " in result.stdout
    assert f"    {report_dir}/report.html#OF-STATUS-ENUM" in result.stdout
    assert "\x1b[" not in result.stdout


def test_a_terminal_gets_a_live_progress_line(monkeypatch):
    monkeypatch.setattr(sys, "stdout", SimpleNamespace(isatty=lambda: True))
    given = SimpleNamespace(quiet=False, verbose=False, progress="auto")
    cli._apply_loudness(given)
    assert given.progress == "bar"
    out = io.StringIO()
    progress = terminal.Progress(out, "bar")
    progress.total, progress.cites, progress.pending = 1, {"t1": ["R-A"]}, {"R-A": 1}
    progress.pytest_runtest_logreport(_report("t1"))
    line = out.getvalue()
    assert line.startswith("\r\x1b[2K") and "\n" not in line
    assert "1/1 tests, 0 requests, 1/1 rules decided" in line


def test_periodic_progress_ticks_while_a_test_runs():
    out = io.StringIO()
    progress = terminal.Progress(out, "periodic", period=0.05)
    progress.total = 3
    progress.pytest_sessionstart()
    deadline = time.monotonic() + 30  # a loaded machine may run the ticking thread late, never not at all
    while out.getvalue().count("progress: 0/3 tests") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    progress.pytest_sessionfinish()
    assert out.getvalue().count("progress: 0/3 tests") >= 2


def test_while_a_second_process_runs_no_rule_is_called_decided():
    progress = terminal.Progress(io.StringIO(), "periodic")
    progress.total, progress.pending = 2, {"R-A": 0}
    progress.elsewhere = "test_schemathesis.py in a second process"
    status = progress.status()
    assert status.startswith("0/2 tests, 0 requests here, ") and "decided" not in status
    assert status.endswith("; test_schemathesis.py in a second process, counted when it ends")


def test_the_sibling_beside_a_bar_prints_its_failures_and_no_bar():
    out = io.StringIO()
    progress = terminal.Progress(out, "failures")
    progress.total, progress.cites, progress.pending = 2, {"t1": ["R-A"], "t2": ["R-A"]}, {"R-A": 2}
    progress.broken = {"t2": [("R-A", "HTTP 500")]}
    progress.pytest_runtest_logreport(_report("t1"))
    assert out.getvalue() == ""
    failed = SimpleNamespace(nodeid="t2", when="call", passed=False, skipped=False, failed=True)
    progress.pytest_runtest_logreport(failed)
    assert "FAIL  R-A" in out.getvalue() and "HTTP 500  (t2)" in out.getvalue()
    assert "tests," not in out.getvalue()
