"""Requests a full run sends to a target it reaches over the network: `cbconform run --target URL` against
`cbconform serve --admin` on loopback (unthrottled there), per profile. Prints the requests, the writes
the sandbox plan says the run leaves, the gating rules not examined, the wall time, and how long those
requests take at a remote host's documented 150 a minute. Asserts nothing.

    python benchmarks/remote_requests.py [PROFILE ...]     # default: sandbox ci
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from server_throughput import serve, stop
from stamp import command, header

ROOT = Path(__file__).resolve().parents[1]
REMOTE_PER_MINUTE = 150
PLAN = re.compile(r"cbconform plan \(sandbox\): (\d+) requests, leaving (\d+) writes")


def measure(url: str, profile: str) -> dict:
    with tempfile.TemporaryDirectory() as reports:
        argv = [sys.executable, "-m", "cbconform.cli", "run", "--target", url, "--profile", profile]
        argv += ["--report-dir", reports, "--progress", "quiet"]
        started = time.perf_counter()
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - started
        path = Path(reports) / "results.json"
        results = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
        shown = command([a if a != reports else "DIR" for a in argv])
    if results is None:
        return {"command": shown, "exit": proc.returncode, "wall_s": wall, "requests": None}
    plan = PLAN.search(proc.stdout + proc.stderr)
    return {"command": shown, "exit": proc.returncode, "wall_s": wall, "requests": results["run"]["requests"],
            "verdict": results["summary"]["verdict"], "plan": plan.groups() if plan else None,
            "not_examined": len(results["summary"]["not_examined"])}  # fmt: skip


def main(profiles: list[str]) -> None:
    header("requests a full run sends to a served target")
    process, url = serve(["--admin"])
    try:
        for profile in profiles:
            m = measure(url, profile)
            print(f"$ {m['command']}")
            if m["requests"] is None:
                print(f"  exit {m['exit']}: no results.json")
                continue
            minutes = m["requests"] / REMOTE_PER_MINUTE
            print(
                f"  {profile}: {m['requests']} requests, verdict {m['verdict']}, exit {m['exit']},"
                f" {m['not_examined']} gating rules not examined, {m['wall_s']:.1f} s on loopback;"
                f" {minutes:.1f} min at {REMOTE_PER_MINUTE}/min"
            )
            if m["plan"]:
                print(f"    plan printed first: {m['plan'][0]} requests, {m['plan'][1]} writes left")
    finally:
        stop(process)


if __name__ == "__main__":
    main(sys.argv[1:] or ["sandbox", "ci"])
