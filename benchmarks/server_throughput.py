"""Throughput of the reference server on a real socket: `cbconform serve` on loopback, a realistic mix
(personalized offers, create, retrieve, update) from a few concurrent users, spoken as raw HTTP/1.1 from one
event loop (--client httpx: a thread with an httpx client per user). Prints requests/s, p50/p99 latency per
operation and overall, and the server's own CPU time per request; asserts nothing.

Prism (--prism PATH, else $PRISM, else `prism` on PATH, else `npx --no-install @stoplight/prism-cli`) mocks
the project's OpenAPI document beside it, and --baseline PYTHON serves another checkout's server (e.g.
/work/main/.venv/bin/python); the targets take turns (--rounds) so a busy machine slows each alike, and
the ratios are printed. Without Prism the run says so.

    python benchmarks/server_throughput.py [--seconds 10] [--threads 4] [--rounds 5] [--warmup 2]
        [--client raw|httpx] [--db FILE] [--no-prism] [--prism PATH] [--baseline PYTHON]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
from stamp import header

try:
    import uvloop
except ImportError:  # uvicorn[standard] brings it; the plain loop works too, a little slower
    uvloop = None

AUTH = ("test_conformance_key", "")
READY = re.compile(r"Reference server on (http://\S+/api/v2)")
START = "import sys; from cbconform.cli import main; sys.exit(main())"
OPTIONS = ("opt_concierge", "opt_guide", "opt_partner_perk")  # merchant-processed: update is allowed
OFFERS_FOR = {"customer_id": "cust_conformance"}
OPENAPI = Path(__file__).resolve().parents[1] / "contracts" / "openapi.json"
NPX_PRISM = ["npx", "--no-install", "@stoplight/prism-cli"]


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(url + "/offer_fulfillments/of_ready", auth=AUTH, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{url} never answered")


def serve(extra: list[str], python: str = sys.executable) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [python, "-c", START, "serve", "--host", "127.0.0.1", "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    match = READY.search(process.stdout.readline() if process.stdout else "")
    if not match:
        process.kill()
        raise SystemExit("cbconform serve did not start")
    wait_until_up(match.group(1), process)
    return process, match.group(1)


def prism_command(given: str | None) -> list[str]:
    """How to start Prism: --prism, else $PRISM, else `prism` on PATH, else npx without a download."""
    chosen = given or os.environ.get("PRISM") or shutil.which("prism")
    return [chosen] if chosen else NPX_PRISM


def prism(command: list[str]) -> tuple[subprocess.Popen, str] | None:
    """Prism mocking the OpenAPI document, or None when it cannot run without a download."""
    try:
        probe = subprocess.run([*command, "--version"], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if probe.returncode != 0:
        return None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    argv = [*command, "mock", "-h", "127.0.0.1", "-p", str(port), str(OPENAPI)]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url, process)
    return process, url


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Tally:
    """Latencies and status codes per operation, gathered from every user."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[tuple[str, int], int] = defaultdict(int)
        self.lock = threading.Lock()

    def add(self, name: str, seconds: float, status: int) -> None:
        with self.lock:
            self.samples[name].append(seconds)
            self.statuses[(name, status)] += 1


def value_at(payload: bytes, *path, default: str) -> str:
    try:
        value = json.loads(payload)
        for step in path:
            value = value[step]
        return str(value)
    except (ValueError, LookupError, TypeError):
        return default  # a mock answers examples, not the ids it was sent


async def journey(call, deadline: float, n: int) -> None:
    """One user journey after another: offers, accept an option, look at it twice, settle it.
    `call(name, method, path, form)` sends one request, records it and returns the answer's body."""
    i = 0
    while time.monotonic() < deadline:
        i += 1
        offers = await call("personalized_offers", "POST", "/personalized_offers", OFFERS_FOR)
        po = value_at(offers, "personalized_offers", 0, "id", default="po_1")
        option = OPTIONS[(i + n) % len(OPTIONS)]
        form = {"personalized_offer_id": po, "option_id": option}
        created = await call("create_offer_fulfillment", "POST", "/offer_fulfillments", form)
        of = value_at(created, "offer_fulfillment", "id", default="of_1")
        for _ in range(2):
            await call("retrieve_offer_fulfillment", "GET", f"/offer_fulfillments/{of}", None)
        status = {"id": of, "status": "completed"} if i % 2 else {"id": of, "status": "failed"}
        if status["status"] == "failed":
            status["failure_reason"] = "partner unavailable"
        await call("update_offer_fulfillment", "POST", f"/offer_fulfillments/{of}", status)


def httpx_user(url: str, deadline: float, n: int, tally: Tally) -> None:
    """A thread with its own httpx client (the heavier client a Python integrator would use)."""
    with httpx.Client(base_url=url, auth=AUTH, timeout=30) as http:

        async def call(name: str, method: str, path: str, form: dict | None) -> bytes:
            start = time.perf_counter()
            response = http.request(method, path, data=form)
            tally.add(name, time.perf_counter() - start, response.status_code)
            return response.content

        asyncio.run(journey(call, deadline, n))


class Connection:
    """One keep-alive HTTP/1.1 connection, spoken directly: the client costs a few microseconds a
    request, so the figure is the server's, not the load generator's."""

    def __init__(self, url: str, tally: Tally):
        parts = urlsplit(url)
        self.address, self.base, self.tally = (parts.hostname, parts.port), parts.path.rstrip("/"), tally
        credentials = base64.b64encode(f"{AUTH[0]}:{AUTH[1]}".encode()).decode()
        self.head = f"Host: {parts.netloc}\r\nAuthorization: Basic {credentials}\r\n"
        self.reader: asyncio.StreamReader | None = None

    async def call(self, name: str, method: str, path: str, form: dict | None) -> bytes:
        body = urlencode(form).encode() if form is not None else b""
        head = f"{method} {self.base}{path} HTTP/1.1\r\n{self.head}"
        if method == "POST":
            head += f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        start = time.perf_counter()
        if self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(*self.address)
        self.writer.write(head.encode() + b"\r\n" + body)
        status, payload, close = await self._answer()
        self.tally.add(name, time.perf_counter() - start, status)
        if close:
            self.writer.close()
            self.reader = None
        return payload

    async def _answer(self) -> tuple[int, bytes, bool]:
        assert self.reader is not None
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip().lower() for k, _, v in (x.partition(":") for x in lines[1:])}
        if "content-length" in headers:
            payload = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            payload = b""
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                payload += (await self.reader.readexactly(size + 2))[:-2]
            await self.reader.readuntil(b"\r\n")
        else:
            payload = await self.reader.read()
            headers["connection"] = "close"
        return int(lines[0].split(" ", 2)[1]), payload, headers.get("connection") == "close"


async def raw_users(url: str, deadline: float, users: int, tally: Tally) -> None:
    await asyncio.gather(*(journey(Connection(url, tally).call, deadline, n) for n in range(users)))


def run_mix(url: str, seconds: float, users: int, client: str = "raw", tally: Tally | None = None):
    """The mix for `seconds`; returns the samples, the status counts and the seconds it took."""
    tally = tally or Tally()
    began = time.monotonic()
    if client == "raw":
        run = uvloop.run if uvloop else asyncio.run
        run(raw_users(url, began + seconds, users, tally))
    else:
        threads = [
            threading.Thread(target=httpx_user, args=(url, began + seconds, n, tally)) for n in range(users)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return tally.samples, tally.statuses, time.monotonic() - began


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(title: str, samples: dict, statuses: dict, elapsed: float) -> float:
    print(f"\n{title}")
    print(f"{'operation':<28} {'requests':>9} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9}")
    everything = [v for values in samples.values() for v in values]
    for name, values in [*sorted(samples.items()), ("overall", everything)]:
        if values:
            print(
                f"{name:<28} {len(values):>9} {len(values) / elapsed:>9.1f} "
                f"{percentile(values, 0.5) * 1000:>9.2f} {percentile(values, 0.99) * 1000:>9.2f}"
            )
    print("status codes: " + ", ".join(f"{n} {s}: {c}" for (n, s), c in sorted(statuses.items())))
    return len(everything) / elapsed if elapsed else 0.0


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Target:
    title: str
    process: subprocess.Popen
    url: str
    tally: Tally = field(default_factory=Tally)
    elapsed: float = 0.0
    cpu: float | None = 0.0


def measure(targets: list[Target], args: argparse.Namespace) -> None:
    """Warms every target up, then runs the mix on each in turn, --rounds times, so that the load other
    programs put on the machine falls on every target alike."""
    for target in targets:
        if args.warmup > 0:  # Node's JIT and Python's caches both settle first; not counted
            run_mix(target.url, args.warmup, args.threads, args.client)
    for _ in range(args.rounds):
        for target in targets:
            before = cpu_seconds(target.process.pid)
            *_, elapsed = run_mix(
                target.url, args.seconds / args.rounds, args.threads, args.client, target.tally
            )
            after = cpu_seconds(target.process.pid)
            target.elapsed += elapsed
            target.cpu = None if None in (before, after, target.cpu) else target.cpu + after - before


def show(target: Target, args: argparse.Namespace) -> float:
    """Prints a target's table; its requests per second."""
    mix = f"{args.threads} {args.client} users, {args.rounds} rounds, {target.elapsed:.1f} s"
    title = f"{target.title} at {target.url}; {mix}"
    rate = report(title, target.tally.samples, target.tally.statuses, target.elapsed)
    served = sum(len(v) for v in target.tally.samples.values())
    if target.cpu is not None and served:
        print(f"server CPU per request: {target.cpu / served * 1000:.3f} ms")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=4, help="concurrent users (connections)")
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="raw: HTTP/1.1 spoken directly from one event loop (cheap, so the server is measured);"
        " httpx: one thread with an httpx client per user (the figures before 2026-11-30)",
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of the mix not counted")
    parser.add_argument("--rounds", type=int, default=5, help="turns the targets take, --seconds in all")
    parser.add_argument("--db", help="serve with --db FILE instead of in memory")
    parser.add_argument("--no-prism", action="store_true", help="skip the side-by-side run against Prism")
    parser.add_argument("--prism", metavar="PATH", help="the prism executable (default: $PRISM, PATH, npx)")
    parser.add_argument("--baseline", metavar="PYTHON", help="also serve this interpreter's cbconform")
    args = parser.parse_args()
    header("reference server throughput on loopback")
    storage = f"--db {args.db}" if args.db else "in memory"
    targets = [Target(f"reference server ({storage})", *serve(["--db", args.db] if args.db else []))]
    try:
        if args.baseline:
            extra = ["--db", args.db + ".baseline"] if args.db else []
            targets.append(Target(f"baseline {args.baseline} ({storage})", *serve(extra, args.baseline)))
        command = prism_command(args.prism)
        mock = None if args.no_prism else prism(command)
        if mock:
            targets.append(Target("Prism mock", *mock))
        measure(targets, args)
    finally:
        for target in targets:
            stop(target.process)
    ours, *others = [show(target, args) for target in targets]
    print()
    for target, rate in zip(targets[1:], others, strict=True):
        name = "Prism" if target.title == "Prism mock" else "baseline"
        print(f"reference server / {name}: {ours / rate:.2f}x" if rate else f"{name} served nothing")
    if mock is None:
        tried = " ".join(command)
        why = "skipped (--no-prism)" if args.no_prism else f"not found ({tried}); pass --prism PATH"
        print(f"Prism {why}: no side-by-side figure")


if __name__ == "__main__":
    main()
