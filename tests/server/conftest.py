"""The reference server on a real loopback socket: `cbconform serve --port 0` in a subprocess.

`serve(*args)` starts one (extra command-line options such as `--db FILE` or `--rate-limit N`) and
returns a `Served` with its base URL; every server started is stopped when the test ends. `base_url`
is one default server shared by the session."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

API_KEY = "test_conformance_key"
CUSTOMER = "cust_conformance"
NO_OFFERS = "cust_no_offers"
INVOICE = "inv_conformance_001"
READY = re.compile(r"Reference server on (http://\S+/api/v2)")
START = "import sys; from cbconform.cli import main; sys.exit(main())"


@dataclass
class Served:
    process: subprocess.Popen
    url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()


def start(*args: str, timeout: float = 20.0) -> Served:
    """Starts `cbconform serve` on a free loopback port and waits until it answers."""
    process = subprocess.Popen(
        [sys.executable, "-c", START, "serve", "--host", "127.0.0.1", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    line = process.stdout.readline() if process.stdout else ""
    match = READY.search(line)
    if not match:
        process.kill()
        rest = process.communicate()[0] or ""
        raise RuntimeError(f"cbconform serve did not start: {line}{rest}")
    served = Served(process, match.group(1))
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(served.url + "/offer_fulfillments/of_ready", auth=(API_KEY, ""), timeout=1.0)
            return served
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                served.stop()
                raise RuntimeError("cbconform serve never answered") from None
            time.sleep(0.05)


@pytest.fixture
def serve() -> Iterator:
    started: list[Served] = []

    def _serve(*args: str) -> Served:
        served = start(*args)
        started.append(served)
        return served

    yield _serve
    for served in started:
        served.stop()


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    served = start()
    yield served.url
    served.stop()


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, auth=(API_KEY, ""), timeout=10.0) as http:
        yield http
