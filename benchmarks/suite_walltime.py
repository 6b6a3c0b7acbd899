"""Wall time of `cbconform run` against the embedded reference server, several hypothesis profiles compared
in one run (same machine, same moment), with the requests each run sent (run.requests of results.json).
Prints figures; asserts nothing. Each figure is the median of --repeat runs.

    python benchmarks/suite_walltime.py [--repeat N] [PROFILE ...]     # default: ci dev, once each
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stamp import command, header

ROOT = Path(__file__).resolve().parents[1]


def measure(profile: str) -> dict:
    with tempfile.TemporaryDirectory() as reports:
        argv = [sys.executable, "-m", "cbconform.cli", "run", "--profile", profile]
        argv += ["--report-dir", reports, "--progress", "quiet"]
        shown = command([a if a != reports else "DIR" for a in argv])
        started = time.perf_counter()
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - started
        run = json.loads((Path(reports) / "results.json").read_text(encoding="utf-8"))["run"]
    return {"profile": profile, "exit": proc.returncode, "wall_s": wall, "in_pytest_s": run["duration_s"],
            "requests": run["requests"], "seed": run["seed"], "command": shown}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per profile; the median is printed")
    parser.add_argument("profiles", nargs="*", default=["ci", "dev"])
    args = parser.parse_args()
    header("embedded run: wall time and requests per profile")
    runs = {p: [] for p in args.profiles}
    for _ in range(max(1, args.repeat)):
        for profile in args.profiles:  # interleaved, so a busy moment spreads over every profile
            runs[profile].append(measure(profile))
    print(f"{'profile':8} {'exit':>4} {'wall s':>8} {'pytest s':>9} {'requests':>9}", end="")
    print(f" {'req/s wall':>11} {'seed':>11}")
    for profile, ms in runs.items():
        wall = statistics.median(m["wall_s"] for m in ms)
        m = ms[0]
        seed = m["seed"] if m["seed"] is not None else "derandom"
        print(
            f"{profile:8} {m['exit']:>4} {wall:>8.1f} {statistics.median(x['in_pytest_s'] for x in ms):>9.1f}"
            f" {m['requests']:>9} {m['requests'] / wall:>11.1f} {seed:>11}"
        )
    for profile, ms in runs.items():
        print(f"# {profile}: $ {ms[0]['command']}")


if __name__ == "__main__":
    main()
