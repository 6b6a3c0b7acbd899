"""Wall time of the kill matrix, `cbconform mutants --no-peer` (every fault of the reference server's
catalogue against the suites, each killed by its own rule, the clean server passing), with its score
and the slowest faults. Prints figures; asserts nothing. Extra arguments go to `cbconform mutants`.

    python benchmarks/kill_matrix.py [--jobs N] [--fault NAME ...]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stamp import command, header

ROOT = Path(__file__).resolve().parents[1]
SLOWEST = 8


def main(extra: list[str]) -> None:
    header("kill matrix: wall time and score")
    with tempfile.TemporaryDirectory() as reports:
        argv = [sys.executable, "-m", "cbconform.cli", "mutants", "--no-peer", "--report-dir", reports]
        argv += extra
        started = time.perf_counter()
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - started
        path = Path(reports) / "mutants.json"
        if not path.exists():
            print(f"no matrix (exit {proc.returncode}): {proc.stdout.strip()[-300:]}")
            return
        m = json.loads(path.read_text(encoding="utf-8"))
    s, clean = m["score"], m["clean"]
    print(f"$ {command([a if a != reports else 'DIR' for a in argv])}")
    print(f"exit {proc.returncode}; wall {wall:.1f} s (matrix's own figure {m['seconds']} s)")
    survivors = ", ".join(m["survivors"]) or "none"
    print(f"killed {s['killed']}/{s['total']} by their own rules; survivors: {survivors}")
    verdict = "pass" if clean["passed"] else "FAIL"
    print(f"clean server: {verdict}, {clean['tests']} tests, {clean['seconds']} s")
    print(f"fault runs: {sum(r['seconds'] for r in m['faults']):.1f} s summed over {len(m['faults'])} faults")
    for r in sorted(m["faults"], key=lambda r: -r["seconds"])[:SLOWEST]:
        print(f"  {r['seconds']:>5.1f} s  {r['fault']:<40} {r['tests_run']:>4} tests")


if __name__ == "__main__":
    main(sys.argv[1:])
