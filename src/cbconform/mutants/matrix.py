"""The kill matrix as data, as terminal lines and as the self-contained mutants.html page."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


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
    peer_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def build(rows: list[Row], clean: dict[str, Any], peer: dict[str, Any] | None, seconds: float) -> dict:
    killed = [r for r in rows if r.killed]
    return {
        "clean": clean,
        "faults": [asdict(r) for r in rows],
        "score": score(len(killed), len(rows)),
        "survivors": [r.fault for r in rows if not r.killed],
        "peer": None
        if peer is None
        else {
            "tool": "schemathesis run (default checks)",
            "score": score(sum(r.schemathesis == "killed" for r in rows), len(rows)),
            "baseline_failures": peer["baseline"],
            "max_examples": peer["examples"],
        },
        "seconds": round(seconds, 1),
        "rules": len({r.rule for r in rows}),
    }


def score(killed: int, total: int) -> dict[str, Any]:
    return {"killed": killed, "total": total, "percent": round(100 * killed / total, 1) if total else 0.0}


def lines(matrix: dict[str, Any], out: Path) -> list[str]:
    rows = []
    for r in matrix["faults"]:
        mark = "killed  " if r["killed"] else "SURVIVED"
        peer = f"  schemathesis: {r['schemathesis']}" if r["schemathesis"] else ""
        rows.append(
            f"{mark} {r['fault']:<38} {r['rule']:<40} {r['seconds']:>5}s"
            f"  by {', '.join(r['caught_by']) or '-'}{peer}"
        )
    clean, s = matrix["clean"], matrix["score"]
    rows.append(
        f"clean server: {'pass' if clean['passed'] else 'FAIL'} ({clean['tests']} tests, {clean['seconds']}s)"
    )
    rows.append(
        f"mutation score: {s['killed']}/{s['total']} faults over {matrix['rules']} rules"
        f" ({s['percent']}%) in {matrix['seconds']}s"
    )
    if matrix["peer"]:
        p = matrix["peer"]["score"]
        rows.append(f"schemathesis run, default checks: {p['killed']}/{p['total']} ({p['percent']}%)")
    rows.append(f"matrix: {out / 'mutants.html'}  {out / 'mutants.json'}")
    return rows


def render(matrix: dict[str, Any]) -> str:
    import jinja2

    from cbconform.report.html import TEMPLATES, bytecode_cache

    loader = jinja2.FileSystemLoader(TEMPLATES)
    cache = bytecode_cache()
    env = jinja2.Environment(loader=loader, bytecode_cache=cache, autoescape=True, trim_blocks=True)
    return env.get_template("mutants.html.j2").render(m=matrix)
