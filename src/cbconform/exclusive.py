"""Tests that change what every other test sees on a shared target (its clock, its rate limit) run
alone when pytest-xdist spreads a run over workers against one served target: such a test holds an
exclusive lock for its setup, call and teardown, every other test a shared one. Embedded runs need no
lock, since each worker has its own in-process server.

A readers-writer lock over two `flock`ed files: a writer takes the gate, then the state exclusively,
and keeps the gate until it is done, so readers arriving meanwhile wait at the gate and a writer is
never starved by a stream of readers."""

from __future__ import annotations

import contextlib
import fcntl
import tempfile
from collections.abc import Iterator
from pathlib import Path

MARKER = "exclusive"


def make_dir() -> str:
    return tempfile.mkdtemp(prefix="cbconform-lock-")


@contextlib.contextmanager
def _locked(path: Path, mode: int) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, mode)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def hold(directory: str, exclusive: bool) -> Iterator[None]:
    gate, state = Path(directory, "gate"), Path(directory, "state")
    if exclusive:
        with _locked(gate, fcntl.LOCK_EX), _locked(state, fcntl.LOCK_EX):
            yield
        return
    with _locked(gate, fcntl.LOCK_EX):
        pass
    with _locked(state, fcntl.LOCK_SH):
        yield
