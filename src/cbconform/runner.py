"""`cbconform run`: the conformance suites against a target, through pytest and the cbconform plugin,
with the gate's exit code (docs/GATE.md):

  0  the target conforms          1  a gating rule failed (or an expected failure is stale)
  2  usage or harness error       3  the target is unreachable or rejects the key
  4  incomplete: the run stopped early, a request went unanswered, or a gating rule was not examined
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cbconform import paths, profiles, redact, settings, sibling
from cbconform.cli import STOPPING
from cbconform.plugin import Resolved
from cbconform.report import HTML, JUNIT, RESULTS, load, write_all
from cbconform.report.terminal import Progress, summary
from cbconform.session import Session, SessionError

CONFORMS, FAILED, HARNESS, UNREACHABLE, INCOMPLETE = 0, 1, 2, 3, 4
DEFAULT_REPORT_DIR = "reports"
VERDICT_CODES = {"pass": CONFORMS, "fail": FAILED, "error": HARNESS, "incomplete": INCOMPLETE}
HELD_SIGNALS = True  # the CLI holds Ctrl-C and SIGTERM until main can answer them with the reports


def add_arguments(parser: argparse.ArgumentParser) -> None:
    settings.add_argparse(parser)
    run = parser.add_argument_group("run")
    run.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="spread the tests over N processes with pytest-xdist; 1 keeps the run in one process "
        "(without it, an embedded run forks one sibling for the schemathesis module: cbconform.sibling)",
    )
    run.add_argument(
        "--progress",
        choices=("auto", "bar", "periodic", "lines", "quiet"),
        default="auto",
        help="a live bar on a terminal, a line every 10 s in a log (auto), a line per test, or nothing",
    )
    run.add_argument(
        "pytest_args", nargs="*", metavar="-- PYTEST-ARGS", help="passed on to pytest, e.g. -- -k orders"
    )


def main(args: argparse.Namespace) -> int:
    given = settings.from_namespace(args)
    try:
        values = settings.layered(given)
        values["report_dir"] = values["report_dir"] or DEFAULT_REPORT_DIR
        checked = Session(values, given, None)  # every setting checked once, before pytest starts
    except (settings.SettingsError, SessionError) as error:
        print(f"cbconform: {error}", file=sys.stderr)
        return HARNESS
    report_dir = Path(values["report_dir"])
    redact.register(values.get("api_key"), os.environ.get("CHARGEBEE_API_KEY"))
    _clear(report_dir)
    out = redact.RedactingStream(sys.stdout)
    mode = args.progress if args.progress != "auto" else ("bar" if sys.stdout.isatty() else "quiet")
    progress = Progress(out, mode)
    split = sibling.applies(checked, args.workers, args.pytest_args)
    with redact.redacted_streams(), _key_in_env(values.get("api_key")), _sigterm_interrupts():
        twin = None
        try:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)  # one sent during the imports lands here
            plugins = [progress, Resolved(values, given), CollectUnswept()]
            argv = pytest_argv(args)
            if split:
                seed = None if sibling.seeded(args.pytest_args) else profiles.drawn_seed(values["profile"])
                argv += [f"--hypothesis-seed={seed}"] if seed else []  # one seed for both processes
                twin = sibling.Sibling(_sibling_job(values, given, out, mode, argv[1:]), progress)
                plugins.append(twin)
                argv += sibling.ignored()
            with CollectUnswept.paused():
                pytest_code = pytest.main(argv, plugins=plugins)
        except KeyboardInterrupt:
            pytest_code = pytest.ExitCode.INTERRUPTED
        finally:
            if twin is not None:
                twin.close()
                _sibling_progress(progress, twin.payload or {})
        results = _load(report_dir / RESULTS)
        if results is None and pytest_code == pytest.ExitCode.INTERRUPTED:
            results = _stopped_before_results(values, given, report_dir)
        code = gate_code(results, int(pytest_code), progress)
        if results is not None and results["run"].get("exit_code") != code:
            results["run"]["exit_code"] = code
            write_all(results, report_dir)
        leaked = redact.scrub_files(report_dir)
        usage = pytest_code == pytest.ExitCode.USAGE_ERROR
        _report(out, results, code, progress, str(report_dir), leaked, usage)
    return HARNESS if leaked else code


def _sibling_job(values, given, out, mode: str, options: list[str]):
    """What the forked sibling runs: pytest on its modules, showing a line per test where this process
    does, and its failures beside this process's bar."""

    def job() -> dict[str, Any]:
        ships = sibling.Ships()
        progress = Progress(out, {"lines": "lines", "bar": "failures"}.get(mode, "quiet"))
        plugins = [progress, Resolved(values, given), CollectUnswept(), ships]
        with CollectUnswept.paused():
            pytest.main(sibling.sibling_paths() + options, plugins=plugins)
        return ships.payload() | {
            "collect_errors": progress.collect_errors,
            "internal_error": progress.internal_error,
        }

    return job


def _sibling_progress(progress: Progress, payload: dict[str, Any]) -> None:
    progress.collect_errors += payload.get("collect_errors", [])
    progress.internal_error = progress.internal_error or bool(payload.get("internal_error"))


def _stopped_before_results(values: dict[str, Any], given: dict[str, Any], report_dir: Path) -> dict | None:
    """A run stopped before the suites could write anything still leaves its three reports."""
    session = Session(values, given, None)
    session.stop("the run was stopped before the suites started")
    results = session.results(int(pytest.ExitCode.INTERRUPTED))
    write_all(results, report_dir)
    return results


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """CI cancels with SIGTERM: handled like Ctrl-C, so the run ends incomplete with its reports."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class CollectUnswept:
    """Python's cyclic garbage collector is paused while pytest starts and collects: what that builds
    lives for the whole run, and a full collection over it costs a tenth of a second each time. It is
    then frozen (never scanned again) and the collector resumes for the tests."""

    @staticmethod
    @contextlib.contextmanager
    def paused() -> Iterator[None]:
        gc.disable()
        try:
            yield
        finally:
            gc.enable()

    @pytest.hookimpl(wrapper=True)  # a wrapper: xdist's controller replaces collection, and ends it too
    def pytest_collection(self, session: pytest.Session) -> Iterator[Any]:
        try:
            return (yield)
        finally:
            gc.freeze()
            gc.enable()


def pytest_argv(args: argparse.Namespace) -> list[str]:
    """The suites' pytest command line: the settings travel resolved, as a plugin object. The suites
    report through Expect, not assertion introspection, so pytest's assertion rewriting only costs: it
    would rewrite every module of each pytest11 distribution (schemathesis, hypothesis) on every run
    wherever bytecode is not written (PYTHONDONTWRITEBYTECODE). Without unraisableexception, the run
    ends without that plugin's repeated full garbage collections (Python still prints what it caught)."""
    argv = [str(paths.suites_dir()), "-p", "cbconform.plugin", "-p", "no:cacheprovider", "--assert=plain"]
    argv += ["-p", "no:unraisableexception"]
    if args.workers and args.workers > 1:
        argv += ["-n", str(args.workers)]
    return argv + list(args.pytest_args)


def gate_code(results: dict[str, Any] | None, pytest_code: int, progress: Progress) -> int:
    """The gate's exit code, judged from the results model and the plugin's stop signal; pytest's own
    code 3 means an internal error, so it is never taken at face value."""
    stopped = progress.exit is not None and progress.exit[0] == UNREACHABLE
    if stopped or (results is not None and results["run"].get("fatal")):
        return UNREACHABLE
    if results is None or progress.internal_error or pytest_code == pytest.ExitCode.USAGE_ERROR:
        return HARNESS
    code = VERDICT_CODES[results["summary"]["verdict"]]
    if code in (CONFORMS, INCOMPLETE) and results["run"].get("stale_expected_failures"):
        return FAILED
    return code


def _report(out, results, code, progress: Progress, report_dir: str, leaked: list[str], usage: bool) -> None:
    lines = []
    if progress.exit is not None and progress.exit[1]:
        lines.append(f"cbconform: {progress.exit[1]}")
    lines += [f"cbconform: cannot collect {error}" for error in progress.collect_errors]
    if results is None and code != UNREACHABLE and not usage:
        lines.append("cbconform: the suites wrote no results (see the errors above); exit 2")
    if results is not None:
        lines += summary(results, code, report_dir)
    lines += [
        f"cbconform: the API key was found in {name}; it has been removed from the file, and the run "
        "counts as a harness error. Please report this."
        for name in leaked
    ]
    lines.append(f"exit {HARNESS if leaked else code}")
    out.write("\n".join(lines) + "\n")
    out.flush()


def _clear(report_dir: Path) -> None:
    """Removes the previous run's reports, so a run that stops early never leaves stale ones behind."""
    for name in (RESULTS, JUNIT, HTML):
        with contextlib.suppress(FileNotFoundError):
            (report_dir / name).unlink()


def _load(path: Path) -> dict[str, Any] | None:
    try:
        return load(path)
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None


@contextlib.contextmanager
def _key_in_env(api_key: str | None) -> Iterator[None]:
    saved = os.environ.get("CHARGEBEE_API_KEY")
    if api_key:
        os.environ["CHARGEBEE_API_KEY"] = api_key
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("CHARGEBEE_API_KEY", None)
        else:
            os.environ["CHARGEBEE_API_KEY"] = saved
