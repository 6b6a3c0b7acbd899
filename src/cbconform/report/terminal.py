"""What `cbconform run` shows on a terminal: a live bar while the suites run, a line per broken rule,
and a summary drawn from the results model. pytest's own reporter is switched off, so nothing but this
(and the redacting streams around it, in the runner) reaches the terminal."""

from __future__ import annotations

import shutil
from collections import Counter
from typing import Any, TextIO

import pytest

from cbconform.checks import ConformanceFailure

ICONS = {
    "pass": "\u2713",
    "fail": "\u2717",
    "error": "!",
    "skip": "\u21b7",
    "xfail": "x",
    "not_run": "\u00b7",
}


class Progress:
    """A pytest plugin object: counts tests as they end and draws the bar when `live`."""

    def __init__(self, out: TextIO, mode: str):
        self.out, self.mode = out, mode
        self.total, self.done, self.counts = 0, 0, Counter()
        self.broken: dict[str, list[tuple[str, str]]] = {}
        self.rules_seen: set[str] = set()
        self.exit: tuple[int | None, str] | None = None
        self.internal_error = False
        self.collect_errors: list[str] = []

    # ------------------------------------------------------------------ pytest hooks

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        reporter = config.pluginmanager.getplugin("terminalreporter")
        if reporter is not None:
            config.pluginmanager.unregister(reporter)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = len(session.items)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors.append(f"{report.nodeid or 'collection'}: {report.longreprtext.strip()}")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        found = _conformance(call.excinfo.value if call.excinfo else None)
        if found:
            self.broken[item.nodeid] = [(f.rule_id, f.received) for f in found]
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self._count(report, self._outcome(report))
        elif report.when == "teardown" and report.failed:
            self.counts["error"] += 1

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo) -> None:
        if isinstance(excinfo.value, pytest.exit.Exception):
            self.exit = (excinfo.value.returncode, str(excinfo.value.msg))

    def pytest_internalerror(self, excrepr: Any, excinfo: pytest.ExceptionInfo) -> None:
        self.internal_error = True

    def pytest_sessionfinish(self) -> None:
        if self.mode == "bar" and self.done:
            self.out.write("\r\x1b[2K")
            self.out.flush()

    # ------------------------------------------------------------------ drawing

    def _outcome(self, report: pytest.TestReport) -> str:
        if hasattr(report, "wasxfail"):
            return "xfail"
        if report.passed:
            return "pass"
        if report.skipped:
            return "skip"
        return "fail" if report.nodeid in self.broken else "error"

    def _count(self, report: pytest.TestReport, outcome: str) -> None:
        self.done += 1
        self.counts[outcome] += 1
        if self.mode == "quiet":
            return
        if self.mode == "lines":
            self.out.write(f"{ICONS[outcome]} {outcome.upper():<5} {report.nodeid}\n")
        elif outcome in ("fail", "error"):
            self._line(outcome, report.nodeid)
        if self.mode == "bar":
            self._bar(report.nodeid)
        self.out.flush()

    def _line(self, outcome: str, nodeid: str) -> None:
        """One line the first time a rule breaks (a broken rule often fails many tests); one per error."""
        self.out.write("\r\x1b[2K")
        if outcome == "error":
            self.out.write(f"{ICONS['error']} ERROR in {nodeid} (a harness error, not the target's)\n")
        for rule_id, received in self.broken.get(nodeid, []):
            if rule_id not in self.rules_seen:
                self.rules_seen.add(rule_id)
                self.out.write(f"{ICONS['fail']} FAIL  {rule_id:<34} {received[:70]}  ({nodeid})\n")

    def _bar(self, nodeid: str) -> None:
        width = shutil.get_terminal_size((100, 20)).columns
        total = max(self.total, self.done, 1)
        filled = round(20 * self.done / total)
        tally = " ".join(
            f"{ICONS[k]}{self.counts[k]}" for k in ("pass", "fail", "error", "skip") if self.counts[k]
        )
        line = f"  [{'#' * filled}{'.' * (20 - filled)}] {self.done}/{total}  {tally}  {nodeid}"
        self.out.write("\r\x1b[2K" + line[: width - 1])


def _conformance(error: BaseException | None) -> list[Any]:
    if isinstance(error, ConformanceFailure):
        return error.failures
    if isinstance(error, BaseExceptionGroup):
        return [f for e in error.exceptions if isinstance(e, ConformanceFailure) for f in e.failures]
    return []


def summary(results: dict[str, Any], code: int, report_dir: str, limit: int = 12) -> list[str]:
    """The end of a run in a few lines: verdict, areas, the first failures, where the reports are."""
    verdict = "UNREACHABLE" if code == 3 else results["summary"]["verdict"].upper()
    rules = results["rules"]
    must = [r["id"] for r in rules if r["outcome"] == "fail" and r["level"] == "MUST"]
    should = [r["id"] for r in rules if r["outcome"] == "fail" and r["level"] != "MUST"]
    counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in results["summary"]["rules"].items() if n)
    target = results["target"]
    where = "embedded reference server" if target["kind"] == "embedded" else target["grow_url"]
    lines = [f"{verdict}: {where}; rules {counts}; {results['run']['requests']} requests"]
    for name, area in results["summary"]["areas"].items():
        area_counts = "  ".join(f"{n} {k.replace('_', ' ')}" for k, n in area["rules"].items() if n)
        lines.append(f"  {name:<10} {area['verdict']:<5}  {area_counts}")
    if must:
        lines.append(f"MUST rules failed ({len(must)}): {', '.join(must)}")
    if should:
        lines.append(f"SHOULD rules failed, not gating ({len(should)}): {', '.join(should)}")
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in results["failures"]:
        by_rule.setdefault(f["rule_id"], []).append(f)
    for rule_id, found in list(by_rule.items())[:limit]:
        first = found[0]
        times = f" (x{len(found)}, first {first['id']})" if len(found) > 1 else f" ({first['id']})"
        lines.append(
            f"  {rule_id}{times}: documented {first['documented'][:70]!r};"
            f" received {first['received'][:70]!r}"
        )
    if len(by_rule) > limit:
        lines.append(f"  ... and {len(by_rule) - limit} more rules in the report")
    for error in results["errors"][:5]:
        lines.append(f"  harness error in {error['test']}: {error['message'][:120]}")
    for rule_id in results["run"].get("stale_expected_failures") or []:
        lines.append(f"  {rule_id} is listed as an expected failure but passed: remove it from the list")
    lines.append(f"Reports: {report_dir}/report.html  {report_dir}/junit.xml  {report_dir}/results.json")
    if results["failures"]:
        lines.append(f"Replay the failures: cbconform replay {report_dir}/results.json")
    return lines
