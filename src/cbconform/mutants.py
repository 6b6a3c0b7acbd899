"""`cbconform mutants`: the kill matrix. The suites run against the clean embedded server and against
each named fault of the fault catalogue; a fault is killed when the rule it was written against fails.
Beside it, the generic tool: `schemathesis run` with its default checks against the same faults.

A fault's run selects only the tests that cite its rule and stops at the first failure: that is what
"this rule's checks catch this fault" means, and it keeps the matrix within minutes on two cores.
Loaded with `-p cbconform.mutants`, this module is also the pytest plugin that does the selecting."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cbconform import paths

ONLY_RULE = "CBCONFORM_ONLY_RULE"
SKIP_SLOW = "CBCONFORM_SKIP_SCHEMATHESIS"
SLOW_MODULE = "test_schemathesis.py"  # its coverage phase generates at collection: seconds per run
CLEAN = "(clean)"
KEY = "test_conformance_key"


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    rule = os.environ.get(ONLY_RULE)
    if not rule:
        return
    kept = [i for i in items if rule in {r for m in i.iter_markers("rule") for r in m.args}]
    config.hook.pytest_deselected(items=[i for i in items if i not in kept])
    items[:] = kept


def pytest_ignore_collect(collection_path: Path, config: Any) -> bool | None:
    return True if os.environ.get(SKIP_SLOW) and collection_path.name == SLOW_MODULE else None


def pytest_sessionstart(session: Any) -> None:
    _SESSION[:] = [session]


def pytest_runtest_logreport(report: Any) -> None:
    """Stops the run once the selected rule has failed: the fault is caught, the rest would be shrinking."""
    rule = os.environ.get(ONLY_RULE)
    if rule and report.failed and f"[{rule}]" in report.longreprtext and _SESSION:
        _SESSION[0].shouldstop = f"{rule} failed: the fault is caught"


_SESSION: list[Any] = []


@dataclass
class Row:
    fault: str
    rule: str
    description: str
    caught_by: list[str] = field(default_factory=list)
    killed: bool = False
    seconds: float = 0.0
    tests_run: int = 0
    schemathesis: str | None = None  # "killed" | "survived" | None when not compared
    errors: list[str] = field(default_factory=list)


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


def main(args: argparse.Namespace) -> int:
    from cbconform.server import faults

    catalogue = faults.catalogue()
    unknown = faults.unknown(args.fault)
    if unknown:
        print(
            f"cbconform mutants: unknown fault(s) {', '.join(unknown)}; see `cbconform serve --list-faults`."
        )
        return 2
    chosen = [catalogue[n] for n in (args.fault or catalogue)]
    out = Path(args.report_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        clean = pool.submit(_suite, None, None)
        rows = list(pool.map(_row, chosen))
        clean_row = clean.result()
        peer_clean = None if args.no_peer else _peer_baseline(args.peer_examples)
        if peer_clean is not None:
            list(pool.map(lambda r: _peer(r, args.peer_examples, peer_clean), rows))
    matrix = _matrix(rows, clean_row, peer_clean, time.monotonic() - started)
    (out / "mutants.json").write_text(json.dumps(matrix, indent=2) + "\n", encoding="utf-8")
    (out / "mutants.html").write_text(render(matrix), encoding="utf-8")
    _print(matrix, out)
    return 0 if matrix["survivors"] == [] and matrix["clean"]["passed"] else 1


def _row(fault: Any) -> Row:
    row = Row(fault.name, fault.rule, fault.description)
    result = _suite(fault.name, fault.rule, skip_slow=True)
    if fault.rule not in result["failed_rules"]:
        result = _suite(fault.name, fault.rule)
    row.caught_by, row.seconds, row.tests_run, row.errors = (
        result["failed_rules"],
        result["seconds"],
        result["tests"],
        result["errors"],
    )
    row.killed = fault.rule in row.caught_by
    return row


def _suite(fault: str | None, rule: str | None, skip_slow: bool = False) -> dict[str, Any]:
    """One pytest run of the suites against the embedded server, with this fault, limited to this rule."""
    with tempfile.TemporaryDirectory(prefix="cbmutant-") as tmp:
        argv = [sys.executable, "-m", "pytest", str(paths.suites_dir()), "-p", "cbconform.plugin",
                "-p", "cbconform.mutants", "-p", "no:cacheprovider", "-q", "--profile=ci",
                f"--report-dir={tmp}", f"--rootdir={paths.suites_dir()}"]  # fmt: skip
        if fault:
            argv += [f"--embedded-fault={fault}"]
        env = os.environ | {ONLY_RULE: rule or "", SKIP_SLOW: "1" if skip_slow else ""}
        env.pop("CHARGEBEE_API_KEY", None)
        started = time.monotonic()
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        seconds = round(time.monotonic() - started, 1)
        try:
            results = json.loads((Path(tmp) / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
            return {"failed_rules": [], "seconds": seconds, "tests": 0, "errors": tail, "passed": False}
    failed = sorted(r["id"] for r in results["rules"] if r["outcome"] == "fail")
    return {
        "failed_rules": failed,
        "seconds": seconds,
        "tests": len(results["tests"]),
        "errors": [e["message"] for e in results["errors"]][:3],
        "passed": results["summary"]["verdict"] == "pass",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(fault: str | None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    argv = [sys.executable, "-m", "cbconform.cli", "serve", "--port", str(port)]
    argv += ["--fault", fault] if fault else []
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"http://127.0.0.1:{port}/api/v2"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"the reference server with fault {fault} did not start")


def _schemathesis(fault: str | None, examples: int) -> set[str]:
    """The failures `schemathesis run` reports (check names and operations), defaults only."""
    proc, url = _serve(fault)
    try:
        with tempfile.TemporaryDirectory(prefix="cbpeer-") as tmp:
            spec = Path(tmp) / "openapi.json"
            from cbconform import contracts, openapi

            spec.write_text(json.dumps(openapi.build(contracts.load())), encoding="utf-8")
            argv = [sys.executable, "-m", "schemathesis.cli", "run", str(spec), "--url", url,
                    "--auth", f"{KEY}:", "--max-examples", str(examples), "--seed", "1",
                    "--report", "junit", "--report-dir", tmp, "--no-color"]  # fmt: skip
            subprocess.run(argv, capture_output=True, text=True, check=False, timeout=600, cwd=tmp)
            return _junit_failures(next(Path(tmp).glob("junit*.xml"), Path(tmp) / "junit.xml"))
    finally:
        proc.terminate()
        proc.wait(10)


def _junit_failures(path: Path) -> set[str]:
    import xml.etree.ElementTree as ET

    if not path.exists():
        return {"(no report)"}
    found = set()
    for case in ET.parse(path).iter("testcase"):
        for failure in list(case.iter("failure")) + list(case.iter("error")):
            first = (failure.get("message") or failure.text or "").strip().splitlines()[:1]
            found.add(f"{case.get('name')}: {first[0] if first else failure.tag}")
    return found


def _peer_baseline(examples: int) -> set[str] | None:
    try:
        return _schemathesis(None, examples)
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as error:
        print(f"cbconform mutants: the schemathesis comparison was skipped: {error}")
        return None


def _peer(row: Row, examples: int, baseline: set[str]) -> None:
    try:
        new = _schemathesis(row.fault, examples) - baseline
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as error:
        row.errors.append(f"schemathesis: {error}")
        return
    row.schemathesis = "killed" if new else "survived"


def _matrix(rows: list[Row], clean: dict[str, Any], peer_clean: set[str] | None, seconds: float) -> dict:
    killed = [r for r in rows if r.killed]
    peer = [r for r in rows if r.schemathesis == "killed"]
    return {
        "clean": clean,
        "faults": [asdict(r) for r in rows],
        "score": _score(len(killed), len(rows)),
        "survivors": [r.fault for r in rows if not r.killed],
        "peer": None
        if peer_clean is None
        else {
            "tool": "schemathesis run (default checks)",
            "score": _score(len(peer), len(rows)),
            "baseline_failures": sorted(peer_clean),
        },
        "seconds": round(seconds, 1),
    }


def _score(killed: int, total: int) -> dict[str, Any]:
    return {"killed": killed, "total": total, "percent": round(100 * killed / total, 1) if total else 0.0}


def _print(matrix: dict[str, Any], out: Path) -> None:
    for r in matrix["faults"]:
        mark = "killed  " if r["killed"] else "SURVIVED"
        peer = f"  schemathesis: {r['schemathesis']}" if r["schemathesis"] else ""
        print(
            f"{mark} {r['fault']:<34} {r['rule']:<36} {r['seconds']:>5}s"
            f"  by {', '.join(r['caught_by']) or '-'}{peer}"
        )
    clean = matrix["clean"]
    print(
        f"clean server: {'pass' if clean['passed'] else 'FAIL'} ({clean['tests']} tests, {clean['seconds']}s)"
    )
    s = matrix["score"]
    print(f"mutation score: {s['killed']}/{s['total']} ({s['percent']}%) in {matrix['seconds']}s")
    if matrix["peer"]:
        p = matrix["peer"]["score"]
        print(f"schemathesis run, default checks: {p['killed']}/{p['total']} ({p['percent']}%)")
    print(f"matrix: {out / 'mutants.html'}  {out / 'mutants.json'}")


def render(matrix: dict[str, Any]) -> str:
    import jinja2

    from cbconform.report.html import TEMPLATES

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True)
    return env.get_template("mutants.html.j2").render(m=matrix)
