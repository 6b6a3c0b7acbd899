"""Wall time of `cbconform run` against the embedded reference server, per hypothesis profile, and the
requests a second it drives (run.requests of reports/results.json). Prints figures; asserts nothing.

    python benchmarks/suite_walltime.py [PROFILE ...]     # default: ci dev
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(profile: str) -> dict:
    with tempfile.TemporaryDirectory() as reports:
        argv = [sys.executable, "-m", "cbconform.cli", "run", "--profile", profile]
        argv += ["--report-dir", reports, "--progress", "quiet"]
        started = time.perf_counter()
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - started
        run = json.loads((Path(reports) / "results.json").read_text(encoding="utf-8"))["run"]
    return {"profile": profile, "exit": proc.returncode, "wall_s": wall, "in_pytest_s": run["duration_s"],
            "requests": run["requests"], "seed": run["seed"]}  # fmt: skip


def main(profiles: list[str]) -> None:
    print(
        f"{'profile':8} {'exit':>4} {'wall s':>8} {'pytest s':>9} {'requests':>9}"
        f" {'req/s wall':>11} {'seed':>11}"
    )
    for profile in profiles:
        m = measure(profile)
        rate = m["requests"] / m["wall_s"]
        print(
            f"{m['profile']:8} {m['exit']:>4} {m['wall_s']:>8.1f} {m['in_pytest_s']:>9.1f} {m['requests']:>9}"
            f" {rate:>11.1f} {m['seed'] if m['seed'] is not None else 'derandom':>11}"
        )


if __name__ == "__main__":
    main(sys.argv[1:] or ["ci", "dev"])
