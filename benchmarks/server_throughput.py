"""Throughput of the reference server on a real socket: `cbconform serve` on loopback, a realistic mix
(personalized offers, create, retrieve, update) from a few threads with httpx, for a bounded time.
Prints requests/s, p50/p99 latency per operation and overall, and the server's own CPU time per request
(which a busy machine disturbs least); asserts nothing.

When `npx @stoplight/prism-cli` is available without a download, Prism mocks the project's OpenAPI
document on another port and the same mix runs against it in the same session; the ratio is printed.

    python benchmarks/server_throughput.py [--seconds 10] [--threads 4] [--db FILE] [--no-prism]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx
from stamp import header

AUTH = ("test_conformance_key", "")
READY = re.compile(r"Reference server on (http://\S+/api/v2)")
START = "import sys; from cbconform.cli import main; sys.exit(main())"
OPTIONS = ("opt_concierge", "opt_guide", "opt_partner_perk")  # merchant-processed: update is allowed
OPENAPI = Path(__file__).resolve().parents[1] / "contracts" / "openapi.json"
PRISM = ["npx", "--no-install", "@stoplight/prism-cli"]


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


def serve(extra: list[str]) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-c", START, "serve", "--host", "127.0.0.1", "--port", "0", *extra],
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


def prism() -> tuple[subprocess.Popen, str] | None:
    """Prism mocking the OpenAPI document, or None when it cannot run without a download."""
    try:
        probe = subprocess.run([*PRISM, "--version"], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if probe.returncode != 0:
        return None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    argv = [*PRISM, "mock", "-h", "127.0.0.1", "-p", str(port), str(OPENAPI)]
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


def worker(url: str, deadline: float, n: int, samples: dict, statuses: dict, lock: threading.Lock) -> None:
    """One user journey after another: offers, accept an option, look at it twice, settle it."""
    local: dict[str, list[float]] = defaultdict(list)
    codes: dict[tuple[str, int], int] = defaultdict(int)

    def timed(name: str, send):
        start = time.perf_counter()
        response = send()
        local[name].append(time.perf_counter() - start)
        codes[(name, response.status_code)] += 1
        return response

    def field(response: httpx.Response, *path, default: str) -> str:
        try:
            value = response.json()
            for step in path:
                value = value[step]
            return str(value)
        except (ValueError, LookupError, TypeError):
            return default  # a mock answers examples, not the ids it was sent

    with httpx.Client(base_url=url, auth=AUTH, timeout=30) as http:
        i = 0
        while time.monotonic() < deadline:
            i += 1
            offers = timed(
                "personalized_offers",
                lambda: http.post("/personalized_offers", data={"customer_id": "cust_conformance"}),
            )
            po = field(offers, "personalized_offers", 0, "id", default="po_1")
            option = OPTIONS[(i + n) % len(OPTIONS)]
            created = timed(
                "create_offer_fulfillment",
                lambda po=po, option=option: http.post(
                    "/offer_fulfillments", data={"personalized_offer_id": po, "option_id": option}
                ),
            )
            of = field(created, "offer_fulfillment", "id", default="of_1")
            for _ in range(2):
                timed("retrieve_offer_fulfillment", lambda of=of: http.get(f"/offer_fulfillments/{of}"))
            status = {"id": of, "status": "completed"} if i % 2 else {"id": of, "status": "failed"}
            if status["status"] == "failed":
                status["failure_reason"] = "partner unavailable"
            timed(
                "update_offer_fulfillment",
                lambda of=of, status=status: http.post(f"/offer_fulfillments/{of}", data=status),
            )
    with lock:
        for name, values in local.items():
            samples[name].extend(values)
        for key, count in codes.items():
            statuses[key] += count


def run_mix(url: str, seconds: float, threads: int) -> tuple[dict, dict, float]:
    samples: dict[str, list[float]] = defaultdict(list)
    statuses: dict[tuple[str, int], int] = defaultdict(int)
    lock = threading.Lock()
    began = time.monotonic()
    workers = [
        threading.Thread(target=worker, args=(url, began + seconds, n, samples, statuses, lock))
        for n in range(threads)
    ]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return samples, statuses, time.monotonic() - began


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--db", help="serve with --db FILE instead of in memory")
    parser.add_argument("--no-prism", action="store_true", help="skip the side-by-side run against Prism")
    args = parser.parse_args()
    header("reference server throughput on loopback")
    process, url = serve(["--db", args.db] if args.db else [])
    try:
        cpu_before = cpu_seconds(process.pid)
        samples, statuses, elapsed = run_mix(url, args.seconds, args.threads)
        cpu_after = cpu_seconds(process.pid)
    finally:
        stop(process)
    storage = f"--db {args.db}" if args.db else "in memory"
    title = f"reference server at {url} ({storage}); {args.threads} threads for {elapsed:.1f} s"
    ours = report(title, samples, statuses, elapsed)
    served = sum(len(v) for v in samples.values())
    if cpu_before is not None and cpu_after is not None and served:
        print(f"server CPU per request: {(cpu_after - cpu_before) / served * 1000:.3f} ms")
    mock = None if args.no_prism else prism()
    if mock is None:
        print("\nprism not available" + (" (skipped)" if args.no_prism else " (npx @stoplight/prism-cli)"))
        return
    try:
        theirs = report(f"Prism mock at {mock[1]}", *run_mix(mock[1], args.seconds, args.threads))
    finally:
        stop(mock[0])
    print(f"\nreference server / Prism: {ours / theirs:.2f}x" if theirs else "\nPrism served nothing")


if __name__ == "__main__":
    main()
