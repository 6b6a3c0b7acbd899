"""benchmarks/replay_matrix.py on a handful of faults, one of each kind of story: a stateful update,
an event-log rule (admin reads), a rate-limit rule (an admin setting), an idempotency rule and a header
rule. Each fault's failures replay from the run's results as STILL FAILING on the reference server
served with the fault and FIXED on the one served without it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "replay_matrix.py"
FAULTS = {
    "terminal-update-allowed": "UPD-ONLY-FROM-IN-PROGRESS",
    "event-email-ignored": "HDR-EVENT-EMAIL-SKIPS",
    "no-retry-after": "RATE-RETRY-AFTER",
    "idempotency-conflict-ignored": "IDEM-CONFLICT-422",
    "origin-ip-any-value": "HDR-ORIGIN-IP-FORMAT",
}


def test_every_failure_still_fails_on_the_faulty_server_and_is_fixed_on_the_clean_one():
    argv = [sys.executable, str(SCRIPT), "--jobs", "2"]
    for fault in FAULTS:
        argv += ["--fault", fault]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    rows = {
        line.split()[0]: line
        for line in result.stdout.splitlines()
        if line.split()[:1] in [[f] for f in FAULTS]
    }
    assert set(rows) == set(FAULTS), result.stdout + result.stderr
    for fault, rule in FAULTS.items():
        fields = rows[fault].split()
        assert fields[1:3] == [rule, "ok"], rows[fault]
        assert " STILL FAILING" in rows[fault] and rows[fault].endswith("-> FIXED"), rows[fault]
    assert f"{len(FAULTS)}/{len(FAULTS)} faults: " in result.stdout
