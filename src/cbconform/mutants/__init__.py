"""`cbconform mutants`: the kill matrix. The suites run against the clean embedded server and against
each named fault of the fault catalogue; a fault is killed when the rule it was written against fails.
Beside it, the generic tool: `schemathesis run` with its default checks against the same faults.

A fault's run selects only the tests that cite its rule and stops once that rule fails (see
`select.py`); runs happen in forked children of a preloaded parent (see `workers.py`)."""

from __future__ import annotations

import argparse
import json
import os
import queue
import time
from pathlib import Path
from typing import Any

from cbconform.mutants import workers
from cbconform.mutants.matrix import Row

CLEAN = ("suite", None, None, False)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fault", action="append", default=[], metavar="NAME", help="only these faults")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 2, help="parallel runs (default: cores)"
    )
    parser.add_argument(
        "--report-dir", default="reports", metavar="DIR", help="mutants.html and .json go here"
    )
    parser.add_argument("--no-peer", action="store_true", help="skip the schemathesis CLI comparison")
    parser.add_argument(
        "--peer-examples", type=int, default=15, help="schemathesis max examples per operation"
    )
    parser.add_argument(
        "--profile", choices=("ci", "sandbox"), default="ci", help="the suites' profile (default: ci)"
    )
    parser.add_argument(
        "--served", action="store_true", help="each faulty server on a loopback port, as a remote target is"
    )


def main(args: argparse.Namespace) -> int:
    from cbconform.mutants import matrix
    from cbconform.server import faults

    unknown = faults.unknown(args.fault)
    if unknown:
        print(
            f"cbconform mutants: unknown fault(s) {', '.join(unknown)}; see `cbconform serve --list-faults`."
        )
        return 2
    chosen = [faults.catalogue()[n] for n in (args.fault or faults.catalogue())]
    rows = {f.name: Row(f.name, f.rule, f.description) for f in chosen}
    scopes = {f.name: _scope(f) for f in chosen}
    peer = None if args.no_peer else {"examples": args.peer_examples, "baselines": {}, "runs": {}}
    started = time.monotonic()
    workers.MODE.update(profile=args.profile, served=args.served)  # read by the forked children
    workers.preload()
    with workers.pool(args.jobs) as pool:
        clean = _run_all(pool, rows, scopes, peer)
    if peer is not None:
        _score_peer(rows, scopes, peer)
    result = matrix.build(list(rows.values()), clean, peer, time.monotonic() - started)
    result["unfaulted"] = faults.unfaulted()
    result["mode"] = dict(workers.MODE)
    out = Path(args.report_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "mutants.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (out / "mutants.html").write_text(matrix.render(result), encoding="utf-8")
    print("\n".join(matrix.lines(result, out)))
    return 0 if result["survivors"] == [] and result["clean"]["passed"] else 1


def _scope(fault: Any) -> tuple[str, ...]:
    """The operations the peer is pointed at: the fault's own, else its rule's; () means all."""
    from cbconform import contracts

    operations = fault.operations or contracts.load().rules[fault.rule].operations
    return () if "*" in operations else tuple(sorted(operations))


def _run_all(pool: Any, rows: dict[str, Row], scopes: dict, peer: dict | None) -> dict[str, Any]:
    """Longest tasks first; a fault whose rule did not fail without the slow module runs again with it."""
    done: queue.Queue = queue.Queue()
    pending = 0

    def submit(task: tuple) -> None:
        nonlocal pending
        pending += 1
        pool.apply_async(
            workers.run, (task,), callback=done.put, error_callback=lambda e: done.put(_lost(task, e))
        )

    submit(CLEAN)
    if peer is not None:
        for scope in sorted(set(scopes.values())):
            submit(("peer", None, scope, peer["examples"]))
    cited = _cited(pool) if rows else None
    for row in rows.values():
        files = _first_pass(row, cited)
        submit(
            ("suite", row.fault, row.rule, False)
            if files is None
            else ("suite", row.fault, row.rule, True, files)
        )
        if peer is not None:
            submit(("peer", row.fault, scopes[row.fault], peer["examples"]))
    clean: dict[str, Any] = {}
    while pending:
        result = done.get()
        pending -= 1
        kind, fault, second, *rest = result["task"]
        if kind == "peer":
            bucket = peer["runs"] if fault else peer["baselines"]
            bucket[fault or second] = result.get("failures")
            if fault:
                rows[fault].peer_seconds = result["seconds"]
        elif fault is None:
            clean = _clean(result)
        elif _record(rows[fault], result) and rest[:1] == [True]:
            submit(("suite", fault, second, False))
    return clean


def _cited(pool: Any) -> dict[str, list[str]] | None:
    """The suite modules citing each rule (one collection, in a child); None when it failed."""
    try:
        return pool.apply(workers.run, (("cited",),)).get("cited")
    except Exception:  # the matrix then collects every module, as it would without the map
        return None


def _first_pass(row: Row, cited: dict[str, list[str]] | None) -> tuple[str, ...] | None:
    """The modules a fault's first run (the schemathesis module aside) collects: those citing its rule;
    () for all of them, when the fault's readings may change what cites what or the map is missing;
    None when no such module cites the rule, so only the run with the schemathesis module can kill it."""
    from cbconform.server import faults

    if cited is None or faults.catalogue()[row.fault].readings:
        return ()
    return tuple(cited[row.rule]) if row.rule in cited else None


def _lost(task: tuple, error: BaseException) -> dict[str, Any]:
    return {"task": task, "seconds": 0.0, "errors": [f"the worker died: {error}"]}


def _record(row: Row, result: dict[str, Any]) -> bool:
    """Records a suite run on its row; True when the fault is still alive."""
    row.caught_by = result.get("failed_rules", [])
    row.seconds = round(row.seconds + result["seconds"], 1)
    row.tests_run = result.get("tests", 0)
    row.errors = result.get("errors", [])
    row.killed = row.rule in row.caught_by
    return not row.killed


def _clean(result: dict[str, Any]) -> dict[str, Any]:
    keys = ("failed_rules", "tests", "errors", "passed", "seconds")
    return {k: result.get(k, [] if k in ("failed_rules", "errors") else 0) for k in keys} | {
        "passed": bool(result.get("passed"))
    }


def _score_peer(rows: dict[str, Row], scopes: dict, peer: dict[str, Any]) -> None:
    """A peer kill is a failure its clean run over the same operations does not show."""
    for name, row in rows.items():
        found, baseline = peer["runs"].get(name), peer["baselines"].get(scopes[name])
        if found is None or baseline is None:
            row.errors.append("schemathesis: the run did not finish")
        else:
            row.schemathesis = "killed" if set(found) - set(baseline) else "survived"
    peer["baseline"] = sorted({f for found in peer["baselines"].values() for f in found or ()})
