"""The embedded run on two cores: one forked sibling process collects and runs the schemathesis module
(about half the run's work, most of it generating cases) while this process runs the other suites. Each
process serves its own embedded reference server, as xdist's workers do, and the sibling hands its
evidence back through the merge xdist's workers use (`Evidence.merge`), so the results model, the
reports and the verdict are those of one run.

Why not pytest-xdist here: its workers are fresh interpreters that each import and collect every
module, which on two cores costs more than it saves (docs/GATE.md has the figures). `--workers N`
still hands the run to xdist; `--workers 1` keeps an embedded run in one process.

The split applies only where it cannot change what the run means: the embedded target, no pytest
arguments but a hypothesis seed, no request budget (each process would count its own; the run
deadline is the same clock for both, started together), and two cores this process may use, with
`os.fork`."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest

from cbconform import paths, plugin
from cbconform.cli import STOPPING

MODULES = ("test_schemathesis.py",)  # the sibling's share of the suites
SEED = "--hypothesis-seed"


def applies(session: Any, workers: int | None, pytest_args: list[str]) -> bool:
    return (
        session.target.embedded
        and workers is None
        and not _beyond_seed(pytest_args)
        and not session.values.get("max_requests")
        and hasattr(os, "fork")
        and _cores() >= 2
        and threading.active_count() == 1  # forking a process with threads copies their locks held
    )


def seeded(pytest_args: list[str]) -> bool:
    return any(a == SEED or a.startswith(SEED + "=") for a in pytest_args)


def _beyond_seed(pytest_args: list[str]) -> bool:
    """Arguments for pytest other than a hypothesis seed (which both processes take alike)."""
    rest = list(pytest_args)
    while rest:
        arg = rest.pop(0)
        if arg == SEED and rest and rest[0].isdigit():
            rest.pop(0)
        elif not (arg.startswith(SEED + "=") and arg.partition("=")[2].isdigit()):
            return True
    return False


def _cores() -> int:
    """The cores this process may run on (its affinity, where the system says), not the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def sibling_paths() -> list[str]:
    return [str(paths.suites_dir() / name) for name in MODULES]


def ignored() -> list[str]:
    """This process's pytest arguments: everything but the sibling's modules."""
    return [f"--ignore={path}" for path in sibling_paths()]


class Ships:
    """A pytest plugin in the sibling: the cbconform plugin ships its evidence here instead of judging
    the run, and the ids it collected go with it."""

    def __init__(self) -> None:
        self.config: pytest.Config | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config
        config.stash[plugin.SHIPPED] = {}

    def payload(self) -> dict[str, Any]:
        cb = self.config.stash.get(plugin.KEY, None) if self.config else None
        shipped = self.config.stash.get(plugin.SHIPPED, {}) if self.config else {}
        return {
            "evidence": shipped.get("evidence"),
            "collected": sorted(cb.collected) if cb is not None else [],
        }


class Sibling:
    """The forked process, seen from this one; also a pytest plugin that merges its evidence into
    this run's before the run is judged (tryfirst, ahead of the cbconform plugin's sessionfinish)."""

    def __init__(self, job: Callable[[], dict[str, Any]], progress: Any = None) -> None:
        read, write = os.pipe()
        # Ctrl-C or SIGTERM between the fork and the sibling's own handling would otherwise raise in
        # the sibling while it is still a copy of this caller: held until each side is ready.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
        try:
            self.pid = os.fork()
        except BaseException:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            raise
        if self.pid == 0:  # the sibling: run the job, send its payload, never return into the caller
            _child(job, read, write, held)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        os.close(write)
        self._read = read
        self._progress = progress
        if progress is not None:  # this process's progress lines say the rest is still running
            progress.elsewhere = f"{', '.join(MODULES)} in a second process"
        self._chunks: list[bytes] = []
        self.payload: dict[str, Any] | None = None
        self.failure: str | None = None
        self._done = False

    def wait(self) -> dict[str, Any] | None:
        """The sibling's payload once it has ended, or None with `failure` saying why. Ctrl-C or SIGTERM
        while waiting is passed on to the sibling, which is still waited for: it sends what it saw."""
        if self._done:
            return self.payload
        while True:
            try:
                while chunk := os.read(self._read, 1 << 16):
                    self._chunks.append(chunk)
                _, status = os.waitpid(self.pid, 0)
                break
            except KeyboardInterrupt:
                self._signal()
        os.close(self._read)
        self._done = True
        if self._progress is not None:
            self._progress.elsewhere = None
        try:
            self.payload = json.loads(b"".join(self._chunks)) if self._chunks else None
        except ValueError:
            self.payload = None
        if self.payload is None:
            self.failure = _ended(status)
        return self.payload

    def interrupt(self) -> None:
        if not self._done:
            self._signal()

    def _signal(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGINT)

    def close(self) -> None:
        """Never leaves the sibling behind, whatever stopped this process's run."""
        self.interrupt()
        self.wait()

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if exitstatus == pytest.ExitCode.INTERRUPTED:
            self.interrupt()
        payload = self.wait()
        cb = session.config.stash.get(plugin.KEY, None)
        if cb is None:
            return
        if payload is None or payload.get("evidence") is None:
            why = self.failure or "none sent"
            cb.stop(f"the process running {', '.join(MODULES)} ended without its results ({why})")
            return
        cb.collected |= set(payload["collected"])
        cb.evidence.merge(json.loads(payload["evidence"]))


def _child(job: Callable[[], dict[str, Any]], read: int, write: int, held: set) -> None:
    code = 70  # EX_SOFTWARE: the job raised, or was stopped before it could answer
    try:
        os.close(read)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        data = json.dumps(job()).encode()
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
        code = 0
    except BaseException:  # the parent reports a sibling that sent nothing
        pass
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        return f"killed by {signal.Signals(number).name if number in signal.valid_signals() else number}"
    return f"exit {os.WEXITSTATUS(status)}"
