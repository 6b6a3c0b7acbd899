"""One conformance run: the target, the client, what each test enforced and how it ended."""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from cbconform import contracts as contracts_module
from cbconform import results
from cbconform.api import Api, Recorder
from cbconform.checks import ConformanceFailure
from cbconform.exchange import REDACTED, redact
from cbconform.target import Target, TargetError, resolve
from cbconform.transport import BudgetExhausted, InProcess, Mannered

BLOB = re.compile(r"@reproduce_failure\('([^']+)', (b'[^']+')\)")


class SessionError(Exception):
    """A wrong option or file: one plain sentence, exit 2 through the runner."""


class Admin:
    """The target's control plane, when it offers one (the reference server started with --admin)."""

    def __init__(self, api: Api, features: frozenset[str]):
        self.api, self.features = api, features

    def offers(self, feature: str) -> bool:
        return feature in self.features

    def events(self, fulfillment_id: str) -> list[dict[str, Any]]:
        return (self.api.admin("GET", f"/events?fulfillment_id={fulfillment_id}") or {}).get("events", [])

    def advance(self, seconds: int) -> None:
        self.api.admin("POST", "/clock", {"advance": seconds})

    def rate_limit(self, per_minute: int | None) -> None:
        self.api.admin("POST", "/rate-limit", {"per_minute": per_minute})


class Session:
    def __init__(self, target: Target, contracts, options: dict[str, Any]):
        self.target, self.contracts, self.options = target, contracts, options
        self.recorder, self.exercised = Recorder(), Counter()
        self.tests: dict[str, results.TestRecord] = {}
        self.failures: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.expected: set[str] = options["expected"]
        self.stale_expected: list[str] = []
        self.started = time.time()
        self.api: Api | None = None
        self.admin: Admin | None = None
        self.fatal: str | None = None

    # ------------------------------------------------------------------ setup

    @classmethod
    def from_options(cls, config: pytest.Config) -> Session:
        get = config.getoption
        cli = {
            "target": get("target"),
            "grow_url": get("grow_url"),
            "core_url": get("core_url"),
            "site": get("site"),
            "api_key": get("api_key"),
            "config": get("cb_config"),
            "max_requests": get("max_requests"),
            "rate": get("rate"),
            "allow_live_site": get("allow_live_site"),
            "readings": _pairs(get("reading")),
            "faults": get("embedded_fault"),
        }
        try:
            target = _with_fault_readings(resolve(cli))
            contracts = contracts_module.load(target.readings)
        except (TargetError, contracts_module.ContractError) as error:
            raise SessionError(str(error)) from None
        options = {
            "profile": get("profile"),
            "seed": config.option.hypothesis_seed,
            "expected": _expected(get("expected_failures"), contracts),
            "report_dir": get("report_dir"),
        }
        return cls(target, contracts, options)

    def connect(self) -> None:
        if self.api is not None:
            return
        self.api = Api(self.target, self.contracts, self._transport(), self.recorder)
        if not self.target.embedded:
            self._probe()
        info = self.api.admin("GET", "") or {}
        self.admin = Admin(self.api, self.target.features | frozenset(info.get("features", ())))

    def _transport(self) -> httpx.BaseTransport:
        if self.target.embedded:
            from cbconform.server import ServerConfig, create_app

            app = create_app(
                ServerConfig(
                    api_key=self.target.api_key,
                    admin=True,
                    readings=self.target.readings,
                    faults=self.target.faults,
                )
            )
            return Mannered(InProcess(app), None, self.target.max_requests)
        return Mannered(httpx.HTTPTransport(), self.target.rate, self.target.max_requests)

    def _probe(self) -> None:
        try:
            exchange = self.api.call("personalized_offers", body={"customer_id": self.target.customer_id})
        except httpx.TransportError as error:
            self._stop(
                f"The target {self.target.describe()} cannot be reached ({type(error).__name__}: {error})."
            )
        else:
            if exchange.status == 401:
                self._stop(f"The target {self.target.describe()} rejected the API key (HTTP 401).")

    def _stop(self, message: str) -> None:
        self.fatal = message
        pytest.exit(message, returncode=3)

    def header(self) -> list[str]:
        seed = "derandomized" if self.options["seed"] is None else self.options["seed"]
        readings = ", ".join(f"{k}={v}" for k, v in self.target.readings.items()) or "defaults"
        return [
            f"cbconform target: {self.target.describe()}",
            f"cbconform profile: {self.options['profile']}, seed: {seed}, readings: {readings}",
        ]

    # ------------------------------------------------------------------ per test

    def begin_test(self, item: pytest.Item) -> None:
        self.recorder.current = []

    def record(self, item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> None:
        rules = [r for m in item.iter_markers("rule") for r in m.args]
        test = self.tests.setdefault(item.nodeid, results.TestRecord(item.nodeid, rules, "pass", 0.0))
        test.duration_s += report.duration
        if report.when == "call" or report.failed or report.skipped:
            if test.outcome in ("fail", "error") and report.when == "teardown":
                return
            self._classify(test, item, call, report)

    def _classify(self, test, item, call, report) -> None:
        error = call.excinfo.value if call.excinfo else None
        conformance = _conformance_failures(error)
        if isinstance(error, BudgetExhausted):
            report.outcome, report.longrepr = "skipped", (str(item.path), 0, f"Skipped: {error}")
        if report.skipped:
            test.outcome = "xfail" if hasattr(report, "wasxfail") else "skip"
            test.message = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        elif report.passed:
            test.outcome = "pass"
        elif conformance is not None:
            self._fail(test, item, report, conformance)
        else:
            test.outcome, test.message = (
                "error",
                f"{type(error).__name__}: {error}" if error else report.longreprtext[-500:],
            )
            self.errors.append(
                {"test": test.nodeid, "message": test.message, "detail": report.longreprtext[-4000:]}
            )

    def _fail(self, test, item, report, failures) -> None:
        blob = BLOB.search(report.longreprtext or "")
        test.outcome, test.message = "fail", "; ".join(f"[{f.rule_id}] {f.received}" for f in failures)[:500]
        for f in failures:
            failure_id = f"F{len(self.failures) + 1}"
            test.failure_ids.append(failure_id)
            test.failed_rules.append(f.rule_id)
            self.failures.append(self._failure_dict(failure_id, test.nodeid, f, blob))
        if {f.rule_id for f in failures} <= self.expected:
            test.outcome = "xfail"
            report.outcome, report.wasxfail = "skipped", f"expected failure of {', '.join(test.failed_rules)}"

    def _failure_dict(self, failure_id: str, nodeid: str, f, blob) -> dict[str, Any]:
        seed = self.options["seed"]
        command = [*_target_args(self.options, self.target), f"--profile={self.options['profile']}"]
        if seed is not None:
            command.append(f"--hypothesis-seed={seed}")
        report_dir = self.options["report_dir"] or "reports"
        return {
            "id": failure_id,
            "rule_id": f.rule_id,
            "test": nodeid,
            "check": f.check,
            "title": f.title,
            "documented": f.documented,
            "received": f.received,
            "exchange": f.exchange.to_dict() if f.exchange else None,
            "curl": f.exchange.curl() if f.exchange else None,
            "reproduce": {
                "seed": int(seed) if seed is not None else None,
                "blob": f"@reproduce_failure({blob.group(1)!r}, {blob.group(2)})" if blob else None,
                "pytest": shlex.join(["pytest", nodeid, *command]),
                "replay": f"cbconform replay {report_dir}/results.json --failure {failure_id}",
            },
        }

    # ------------------------------------------------------------------ end

    def finish(self, exitstatus: int, report_dir: Path | None) -> dict[str, Any]:
        model = results.build(
            contracts=self.contracts,
            target=self._target_dict(),
            run=self._run_dict(exitstatus),
            tests=list(self.tests.values()),
            failures=self.failures,
            errors=self.errors,
            expected=self.expected,
            exercised=self.exercised,
            coverage={
                "enum_values": {k: dict(v) for k, v in self.recorder.enum_values.items()},
                "boundary_lengths": self.recorder.boundary_lengths,
            },
        )
        self.stale_expected = sorted(
            r["id"] for r in model["rules"] if r["id"] in self.expected and r["outcome"] == "pass"
        )
        model["run"]["stale_expected_failures"] = self.stale_expected
        if report_dir is not None:
            write(model, report_dir)
        return model

    def _target_dict(self) -> dict[str, Any]:
        t = self.target
        return {
            "kind": "embedded" if t.embedded else "remote",
            "grow_url": t.grow_url,
            "core_url": t.core_url,
            "site": t.site,
            "api_key": REDACTED,
            "readings": dict(self.contracts.readings),
            "features": sorted(self.admin.features if self.admin else t.features),
            "faults": sorted(t.faults),
        }

    def _run_dict(self, exitstatus: int) -> dict[str, Any]:
        return {
            "started_at": datetime.fromtimestamp(self.started, UTC).isoformat(timespec="seconds"),
            "duration_s": round(time.time() - self.started, 2),
            "profile": self.options["profile"],
            "seed": int(self.options["seed"]) if self.options["seed"] is not None else None,
            "requests": self.recorder.requests,
            "command": redact(shlex.join(sys.argv), (self.target.api_key,)),
            "exit_code": int(exitstatus),
            "fatal": self.fatal,
        }

    def summary_lines(self, model: dict[str, Any]) -> list[str]:
        counts = model["summary"]["rules"]
        line = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items() if n)
        lines = [
            f"conformance: {model['summary']['verdict'].upper()}"
            f" ({line}; {model['run']['requests']} requests)"
        ]
        lines += [f"  stale expected failure (now passes): {r}" for r in self.stale_expected]
        if self.options["report_dir"]:
            lines.append(f"  reports in {self.options['report_dir']}/")
        return lines


def write(model: dict[str, Any], report_dir: Path) -> None:
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "results.json").write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
    try:
        from cbconform.report import write_all
    except ImportError:
        return
    write_all(model, report_dir)


def _conformance_failures(error: BaseException | None):
    if isinstance(error, ConformanceFailure):
        return error.failures
    if isinstance(error, BaseExceptionGroup):
        parts = [e for e in error.exceptions]
        if parts and all(isinstance(e, ConformanceFailure) for e in parts):
            return [f for e in parts for f in e.failures]
    return None


def _pairs(values: list[str]) -> dict[str, str]:
    pairs = {}
    for value in values or []:
        key, sep, name = value.partition("=")
        if not sep:
            raise SessionError(f"--reading takes AMB-ID=NAME, not {value!r}.")
        pairs[key] = name
    return pairs


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


def _with_fault_readings(target: Target) -> Target:
    """The embedded server's faults, checked; the readings they need join the target's own."""
    if not target.faults:
        return target
    from cbconform.server.faults import readings_for, unknown

    if not target.embedded:
        raise SessionError(
            "--fault breaks the embedded reference server; serve a faulty remote one with"
            " `cbconform serve --fault NAME` and point --target at it."
        )
    bad = unknown(target.faults)
    if bad:
        raise SessionError(f"Unknown fault(s) {', '.join(bad)}: see `cbconform serve --list-faults`.")
    return dataclasses.replace(target, readings=readings_for(target.faults) | dict(target.readings))


def _target_args(options: dict[str, Any], target: Target) -> list[str]:
    if target.embedded:
        return [f"--embedded-fault={f}" for f in sorted(target.faults)]
    if target.grow_url == target.core_url:
        return [f"--target={target.grow_url}"]
    return [f"--grow-url={target.grow_url}", f"--core-url={target.core_url}"]
