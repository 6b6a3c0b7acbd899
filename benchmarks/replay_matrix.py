"""Every kill-matrix failure replayed: for each fault of the catalogue, the suites' run against the
embedded server with that fault (limited to the fault's rule, as `cbconform mutants` runs it), then each
failure of that rule replayed from the run's results against the reference server served with the
fault (wanted: STILL FAILING) and without it (wanted: FIXED). Prints a table; asserts nothing.

    python benchmarks/replay_matrix.py [--jobs N] [--fault NAME ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from stamp import header

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from cbconform.mutants import replays
from cbconform.server import faults

WIDTH = 70


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fault", action="append", default=[], metavar="NAME", help="only these faults")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="parallel runs")
    args = parser.parse_args()
    unknown = faults.unknown(args.fault)
    if unknown:
        print(f"unknown fault(s) {', '.join(unknown)}; see `cbconform serve --list-faults`.")
        return
    names = args.fault or list(faults.catalogue())
    header("replay matrix: every kill-matrix failure replayed against the faulty and the clean served server")
    started = time.monotonic()
    rows = replays.matrix(
        names, args.jobs, on_row=lambda row: print(".", end="", file=sys.stderr, flush=True)
    )
    wall = time.monotonic() - started
    print(f"{'fault':38} {'rule':36} faulty -> clean")
    good = 0
    for row in rows:
        if "error" in row:
            print(f"{row['fault']:38} {row['rule']:36} NOT RUN: {row['error'][:WIDTH]}")
            continue
        faulty_ok, faulty = replays.summary(row["faulty"], replays.STILL)
        clean_ok, clean = replays.summary(row["clean"], replays.FIXED)
        good += faulty_ok and clean_ok
        mark = "ok" if faulty_ok and clean_ok else "!!"
        print(f"{row['fault']:38} {row['rule']:36} {mark} {_short(faulty)} -> {_short(clean)}")
    replayed = sum(row.get("failures", 0) for row in rows)
    print(f"\n{good}/{len(rows)} faults: every failure of the fault's rule ({replayed} in all) STILL FAILING")
    print("on the reference server served with the fault and FIXED on the one served without it;")
    print(f"wall {wall:.1f} s with {args.jobs} jobs")


def _short(verdict: str) -> str:
    return verdict[:WIDTH]


if __name__ == "__main__":
    main()
