"""How each test ended, in the suite's terms: pass, fail (the target broke rules, each a failure
record), skip (with its reason), xfail, error (the harness broke) or not_run (the run stopped first, or
the target gave no complete answer to one of its requests)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from typing import Any

import pytest

from cbconform.checks import ConformanceFailure, NotApplicable
from cbconform.results import Evidence, TestRecord
from cbconform.transport import RunStopped, Unanswered

NOT_RUN = "Not run: "  # how pytest's skip report of a test the run could not examine begins
BLOB = re.compile(r"@reproduce_failure\('([^']+)', (b'[^']+')\)")


class Classifier:
    """Turns pytest's phase reports into test records and failure records on `evidence`."""

    def __init__(
        self,
        evidence: Evidence,
        known_rules: set[str],
        expected: set[str],
        reproduce: Callable[[str, str, Any], dict[str, Any]],
        on_stop: Callable[[str], None],
    ):
        self.evidence, self.known, self.expected = evidence, known_rules, expected
        self.reproduce, self.on_stop = reproduce, on_stop

    def record(self, item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> None:
        rules = [r for m in item.iter_markers("rule") for r in m.args]
        test = self.evidence.tests.setdefault(item.nodeid, TestRecord(item.nodeid, rules, "pass", 0.0))
        test.duration_s += report.duration
        unknown = sorted(set(rules) - self.known)
        if unknown and report.when == "setup":
            self._error(test, f"the test cites rules that are not in the catalogue: {', '.join(unknown)}", "")
        if report.when == "call" or report.failed or report.skipped:
            if test.outcome in ("fail", "error") and report.when == "teardown":
                return
            if test.outcome != "error":
                self._classify(test, call, report)

    def _classify(self, test: TestRecord, call: pytest.CallInfo, report: pytest.TestReport) -> None:
        error = call.excinfo.value if call.excinfo else None
        if isinstance(error, RunStopped):
            self.on_stop(str(error))
            test.outcome, test.message = "not_run", str(error)
            _not_run(report, test.message)
            return
        found = conformance_failures(error)
        unanswered = None if found else _unanswered(error)
        if unanswered is not None:
            if test.outcome != "not_run":  # a test is judged by its first request left unanswered
                entry = {"test": test.nodeid, "request": unanswered.request, "reason": unanswered.reason}
                self.evidence.unanswered.append(entry)
                test.outcome, test.message = "not_run", f"the target gave {unanswered}"
            _not_run(report, test.message)
            return
        if report.skipped:
            test.outcome = "xfail" if hasattr(report, "wasxfail") else "skip"
            test.message = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            test.not_applicable = isinstance(error, NotApplicable)
            if test.not_applicable:
                test.message = error.msg
        elif report.passed:
            test.outcome = "pass"
        elif found is None:
            message = f"{type(error).__name__}: {error}" if error else report.longreprtext[-500:]
            self._error(test, message, report.longreprtext[-4000:])
        else:
            self._fail(test, report, found)

    def _fail(self, test: TestRecord, report: pytest.TestReport, found: list[Any]) -> None:
        unknown = sorted({f.rule_id for f in found} - self.known)
        if unknown:
            self._error(test, f"a check named rules outside the catalogue: {', '.join(unknown)}", "")
            return
        blob = BLOB.search(report.longreprtext or "")
        test.outcome = "fail"
        test.message = "; ".join(f"[{f.rule_id}] {f.received}" for f in found)[:500]
        for f in found:
            failure_id = f"F{len(self.evidence.failures) + 1}"
            test.failure_ids.append(failure_id)
            test.failed_rules.append(f.rule_id)
            self.evidence.failures.append(self._failure(failure_id, test.nodeid, f, blob))
        if {f.rule_id for f in found} <= self.expected:
            test.outcome = "xfail"
            report.outcome, report.wasxfail = "skipped", f"expected failure of {', '.join(test.failed_rules)}"

    def _failure(self, failure_id: str, nodeid: str, f: Any, blob: re.Match | None) -> dict[str, Any]:
        reproduce = self.reproduce(failure_id, nodeid, blob)
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
            "reproduce": reproduce,
        }

    def _error(self, test: TestRecord, message: str, detail: str) -> None:
        test.outcome, test.message = "error", message
        self.evidence.errors.append({"test": test.nodeid, "message": message, "detail": detail})


def _not_run(report: pytest.TestReport, message: str) -> None:
    report.outcome, report.longrepr = "skipped", (str(report.fspath), 0, NOT_RUN + message)


def _unanswered(error: BaseException | None) -> Unanswered | None:
    """The request left unanswered that ended a test: raised alone, in a group (teardown), or while
    the error that ended it was raised (hypothesis may find its draws cut short by it)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, Unanswered):
            return error
        if isinstance(error, BaseExceptionGroup):
            return next((e for e in map(_unanswered, error.exceptions) if e is not None), None)
        error = error.__cause__ or error.__context__
    return None


def conformance_failures(error: BaseException | None) -> list[Any] | None:
    if isinstance(error, ConformanceFailure):
        return error.failures
    if isinstance(error, BaseExceptionGroup):
        parts = list(error.exceptions)
        if parts and all(isinstance(e, ConformanceFailure) for e in parts):
            return [f for e in parts for f in e.failures]
    return None


def reproduction(argv: list[str], seed: str | None, report_dir: str) -> Callable[..., dict[str, Any]]:
    def make(failure_id: str, nodeid: str, blob: re.Match | None) -> dict[str, Any]:
        command = [*argv, f"--hypothesis-seed={seed}"] if seed is not None else list(argv)
        return {
            "seed": int(seed) if seed is not None else None,
            "blob": f"@reproduce_failure({blob.group(1)!r}, {blob.group(2)})" if blob else None,
            "pytest": shlex.join(["pytest", nodeid, *command]),
            "replay": f"cbconform replay {report_dir}/results.json --failure {failure_id}",
        }

    return make
