"""`cbconform run` against the hostile target, one run per case, all started at once (each run spends
most of its time starting up, so they overlap well even on two cores)."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk_test_HOSTILE_a1b2c3d4"
RUN_LIMIT_S = 150  # a run that takes longer is killed and fails its test
QUICK = "fetch_known_customer or json_body_accepted or without_offers"
DEADLINES = "[target]\nrequest_deadline = {}\nrun_deadline = {}\n"


def key_forms(key: str = KEY) -> list[str]:
    """Every spelling of the key that must not appear in any output."""
    basic = base64.b64encode(f"{key}:".encode()).decode()
    return [
        key,
        basic,
        base64.b64encode(key.encode()).decode(),
        "".join(f"\\u{ord(c):04x}" for c in key),
        "".join(f"\\u{ord(c):04X}" for c in key),
        "".join(f"%{b:02X}" for b in key.encode()),
        "".join(f"%{b:02x}" for b in key.encode()),
        quote(key, safe="").replace("_", "%5F"),
    ]


@dataclass
class Run:
    case: str
    code: int
    seconds: float
    rss_mb: float
    stdout: str
    stderr: str
    report_dir: Path


class Launched:
    def __init__(self, case: str, url: str, base: Path, selection: str, deadlines: tuple[float, float]):
        self.case, self.dir = case, base / case
        self.dir.mkdir(parents=True)
        config = self.dir / "target.toml"
        config.write_text(DEADLINES.format(*deadlines), encoding="utf-8")
        self.report_dir = self.dir / "reports"
        argv = [sys.executable, "-m", "cbconform.cli", "run", "--target", f"{url}/{case}/api/v2"]
        argv += ["--api-key", KEY, "--target-config", str(config), "--report-dir", str(self.report_dir)]
        argv += ["--progress", "lines", "--", "-k", selection, "--ignore-glob=*test_schemathesis.py"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("CBCONFORM_")}
        env.pop("CHARGEBEE_API_KEY", None)
        env["PYTHONFAULTHANDLER"] = "1"  # a run killed for taking too long shows where it was
        self.out, self.err = (self.dir / "stdout").open("wb"), (self.dir / "stderr").open("wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self.out, stderr=self.err)
        self.result: Run | None = None

    def wait(self) -> Run:
        """Waits with os.wait4, which gives this child's own peak RSS."""
        if self.result is not None:
            return self.result
        status, usage = None, None
        while status is None:
            pid, status_code, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                status = os.waitstatus_to_exitcode(status_code)
            elif time.monotonic() - self.started > RUN_LIMIT_S:
                self.proc.send_signal(signal.SIGABRT)
            else:
                time.sleep(0.1)
        self.proc.returncode = status
        seconds = time.monotonic() - self.started
        self.out.close()
        self.err.close()
        self.result = Run(
            self.case,
            status,
            seconds,
            usage.ru_maxrss / 1024,
            (self.dir / "stdout").read_text("utf-8", "replace"),
            (self.dir / "stderr").read_text("utf-8", "replace"),
            self.report_dir,
        )
        return self.result


CASES = {  # case (tests/hostile/hostile_server.py): the tests run against it, request and run deadlines (s)
    "mixed": ("personalized_offers and not generated and not multi_brand", (2, 20)),
    "oversized": (QUICK, (2, 20)),
    "stalling": (QUICK, (2, 5)),  # the run deadline passes during the third test
}
