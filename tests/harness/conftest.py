"""Helpers for the harness tests: run `cbconform run` (or pytest over the suites) as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "seeds: runs the suites under many hypothesis seeds (minutes)")
    config.addinivalue_line("markers", "readings: every ambiguity's readings, embedded and served (minutes)")


def _run(*args: str, timeout: float = 300, env: dict[str, str] | None = None):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CBCONFORM_")}
    environment.pop("CHARGEBEE_API_KEY", None)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "cbconform.cli", "run", "--progress", "quiet", *args],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def cbconform_run():
    """`cbconform run ARGS` in a fresh interpreter; returns the CompletedProcess (text, merged output)."""
    return _run
