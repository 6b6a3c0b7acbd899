"""`cbconform run`: the conformance suites against a target, through pytest and the cbconform plugin,
with the gate's exit code (docs/GATE.md):

  0  the target conforms          1  at least one MUST rule failed
  2  usage or harness error       3  the target is unreachable or rejects the key
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cbconform import paths
from cbconform.profiles import PROFILES
from cbconform.report import HTML, JUNIT, RESULTS, load, write_all
from cbconform.report.terminal import Progress, summary

CONFORMS, FAILED, HARNESS, UNREACHABLE = 0, 1, 2, 3
REDACTED = "[REDACTED]"
FORWARD = (  # option of the plugin, attribute here
    ("--target", "target"),
    ("--grow-url", "grow_url"),
    ("--core-url", "core_url"),
    ("--site", "site"),
    ("--target-config", "target_config"),
    ("--profile", "profile"),
    ("--expected-failures", "expected_failures"),
    ("--max-requests", "max_requests"),
    ("--rate", "rate"),
    ("--report-dir", "report_dir"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_argument_group("target (default: the embedded reference server, in-process)")
    target.add_argument("--target", metavar="URL", help="one base URL serving both hosts")
    target.add_argument("--grow-url", metavar="URL", help="base URL of the grow host (offers, fulfillments)")
    target.add_argument("--core-url", metavar="URL", help="base URL of the core host (orders)")
    target.add_argument("--site", help="a Chargebee site name; test sites end in -test")
    target.add_argument("--api-key", help="the API key (default: $CHARGEBEE_API_KEY); never written anywhere")
    target.add_argument("--target-config", metavar="FILE", help="TOML file: target data, features, readings")
    target.add_argument(
        "--reading",
        action="append",
        default=[],
        metavar="AMB-ID=NAME",
        help="follow another reading of an ambiguity (repeatable)",
    )
    target.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="break the embedded server on purpose (repeatable; see `cbconform serve --list-faults`)",
    )
    target.add_argument("--allow-live-site", action="store_true", help="allow a --site without -test")
    target.add_argument("--rate", type=int, metavar="N", help="requests a minute to a remote target")
    target.add_argument("--max-requests", type=int, metavar="N", help="stop sending after N; the rest skip")
    run = parser.add_argument_group("run")
    run.add_argument(
        "--profile", choices=sorted(PROFILES), default="ci", help="hypothesis profile (default ci)"
    )
    run.add_argument("--expected-failures", metavar="FILE", help="rule IDs expected to fail, one a line")
    run.add_argument(
        "--report-dir", default="reports", metavar="DIR", help="where reports go (default reports/)"
    )
    run.add_argument(
        "--progress",
        choices=("auto", "bar", "lines", "quiet"),
        default="auto",
        help="a live bar on a terminal (auto), a line per test, or nothing until the summary",
    )
    run.add_argument(
        "pytest_args", nargs="*", metavar="-- PYTEST-ARGS", help="passed on to pytest, e.g. -- -k orders"
    )


def main(args: argparse.Namespace) -> int:
    report_dir = Path(args.report_dir)
    secrets = _secrets(args)
    _clear(report_dir)
    out = _Redacting(sys.stdout, secrets)
    mode = args.progress if args.progress != "auto" else ("bar" if sys.stdout.isatty() else "quiet")
    progress = Progress(out, mode)
    with _redacted_streams(secrets), _key_in_env(args.api_key):
        pytest_code = pytest.main(pytest_argv(args), plugins=[progress])
        results = _load(report_dir / RESULTS)
        code = gate_code(results, int(pytest_code), progress)
        if results is not None and results["run"].get("exit_code") != code:
            results["run"]["exit_code"] = code
            write_all(results, report_dir)
        leaked = _scrub(report_dir, secrets)
        _report(out, results, code, progress, args.report_dir, leaked)
    return HARNESS if leaked else code


def pytest_argv(args: argparse.Namespace) -> list[str]:
    """The suites' pytest command line. The API key is not on it: it travels in the environment, so it
    cannot show up in pytest's invocation parameters or in a recorded command."""
    argv = [str(paths.suites_dir()), "-p", "cbconform.plugin", "-p", "no:cacheprovider"]
    for option, attribute in FORWARD:
        value = getattr(args, attribute)
        if value is not None:
            argv.append(f"{option}={value}")
    argv += [f"--reading={pair}" for pair in args.reading]
    argv += [f"--embedded-fault={name}" for name in args.fault]
    if args.allow_live_site:
        argv.append("--allow-live-site")
    return argv + list(args.pytest_args)


def gate_code(results: dict[str, Any] | None, pytest_code: int, progress: Progress) -> int:
    """The gate's exit code, judged from the results model and the plugin's stop signal; pytest's own
    code 3 means an internal error, so it is never taken at face value."""
    stopped = progress.exit is not None and progress.exit[0] == UNREACHABLE
    if stopped or (results is not None and results["run"].get("fatal")):
        return UNREACHABLE
    if results is None or progress.internal_error or progress.collect_errors:
        return HARNESS
    verdict = results["summary"]["verdict"]
    if verdict == "error" or pytest_code in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.USAGE_ERROR):
        return HARNESS
    if verdict == "fail" or results["run"].get("stale_expected_failures"):
        return FAILED
    return CONFORMS


def _report(out, results, code: int, progress: Progress, report_dir: str, leaked: list[str]) -> None:
    lines = []
    if progress.exit is not None and progress.exit[1]:
        lines.append(f"cbconform: {progress.exit[1]}")
    lines += [f"cbconform: cannot collect {error}" for error in progress.collect_errors]
    if results is None and code != UNREACHABLE:
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


def _secrets(args: argparse.Namespace) -> tuple[str, ...]:
    keys = {args.api_key, os.environ.get("CHARGEBEE_API_KEY")}
    with contextlib.suppress(Exception):
        from cbconform.target import resolve

        keys.add(resolve({"config": args.target_config, "api_key": args.api_key}).api_key)
    keys.discard(None)
    keys.discard("")
    forms = set()
    for key in keys:
        forms |= {key, base64.b64encode(f"{key}:".encode()).decode(), base64.b64encode(key.encode()).decode()}
    return tuple(sorted(forms, key=len, reverse=True))


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


def _scrub(report_dir: Path, secrets: tuple[str, ...]) -> list[str]:
    leaked = []
    if not report_dir.is_dir():
        return leaked
    for path in sorted(p for p in report_dir.rglob("*") if p.is_file()):
        data = path.read_bytes()
        clean = data
        for secret in secrets:
            clean = clean.replace(secret.encode(), REDACTED.encode())
        if clean != data:
            path.write_bytes(clean)
            leaked.append(str(path))
    return leaked


class _Redacting(io.TextIOBase):
    """A text stream that writes through to another with every secret replaced."""

    def __init__(self, stream: Any, secrets: tuple[str, ...]):
        self._stream, self._secrets = stream, secrets

    def write(self, text: str) -> int:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        self._stream.write(text)
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self._stream, "encoding", "utf-8")


@contextlib.contextmanager
def _redacted_streams(secrets: tuple[str, ...]) -> Iterator[None]:
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Redacting(saved[0], secrets), _Redacting(saved[1], secrets)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


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
