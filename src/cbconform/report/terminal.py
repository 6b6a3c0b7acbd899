"""What `cbconform run` shows on a terminal: a live bar while the suites run (or, in a CI log, a line
every 10 s), a line per broken rule, and a summary drawn from the results model. pytest's own reporter
is switched off, so nothing but this (and the redacting streams around it, in the runner) reaches the
terminal. Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections import Counter
from typing import Any, TextIO

import pytest

from cbconform.checks import ConformanceFailure
from cbconform.outcomes import NOT_RUN
from cbconform.report import incomplete_because, safe
from cbconform.report.defaults import normalise
from cbconform.report.links import failure_link

VERBOSITY = 0  # -1 with --quiet, 1 with --verbose: set once by the command line (cli.py)
PERIOD_S = 10.0  # a progress line this often in "periodic" mode (a CI log)
COLOURS = {"pass": "32", "fail": "31", "error": "33", "incomplete": "33", "unreachable": "33"}

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

    def __init__(self, out: TextIO, mode: str, period: float = PERIOD_S):
        self.out, self.mode, self.period = out, mode, period
        self.started = self.last_line = time.monotonic()
        self.config: pytest.Config | None = None
        self.lock, self.finished = threading.Lock(), threading.Event()
        self.pending: dict[str, int] = {}  # rule -> tests citing it that have not ended yet
        self.cites: dict[str, list[str]] = {}  # nodeid -> the rules it cites
        self.total, self.done, self.counts = 0, 0, Counter()
        self.broken: dict[str, list[tuple[str, str]]] = {}
        self.rules_seen: set[str] = set()
        self.elsewhere: str | None = None  # tests another process runs meanwhile (cbconform.sibling)
        self.exit: tuple[int | None, str] | None = None
        self.internal_error = False
        self.collect_errors: list[str] = []

    # ------------------------------------------------------------------ pytest hooks

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config
        reporter = config.pluginmanager.getplugin("terminalreporter")
        if reporter is not None:
            config.pluginmanager.unregister(reporter)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = len(session.items)
        for item in session.items:  # schemathesis's items may share a node id: count each id once
            self.cites[item.nodeid] = sorted({r for m in item.iter_markers("rule") for r in m.args})
        for rules in self.cites.values():
            for rule in rules:
                self.pending[rule] = self.pending.get(rule, 0) + 1

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

    def pytest_sessionstart(self) -> None:
        if self.mode == "periodic":  # a line even while one slow test runs (a CI log looks alive)
            threading.Thread(target=self._tick, name="cbconform-progress", daemon=True).start()

    def pytest_sessionfinish(self) -> None:
        self.finished.set()
        if self.mode == "bar" and self.done:
            self.out.write("\r\x1b[2K")
            self.out.flush()

    # ------------------------------------------------------------------ drawing

    def _outcome(self, report: pytest.TestReport) -> str:
        if hasattr(report, "wasxfail"):
            return "xfail"
        if report.passed:
            return "pass"
        if report.skipped:  # cbconform.outcomes marks a test the run stopped first, or left unanswered
            longrepr = getattr(report, "longrepr", None)
            text = longrepr[2] if isinstance(longrepr, tuple) else ""
            return "not_run" if text.startswith(NOT_RUN) else "skip"
        return "fail" if report.nodeid in self.broken else "error"

    def _count(self, report: pytest.TestReport, outcome: str) -> None:
        self.done += 1
        self.counts[outcome] += 1
        for rule in self.cites.pop(report.nodeid, []):
            self.pending[rule] -= 1
        if self.mode == "periodic":
            self._periodic()
        if self.mode in ("quiet", "periodic"):
            return
        if self.mode == "failures":  # cbconform.sibling beside a bar: its failures, never a bar of its own
            if outcome in ("fail", "error"):
                self._line(outcome, report.nodeid)
                self.out.flush()
            return
        if self.mode == "lines":
            self.out.write(f"{ICONS[outcome]} {outcome.upper().replace('_', ' '):<5} {report.nodeid}\n")
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
                shown = safe.terminal(received[:70])  # a target's text cannot move the cursor
                self.out.write(f"{ICONS['fail']} FAIL  {rule_id:<34} {shown}  ({nodeid})\n")

    def status(self) -> str:
        """Tests ended, requests sent, rules decided (every test citing them has ended), time taken.
        While another process runs tests too, no rule is called decided: its tests may cite any."""
        total = max(self.total, self.done, 1)
        decided = sum(1 for left in self.pending.values() if left <= 0)
        elapsed = time.monotonic() - self.started
        counted = f"{self.done}/{total} tests, {self._requests()} requests"
        if self.elsewhere:
            return f"{counted} here, {elapsed:.0f} s; {self.elsewhere}, counted when it ends"
        return f"{counted}, {decided}/{len(self.pending)} rules decided, {elapsed:.0f} s"

    def _requests(self) -> int:
        try:
            from cbconform.plugin import KEY

            return int(self.config.stash[KEY].recorder.requests)  # type: ignore[union-attr]
        except Exception:  # no session yet, or a model without the counter: progress is best effort
            return 0

    def _tick(self) -> None:
        while not self.finished.wait(self.period):
            self._periodic()

    def _periodic(self) -> None:
        with self.lock:
            now = time.monotonic()
            if now - self.last_line >= self.period or self.done == self.total:
                self.last_line = now
                self.out.write(f"progress: {self.status()}\n")
                self.out.flush()

    def _bar(self, nodeid: str) -> None:
        width = shutil.get_terminal_size((100, 20)).columns
        total = max(self.total, self.done, 1)
        filled = round(20 * self.done / total)
        tally = " ".join(
            f"{ICONS[k]}{self.counts[k]}"
            for k in ("pass", "fail", "error", "skip", "not_run")
            if self.counts[k]
        )
        line = f"  [{'#' * filled}{'.' * (20 - filled)}] {self.status()}  {tally}  {nodeid}"
        self.out.write("\r\x1b[2K" + line[: width - 1])


def _conformance(error: BaseException | None) -> list[Any]:
    if isinstance(error, ConformanceFailure):
        return error.failures
    if isinstance(error, BaseExceptionGroup):
        return [f for e in error.exceptions if isinstance(e, ConformanceFailure) for f in e.failures]
    return []


def colour_on(stream: Any = None) -> bool:
    stream = sys.stdout if stream is None else stream
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def paint(text: str, key: str, on: bool) -> str:
    code = COLOURS.get(key)
    return f"\x1b[1;{code}m{text}\x1b[0m" if on and code else text


def summary(
    results: dict[str, Any], code: int, report_dir: str, limit: int = 12, colour: bool | None = None
) -> list[str]:
    """The end of a run in a few lines: verdict, what limited it, the failing rules with a link to each
    in report.html, where the reports are. --quiet keeps the verdict, the links and the paths."""
    r = normalise(safe.clean_value(results, safe.terminal))  # what a target sent shows escaped
    on = colour_on() if colour is None else colour
    key = "unreachable" if code == 3 else str(r["summary"]["verdict"])
    rules, run, target = r["rules"], r["run"], r["target"]
    failed = [x for x in rules if x["outcome"] == "fail"]
    gating = [x["id"] for x in failed if _gates(x)]
    advisory = [x["id"] for x in failed if not _gates(x)]
    counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in r["summary"]["rules"].items() if n)
    where = "embedded reference server" if target["kind"] == "embedded" else target["grow_url"]
    report = f"{report_dir}/report.html"
    lines = [f"{paint(key.upper(), key, on)}: {where}; rules {counts}; {run['requests']} requests"]
    if run["complete"] is False or key == "incomplete":
        missing = r["summary"]["not_examined"]
        why = incomplete_because(run) or (
            "the run stopped early" if run["complete"] is False else "the run ended"
        )
        lines.append(f"  incomplete: {why}; {len(missing)} gating rules not examined{_named(missing, limit)}")
    if target["absent_features"]:
        lines.append(f"  limitation: features declared absent: {', '.join(target['absent_features'])}")
    if VERBOSITY >= 0:
        for name, area in r["summary"]["areas"].items():
            area_counts = "  ".join(f"{n} {k.replace('_', ' ')}" for k, n in area["rules"].items() if n)
            lines.append(f"  {name:<10} {area['verdict']:<5}  {area_counts}")
    if gating:
        lines.append(f"Gating rules failed ({len(gating)}): {', '.join(gating)}")
    if advisory:
        lines.append(f"Advisories, failed but not gating ({len(advisory)}): {', '.join(advisory)}")
    lines += _failure_lines(r, report, limit, gating if VERBOSITY < 0 else None)
    if VERBOSITY >= 0:
        for error in r["errors"][:5]:
            lines.append(f"  harness error in {error['test']}: {str(error['message'])[:120]}")
    for rule_id in run["stale_expected_failures"]:
        lines.append(f"  {rule_id} is listed as an expected failure but passed: remove it from the list")
    lines.append(f"Reports: {report}  {report_dir}/junit.xml  {report_dir}/results.json")
    if r["failures"] and VERBOSITY >= 0:
        lines.append(f"Replay the failures: cbconform replay {report_dir}/results.json")
        serve = r["failures"][0].get("reproduce", {}).get("serve")
        if serve:
            lines.append(f"Serve the same server for the failures' curl lines: {serve}")
    return lines


def _named(rules: list[str], limit: int) -> str:
    if not rules:
        return ""
    more = f" and {len(rules) - limit} more" if len(rules) > limit else ""
    return ": " + ", ".join(rules[:limit]) + more


def _gates(rule: dict[str, Any]) -> bool:
    return rule["level"] == "MUST" and rule["gates"] is not False


def _failure_lines(r: dict[str, Any], report: str, limit: int, only: list[str] | None) -> list[str]:
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in r["failures"]:
        if only is None or f["rule_id"] in only:
            by_rule.setdefault(f["rule_id"], []).append(f)
    lines = []
    for rule_id, found in list(by_rule.items())[:limit]:
        first = found[0]
        if only is None:
            times = f" (x{len(found)}, first {first['id']})" if len(found) > 1 else f" ({first['id']})"
            lines.append(
                f"  {rule_id}{times}: documented {str(first['documented'])[:70]!r};"
                f" received {str(first['received'])[:70]!r}"
            )
        lines.append(f"    {failure_link(report, rule_id)}")
    if len(by_rule) > limit:
        lines.append(f"  ... and {len(by_rule) - limit} more rules in the report")
    return lines
