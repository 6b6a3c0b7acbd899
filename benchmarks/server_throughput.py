"""Throughput of the reference server on a real socket: `cbconform serve` on loopback, a realistic mix
(personalized offers, create, retrieve, update) from a few threads with httpx, for a bounded time.
Prints requests/s and p50/p99 latency per operation and overall; asserts nothing.

    python benchmarks/server_throughput.py [--seconds 10] [--threads 4] [--db FILE]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict

import httpx

AUTH = ("test_conformance_key", "")
READY = re.compile(r"Reference server on (http://\S+/api/v2)")
START = "import sys; from cbconform.cli import main; sys.exit(main())"
OPTIONS = ("opt_concierge", "opt_guide", "opt_partner_perk")  # merchant-processed: update is allowed


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
    url = match.group(1)
    for _ in range(200):
        try:
            httpx.get(url + "/offer_fulfillments/of_ready", auth=AUTH, timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.05)
    return process, url


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

    with httpx.Client(base_url=url, auth=AUTH, timeout=30) as http:
        i = 0
        while time.monotonic() < deadline:
            i += 1
            offers = timed(
                "personalized_offers",
                lambda: http.post("/personalized_offers", data={"customer_id": "cust_conformance"}),
            )
            po = offers.json()["personalized_offers"][0]["id"]
            option = OPTIONS[(i + n) % len(OPTIONS)]
            created = timed(
                "create_offer_fulfillment",
                lambda po=po, option=option: http.post(
                    "/offer_fulfillments", data={"personalized_offer_id": po, "option_id": option}
                ),
            )
            of = created.json()["offer_fulfillment"]["id"]
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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--db", help="serve with --db FILE instead of in memory")
    args = parser.parse_args()
    process, url = serve(["--db", args.db] if args.db else [])
    samples: dict[str, list[float]] = defaultdict(list)
    statuses: dict[tuple[str, int], int] = defaultdict(int)
    lock = threading.Lock()
    try:
        began = time.monotonic()
        deadline = began + args.seconds
        threads = [
            threading.Thread(target=worker, args=(url, deadline, n, samples, statuses, lock))
            for n in range(args.threads)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
    finally:
        process.terminate()
        process.wait(timeout=10)
    storage = f"--db {args.db}" if args.db else "in memory"
    print(f"reference server at {url} ({storage}); {args.threads} threads for {elapsed:.1f} s\n")
    print(f"{'operation':<28} {'requests':>9} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9}")
    everything = [v for values in samples.values() for v in values]
    for name, values in [*sorted(samples.items()), ("overall", everything)]:
        if not values:
            continue
        print(
            f"{name:<28} {len(values):>9} {len(values) / elapsed:>9.1f} "
            f"{percentile(values, 0.5) * 1000:>9.2f} {percentile(values, 0.99) * 1000:>9.2f}"
        )
    print("\nstatus codes: " + ", ".join(f"{n} {s}: {c}" for (n, s), c in sorted(statuses.items())))
    print(f"mean latency {statistics.fmean(everything) * 1000:.2f} ms" if everything else "no requests")


if __name__ == "__main__":
    main()
