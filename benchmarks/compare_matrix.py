"""`cbconform compare` against every fault of the catalogue: the clean embedded reference server compared
with itself (wanted: alike) and with the server holding each fault (wanted: differ, naming the fault's
rule), with the same seed. Prints the figure and the faults not told apart; asserts nothing.

    python benchmarks/compare_matrix.py [--jobs N] [--fault NAME ...]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import sys
import time
from pathlib import Path

from stamp import header

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from cbconform.compare import model_of, targets
from cbconform.server import faults

SEED = 1


def run(spec: str, name: str):
    target = targets.parse(spec, name)
    return target, targets.run_plan(targets.connect(target, name), name, SEED)


CLEAN: list = []  # the clean run, made once in the parent before the workers fork


def versus(fault: str) -> tuple[str, str, str, list[str], list[str]]:
    rule = faults.catalogue()[fault].rule
    try:
        clean, faulty = CLEAN[0], run(f"embedded:fault={fault}", "B")
    except Exception as error:  # compare would exit 3 (a target refusing the key) or 2
        return fault, f"no comparison ({error})", rule, [], []
    model = model_of([clean[0], faulty[0]], [clean[1], faulty[1]], SEED)
    shown = sorted({s.operation for s in faulty[1].steps if rule in {f.rule_id for f in s.failures}})
    return fault, model["verdict"], rule, [r["rule"] for r in model["rules"]], shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fault", action="append", default=[], metavar="NAME")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    names = args.fault or list(faults.catalogue())
    logging.disable(logging.CRITICAL)  # the faulty servers' own logs of the crashes they were built for
    header("compare matrix: the clean reference server against itself and against each fault")
    started = time.monotonic()
    CLEAN.append(run("embedded", "A"))
    again = run("embedded", "B")
    alike = model_of([CLEAN[0][0], again[0]], [CLEAN[0][1], again[1]], SEED)
    print(f"clean vs clean: {alike['verdict']}")
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        rows = pool.map(versus, names)
    told, operations = [], set()
    for fault, verdict, rule, rules, shown in rows:
        if verdict == "differ" and rule in rules:
            told.append(fault)
            operations |= set(shown)
        else:
            print(f"  not told apart by its rule: {fault} ({rule}): {verdict}, {', '.join(rules) or '-'}")
    print(f"\n{len(told)}/{len(rows)} faults: compare exits 1 naming the fault's rule")
    print(f"operations where their rules failed: {', '.join(sorted(operations))}")
    print(f"wall {time.monotonic() - started:.1f} s with {args.jobs} jobs")


if __name__ == "__main__":
    main()
