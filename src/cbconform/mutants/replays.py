"""Every kill-matrix failure replayed: a fault's run (the kill matrix's, in a forked child, keeping its
results model), then each failure of the fault's rule played with `cbconform replay`'s logic against
the reference server served on loopback with that fault (expected: STILL FAILING) and without it
(expected: FIXED). Used by benchmarks/replay_matrix.py and tests/compare/test_replay_matrix.py."""

from __future__ import annotations

import queue
from typing import Any

from cbconform.mutants import workers

STILL, FIXED, CANNOT = "STILL FAILING", "FIXED", "CANNOT REPLAY"


def matrix(names: list[str], jobs: int, on_row: Any = None) -> list[dict[str, Any]]:
    """One row per fault: its rule, the verdicts against the faulty and the clean served server."""
    from cbconform.server import faults

    workers.preload()
    rules = {name: faults.catalogue()[name].rule for name in names}
    done: queue.Queue = queue.Queue()
    pending = 0
    rows: dict[str, dict[str, Any]] = {}

    def submit(name: str, skip_slow: bool) -> None:
        nonlocal pending
        pending += 1
        lost = {"fault": name, "rule": rules[name]}
        pool.apply_async(
            row, (name, rules[name], skip_slow), callback=done.put,
            error_callback=lambda e: done.put(lost | {"error": f"the worker died: {e}"}),
        )  # fmt: skip

    with workers.pool(jobs) as pool:
        for name in names:
            submit(name, True)
        while pending:
            result = done.get()
            pending -= 1
            if result.get("retry"):  # the rule did not fail without the slow module: as the kill matrix does
                submit(result["fault"], False)
                continue
            rows[result["fault"]] = result
            if on_row:
                on_row(result)
    return [rows[name] for name in names]


def row(fault: str, rule: str, skip_slow: bool) -> dict[str, Any]:
    """The child's task: the fault's run, then its failures replayed against both served servers."""
    run = workers.run(("suite", fault, rule, skip_slow, (), True))
    base = {"fault": fault, "rule": rule, "seconds": run["seconds"]}
    results = run.get("results")
    if results is None or rule not in run.get("failed_rules", []):
        if skip_slow and results is not None:
            return base | {"retry": True}
        return base | {"error": "; ".join(run.get("errors") or ["the fault's rule did not fail"])}
    return base | replayed(results, rule)


def replayed(results: dict[str, Any], rule: str) -> dict[str, Any]:
    """The verdicts of the rule's failures against the faulty, then the clean served server."""
    from cbconform import contracts, replay

    target = results["target"]
    readings, faulted = target.get("readings") or {}, frozenset(target.get("faults") or ())
    failures = [f for f in results["failures"] if f["rule_id"] == rule]
    loaded = contracts.load(readings)
    verdicts: dict[str, list[str]] = {}
    for side, fault_set in (("faulty", faulted), ("clean", frozenset())):
        with workers.served(readings, fault_set) as url:
            replayer = replay.Replayer(results, loaded, {"grow": url, "core": url}, workers.KEY)
            verdicts[side] = [replayer.verdict(f)[0].split(" ", 2)[2] for f in failures]
    return {"failures": len(failures)} | verdicts


def summary(verdicts: list[str], wanted: str) -> tuple[bool, str]:
    """Whether every verdict is the wanted one, and the line to show (the first unwanted one, if any)."""
    wrong = [v for v in verdicts if not v.startswith(wanted)]
    return (bool(verdicts) and not wrong), (wrong[0] if wrong else verdicts[0] if verdicts else "no failure")
