"""Helpers for the harness tests: run `cbconform run` (or pytest over the suites) as a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "seeds: runs the suites under many hypothesis seeds (minutes)")
    config.addinivalue_line("markers", "readings: every ambiguity's readings, embedded and served (minutes)")


def _environment() -> dict[str, str]:
    """This process's environment without the settings and the key the suite would read from it."""
    secret = ("CHARGEBEE_API_KEY",)
    return {k: v for k, v in os.environ.items() if not k.startswith("CBCONFORM_") and k not in secret}


def _run(*args: str, timeout: float = 300, env: dict[str, str] | None = None):
    environment = _environment() | (env or {})
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def serve():
    """Starts `cbconform serve --admin --reading ... [--fault NAME]` on a free port (without /__admin
    when admin=False); returns its URL (`start.servers` holds the processes); stops them after."""
    started: list[subprocess.Popen] = []

    def start(*readings: str, admin: bool = True, fault: str | None = None) -> str:
        port = _free_port()
        argv = [sys.executable, "-m", "cbconform.cli", "serve", "--port", str(port)]
        argv += ["--admin"] * admin + [f"--reading={r}" for r in readings]
        argv += [f"--fault={fault}"] if fault else []
        server = subprocess.Popen(
            argv, cwd=ROOT, env=_environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        started.append(server)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return f"http://127.0.0.1:{port}/api/v2"
            except OSError:
                assert server.poll() is None, "cbconform serve exited early"
                assert time.monotonic() < deadline, "cbconform serve did not listen within 30 s"
                time.sleep(0.1)

    start.servers = started
    yield start
    for server in started:
        server.terminate()
        server.wait(timeout=10)
