"""One conformance run: the resolved settings, the target and its contracts, the evidence the tests
recorded, and the results model written at the end (see docs/ARCHITECTURE.md)."""

from __future__ import annotations

import shlex
import sys
import time
import traceback
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cbconform import connection, model, settings, story
from cbconform import contracts as contracts_module
from cbconform.api import Recorder
from cbconform.outcomes import Classifier, reproduction
from cbconform.report import incomplete_because
from cbconform.results import Evidence
from cbconform.target import TargetError, build


class SessionError(Exception):
    """A wrong option or file: one plain sentence, exit 2 through the runner."""


class Session:
    def __init__(self, values: dict[str, Any], given: dict[str, Any], seed: str | None):
        self.values, self.given, self.seed = values, given, seed
        try:
            target = build(values)
            readings = _fault_readings(target.faults) | dict(target.readings)
            self.contracts = contracts_module.load(readings)
        except (TargetError, ValueError, contracts_module.ContractError) as error:
            raise SessionError(str(error)) from None
        self.target = target
        self.expected = _expected(values.get("expected_failures"), self.contracts)
        self.recorder, self.evidence = Recorder(), Evidence()
        self.exercised = self.evidence.exercised
        self.started = time.time()
        self.api = self.admin = None
        self.fatal: str | None = None
        self.collected: set[str] = set()
        self.lock_dir: str | None = None  # xdist against a shared target: see cbconform.exclusive
        report_dir = values.get("report_dir") or "reports"
        argv = settings.to_argv({k: v for k, v in given.items() if k not in ("api_key", "report_dir")})
        self.classifier = Classifier(
            self.evidence, set(self.contracts.rules), self.expected,
            reproduction(argv, seed, report_dir), self.stop,
        )  # fmt: skip

    @property
    def profile(self) -> str:
        return self.values["profile"]

    @property
    def strict(self) -> bool:
        return bool(self.values.get("strict"))

    def connect(self) -> None:
        if self.api is not None:
            return
        try:
            self.api, self.admin = connection.connect(self.target, self.contracts, self.recorder)
        except connection.Unreachable as error:
            self.fatal = str(error)
            self.stop("the target could not be used (see run.fatal)")
            pytest.exit(self.fatal, returncode=3)

    def stop(self, reason: str) -> None:
        """The run stops early: it can no longer say the target conforms."""
        self.evidence.stop_reason = self.evidence.stop_reason or reason

    def header(self) -> list[str]:
        seed = "derandomized" if self.seed is None else self.seed
        readings = ", ".join(f"{k}={v}" for k, v in self.contracts.readings.items()) or "defaults"
        return [
            f"cbconform target: {self.target.describe()}",
            f"cbconform profile: {self.profile}, seed: {seed}, readings: {readings}",
        ]

    def begin_test(self, item: pytest.Item) -> None:
        self.recorder.current, self.recorder.unanswered = story.Log(), None

    def record(self, item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> None:
        before = len(self.evidence.failures)
        self.classifier.record(item, call, report)
        try:
            story.attach_all(self.target, self.recorder.current, self.evidence.failures[before:])
        except Exception as error:  # a story the harness cannot tell is its error, never a crashed run
            self.evidence.errors.append(
                {"test": item.nodeid, "message": f"the failure's story could not be recorded: {error}",
                 "detail": traceback.format_exc()[-4000:]}
            )  # fmt: skip

    # ------------------------------------------------------------------ the end

    def collect_evidence(self) -> Evidence:
        """Drains what the client recorded into the evidence (idempotent; the controller of an xdist
        run has recorded nothing itself and holds its workers' evidence)."""
        r = self.recorder
        if self.admin is not None:
            self.evidence.features |= self.admin.features
            self.evidence.feature_source = self.admin.source
        self.evidence.merge(
            {"tests": [], "failures": [], "errors": [], "exercised": {}, "requests": r.requests,
             "enum_values": r.enum_values, "boundary_lengths": r.boundary_lengths, "stop_reason": None,
             "processes": 0}
        )  # fmt: skip
        r.requests, r.enum_values, r.boundary_lengths = 0, defaultdict(Counter), {}
        return self.evidence

    def results(self, exitstatus: int) -> dict[str, Any]:
        return model.build(
            contracts=self.contracts,
            evidence=self.collect_evidence(),
            target=self._target_dict(),
            run=self._run_dict(exitstatus),
            expected=self.expected,
            strict=self.strict,
        )

    def _target_dict(self) -> dict[str, Any]:
        ev = self.evidence
        features = ev.features if ev.feature_source else connection.features(self.target, self.contracts)
        return self.target.public() | {
            "api_key": "[REDACTED]",
            "readings": dict(self.contracts.readings),
            "features": sorted(features),
            "feature_source": ev.feature_source or "the configuration",
        }

    def _run_dict(self, exitstatus: int) -> dict[str, Any]:
        return {
            "started_at": datetime.fromtimestamp(self.started, UTC).isoformat(timespec="seconds"),
            "duration_s": round(time.time() - self.started, 2),
            "profile": self.profile,
            "seed": int(self.seed) if self.seed is not None else None,
            "requests": self.evidence.requests,
            "processes": self.evidence.processes,
            "command": _command(sys.argv),
            "exit_code": int(exitstatus),
            "fatal": self.fatal,
            "stop_reason": self.evidence.stop_reason,
            "unanswered": self.evidence.unanswered,
        }

    def summary_lines(self, results: dict[str, Any]) -> list[str]:
        s, run = results["summary"], results["run"]
        line = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in s["rules"].items() if n)
        lines = [f"conformance: {s['verdict'].upper()} ({line}; {run['requests']} requests)"]
        if not run["complete"]:
            lines.append(f"  incomplete: {incomplete_because(run)}")
        if s.get("not_examined"):
            lines.append(f"  gating rules not examined: {len(s['not_examined'])}")
        lines += [f"  stale expected failure (now passes): {r}" for r in run["stale_expected_failures"]]
        if self.values.get("report_dir"):
            lines.append(f"  reports in {self.values['report_dir']}/")
        return lines


def _command(argv: list[str]) -> str:
    """The command line as run, without the API key's value."""
    shown, hide = [], False
    for arg in argv:
        if hide:
            arg = "[REDACTED]"
        elif arg.startswith("--api-key="):
            arg = "--api-key=[REDACTED]"
        shown.append(arg)
        hide = arg == "--api-key"
    return shlex.join(shown)


def _fault_readings(faults: frozenset[str]) -> dict[str, str]:
    if not faults:
        return {}
    from cbconform.server import fault_requirements

    readings, _ = fault_requirements(faults)
    return readings


def _expected(path: str | None, contracts) -> set[str]:
    if not path:
        return set()
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise SessionError(f"The expected-failures file {path} cannot be read: {error.strerror}.") from None
    ids = {line.split("#", 1)[0].strip() for line in lines} - {""}
    unknown = sorted(ids - set(contracts.rules))
    if unknown:
        raise SessionError(f"{path} lists rules that are not in the catalogue: {', '.join(unknown)}.")
    return ids
