"""Fixtures of the hostile tests: the hostile target (hostile_server.py) and the runs against it
(hostile_runs.py), started once per session."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from hostile_runs import CASES, Launched
from hostile_server import HostileServer


@pytest.fixture(scope="session")
def hostile():
    server = HostileServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def runs(hostile):
    # Not under pytest's basetemp: a concurrent pytest session may prune it while the runs write there.
    base = Path(tempfile.mkdtemp(prefix="cbconform-hostile-"))
    launched = {case: Launched(case, hostile.url, base, *plan) for case, plan in CASES.items()}
    yield launched
    for one in launched.values():
        one.wait()
    if not os.environ.get("CBCONFORM_KEEP_HOSTILE"):
        shutil.rmtree(base, ignore_errors=True)
