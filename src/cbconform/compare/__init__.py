"""`cbconform compare A B`: the same request plan, in the same order with the same seed, sent to two
targets; reports per rule where the outcomes differ and per operation where the answers' shapes differ.

Exit codes: 0 the two behave alike under the rules (shape differences are reported, not judged),
1 a rule passes on one and fails on, or was not exercised by, the other, 2 usage error,
3 a target cannot be reached or refuses the key."""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Any

from cbconform import contracts as contracts_module
from cbconform.target import TargetError

ALIKE, DIFFER, USAGE, UNREACHABLE = 0, 1, 2, 3
SPEC_HELP = "URL, site:NAME, embedded, or embedded:fault=NAME[,reading=AMB-ID=NAME]"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", metavar="A", help=f"the first target: {SPEC_HELP}")
    parser.add_argument(
        "b", metavar="B", help="the second target, the same way ($CHARGEBEE_API_KEY_B: its key)"
    )
    parser.add_argument("--seed", type=int, help="seed of the generated values (default: random, printed)")
    parser.add_argument("--report-dir", default="reports", metavar="DIR", help="write compare.json and .html")
    parser.add_argument("--allow-live-site", action="store_true", help="allow a site:NAME without -test")


def main(args: argparse.Namespace) -> int:
    from cbconform.compare import targets

    try:
        pair = [
            targets.parse(args.a, "A", args.allow_live_site),
            targets.parse(args.b, "B", args.allow_live_site),
        ]
        for target in pair:
            contracts_module.load(target.readings)
    except (TargetError, contracts_module.ContractError) as error:
        print(f"cbconform compare: {error}", file=sys.stderr)
        return USAGE
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    try:
        model = compare(pair, seed)
    except targets.Unreachable as error:
        print(f"cbconform compare: {error}", file=sys.stderr)
        return UNREACHABLE
    except TargetError as error:
        print(f"cbconform compare: {error}", file=sys.stderr)
        return USAGE
    except Exception as error:  # one sentence, never a traceback
        print(f"cbconform compare: the harness failed ({type(error).__name__}: {error}).", file=sys.stderr)
        return USAGE
    for line in summary(model):
        print(line)
    try:
        from cbconform.compare import write

        paths = write.write_all(model, Path(args.report_dir))
        print(f"  reports: {', '.join(str(p) for p in paths)}")
    except OSError as error:
        print(f"cbconform compare: cannot write the reports: {error.strerror}.", file=sys.stderr)
        return USAGE
    return DIFFER if model["rules"] else ALIKE


def compare(pair: list, seed: int) -> dict[str, Any]:
    """Both runs and their differences, as the model compare.json holds."""
    from cbconform.compare import targets

    apis = []
    try:
        for target, name in zip(pair, "AB", strict=True):
            apis.append(targets.connect(target, name))
    except targets.Unreachable:
        for api in apis:
            api.close()
        raise
    runs = [targets.run_plan(api, name, seed) for api, name in zip(apis, "AB", strict=True)]
    return model_of(pair, runs, seed)


def model_of(pair: list, runs: list, seed: int) -> dict[str, Any]:
    from cbconform.compare import diff, targets

    enums = diff.enum_keys(contracts_module.load(pair[0].readings))
    shapes = [diff.shapes(run, enums) for run in runs]
    rules = diff.rules(*runs)
    return {
        "kind": "cbconform-compare",
        "schema_version": 1,
        "seed": seed,
        "verdict": "differ" if rules else "alike",
        "targets": {
            name: {
                "describe": targets.describe(t),
                "kind": "embedded" if t.embedded else "remote",
                "grow_url": t.grow_url,
                "core_url": t.core_url,
                "faults": sorted(t.faults),
                "readings": dict(t.readings),
                "requests": len(run.steps),
            }
            for name, t, run in zip("AB", pair, runs, strict=True)
        },
        "rules": rules,
        "operations": diff.operations(*shapes),
        "ignored": diff.IGNORED,
        "steps": _side_by_side(*runs),
    }


def _side_by_side(a, b) -> list[dict[str, Any]]:
    def cell(step) -> dict[str, Any] | None:
        if step is None:
            return None
        return {
            "status": step.exchange.status,
            "failures": [{"rule": f.rule_id, "received": f.received} for f in step.failures],
            "request": step.exchange.summary(),
        }

    rows, by_label = [], {s.label: s for s in b.steps}
    for step in a.steps:
        rows.append(
            {
                "label": step.label,
                "operation": step.operation,
                "a": cell(step),
                "b": cell(by_label.get(step.label)),
            }
        )
    seen = {s.label for s in a.steps}
    rows += [
        {"label": s.label, "operation": s.operation, "a": None, "b": cell(s)}
        for s in b.steps
        if s.label not in seen
    ]
    for row in rows:
        row["differs"] = _signature(row["a"]) != _signature(row["b"])
    return rows


def _signature(cell: dict[str, Any] | None) -> Any:
    return None if cell is None else (cell["status"], sorted(f["rule"] for f in cell["failures"]))


def summary(model: dict[str, Any]) -> list[str]:
    a, b = model["targets"]["A"], model["targets"]["B"]
    lines = [
        f"A: {a['describe']} ({a['requests']} requests)",
        f"B: {b['describe']} ({b['requests']} requests)",
    ]
    lines.append(f"seed: {model['seed']}")
    for r in model["rules"]:
        shown = r["b_shows"] or r["a_shows"]
        detail = f" ({shown['step']}: {shown['received']})" if shown else ""
        lines.append(f"  {r['rule']}: {r['a']} on A, {r['b']} on B{detail}")
    for op, found in model["operations"].items():
        lines.append(f"  {op}: {len(found)} shape difference(s), first: {found[0]}")
    verdict = "DIFFER" if model["rules"] else "ALIKE"
    lines.append(
        f"compare: {verdict} ({len(model['rules'])} rule(s) with other outcomes,"
        f" {len(model['operations'])} operation(s) with other shapes)"
    )
    lines.append("  not compared: " + "; ".join(model["ignored"]))
    return lines
