"""Wall time of `cbconform run` against the embedded reference server, several hypothesis profiles compared
in one run (same machine, same moment), with the requests each run sent (run.requests of results.json)
and the CPU time it used. Prints figures; asserts nothing. Each figure is the median of --repeat runs.

`--against PYTHON` also times another checkout's interpreter (e.g. main's .venv/bin/python), its runs
interleaved with this one's, and prints the ratio: on a shared machine only a ratio measured in the same
sitting means much. A profile written `ci/1` runs with `--workers 1` (one process, no forked sibling),
`ci/2` with `--workers 2` (pytest-xdist); `procs` is run.processes, the processes that ran tests.

    python benchmarks/suite_walltime.py [--repeat N] [--against PYTHON] [PROFILE[/WORKERS] ...]
    # default: ci ci/1 dev
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stamp import command, header

ROOT = Path(__file__).resolve().parents[1]


def measure(python: str, variant: str) -> dict:
    profile, _, workers = variant.partition("/")
    with tempfile.TemporaryDirectory() as reports:
        argv = [python, "-m", "cbconform.cli", "run", "--profile", profile]
        argv += ["--workers", workers] if workers else []
        argv += ["--report-dir", reports, "--progress", "quiet"]
        shown = command([a if a != reports else "DIR" for a in argv])
        before = os.times()
        started = time.perf_counter()
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - started
        after = os.times()
        run = json.loads((Path(reports) / "results.json").read_text(encoding="utf-8"))["run"]
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return {"profile": variant, "exit": proc.returncode, "wall_s": wall, "cpu_s": cpu,
            "in_pytest_s": run["duration_s"], "requests": run["requests"], "seed": run["seed"],
            "processes": run.get("processes", 1), "command": shown}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per profile; the median is printed")
    parser.add_argument("--against", metavar="PYTHON", help="another checkout's interpreter, for a ratio")
    parser.add_argument("profiles", nargs="*", default=["ci", "ci/1", "dev"])
    args = parser.parse_args()
    header("embedded run: wall time and requests per profile")
    pythons = {"this": sys.executable} | ({"against": args.against} if args.against else {})
    runs = {(who, p): [] for who in pythons for p in args.profiles}
    for _ in range(max(1, args.repeat)):
        for profile in args.profiles:  # interleaved, so a busy moment spreads over every run
            for who, python in pythons.items():
                runs[who, profile].append(measure(python, profile))
    print(f"{'checkout':8} {'profile':8} {'procs':>5} {'exit':>4} {'wall s':>7} {'cpu s':>6}", end="")
    print(f" {'pytest s':>9} {'requests':>9} {'req/s wall':>11} {'seed':>9}")
    walls = {}
    for (who, profile), ms in runs.items():
        walls[who, profile] = wall = statistics.median(m["wall_s"] for m in ms)
        m, cpu = ms[0], statistics.median(x["cpu_s"] for x in ms)
        seed = m["seed"] if m["seed"] is not None else "derandom"
        print(
            f"{who:8} {profile:8} {m['processes']:>5} {m['exit']:>4} {wall:>7.1f} {cpu:>6.1f}"
            f" {statistics.median(x['in_pytest_s'] for x in ms):>9.1f} {m['requests']:>9}"
            f" {m['requests'] / wall:>11.1f} {seed:>9}"
        )
    for profile in args.profiles if args.against else ():
        ratio = walls["this", profile] / walls["against", profile]
        print(f"# {profile}: this / against = {ratio:.2f} (wall)")
    for (who, profile), ms in runs.items():
        print(f"# {who} {profile}: $ {ms[0]['command']}  (median of {len(ms)})")


if __name__ == "__main__":
    main()
