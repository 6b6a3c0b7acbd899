"""The pytest plugin behind the suites: options (generated from cbconform.settings), fixtures, the
`rule` marker, outcomes, signals, pytest-xdist, and the results model written at the end of every run,
however it ends. Registered by the top-level conftest.py; elsewhere load it with `-p cbconform.plugin`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from cbconform import exclusive, paths, profiles, settings
from cbconform.session import Session, SessionError

KEY = pytest.StashKey[Session]()
RESULTS = pytest.StashKey[dict]()
SHIPPED = pytest.StashKey[dict]()  # set by cbconform.sibling: the run ships its evidence there
SUITES = paths.suites_dir().resolve()
WORKER_INPUT, WORKER_OUTPUT = "cbconform_settings", "cbconform_evidence"
LOCK_INPUT = "cbconform_lock"


class Resolved:
    """The settings as the runner resolved them, handed to pytest as a plugin object."""

    def __init__(self, values: dict[str, Any], given: dict[str, Any]):
        self.values, self.given = values, given


def pytest_addoption(parser: pytest.Parser) -> None:
    settings.add_pytest(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rule(*ids): the catalogue rules this test enforces")
    config.addinivalue_line(
        "markers", f"{exclusive.MARKER}(why): changes what every test sees on a shared target; runs alone"
    )
    try:
        values, given = _resolved(config)
        profiles.register()
        profiles.load(values["profile"])
        if config.option.hypothesis_seed is None:
            config.option.hypothesis_seed = profiles.drawn_seed(values["profile"])
        config.stash[KEY] = Session(values, given, config.option.hypothesis_seed)
    except (SessionError, settings.SettingsError) as error:
        raise pytest.UsageError(str(error)) from None
    _ACTIVE[:] = [config.stash[KEY]]
    _catch_sigterm(config.stash[KEY])


def _resolved(config: pytest.Config) -> tuple[dict[str, Any], dict[str, Any]]:
    """Settings resolved once: by the runner, or by the xdist controller, or here for plain pytest."""
    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, Resolved):
            extra = settings.from_pytest(config)  # settings given after `--`, to pytest itself
            if not extra:
                return plugin.values, plugin.given
            given = plugin.given | extra
            return settings.layered(given) | {"report_dir": plugin.values["report_dir"]}, given
    shipped = getattr(config, "workerinput", {}).get(WORKER_INPUT)
    if shipped:  # the key never travels to a worker: it has the controller's options and environment
        values, given = json.loads(shipped)
        key = config.option.cb_api_key or os.environ.get(settings.BY_NAME["api_key"].env or "")
        return values | {"api_key": key}, given
    given = settings.from_pytest(config)
    return settings.layered(given), given


def _catch_sigterm(session: Session) -> None:
    """CI cancels with SIGTERM: end like Ctrl-C, so the reports are still written (incomplete)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def stop(signum: int, frame: Any) -> None:
        session.stop(f"terminated by {signal.Signals(signum).name}")
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


_ACTIVE: list[Session] = []


def active() -> Session:
    """The run being collected; for suite modules that build parameters from its contracts."""
    return _ACTIVE[0]


def pytest_report_header(config: pytest.Config) -> list[str]:
    session = config.stash.get(KEY, None)
    return session.header() if session else []


@pytest.fixture(scope="session")
def cb_session(request: pytest.FixtureRequest) -> Session:
    session = request.config.stash[KEY]
    session.connect()
    return session


@pytest.fixture(scope="session")
def contracts(cb_session: Session):
    return cb_session.contracts


@pytest.fixture(scope="session")
def target(cb_session: Session):
    return cb_session.target


@pytest.fixture(scope="session")
def api(cb_session: Session):
    return cb_session.api


@pytest.fixture
def expect(cb_session: Session):
    from cbconform.checks.expect import Expect

    return Expect(cb_session.contracts, cb_session.exercised)


@pytest.fixture(scope="session")
def admin(cb_session: Session):
    return cb_session.admin


@pytest.fixture
def coverage(cb_session: Session):
    return cb_session.recorder


def pytest_runtest_setup(item: pytest.Item) -> None:
    session = item.config.stash.get(KEY, None)
    if session is not None:
        session.begin_test(item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    session = item.config.stash.get(KEY, None)
    if session is not None and _is_suite(item):
        session.record(item, call, report)
    return report


def _is_suite(item: pytest.Item) -> bool:
    """The plugin judges conformance tests (the suites, or any test citing rules), not other tests."""
    return item.get_closest_marker("rule") is not None or SUITES in Path(item.path).resolve().parents


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo) -> None:
    session = _ACTIVE[0] if _ACTIVE else None
    if session is not None and not isinstance(excinfo.value, pytest.exit.Exception):
        session.stop("interrupted (SIGINT)")


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed and _ACTIVE:
        _ACTIVE[0].stop(f"a suite module could not be collected ({report.nodeid or 'collection'})")


def pytest_collection_finish(session: pytest.Session) -> None:
    cb = session.config.stash.get(KEY, None)
    if cb is not None:
        cb.collected = {item.nodeid for item in session.items if _is_suite(item)}


# ---------------------------------------------------------------------- pytest-xdist


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    cb = node.config.stash[KEY]
    cb.evidence.processes = 0  # the controller runs no test; each worker's part counts itself
    public = [{k: v for k, v in d.items() if k != "api_key"} for d in (cb.values, cb.given)]
    node.workerinput[WORKER_INPUT] = json.dumps(public, default=list)
    if not cb.target.embedded:
        cb.lock_dir = cb.lock_dir or exclusive.make_dir()
        node.workerinput[LOCK_INPUT] = cb.lock_dir


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """On an xdist worker against a shared target: exclusive tests run alone (see cbconform.exclusive)."""
    directory = getattr(item.config, "workerinput", {}).get(LOCK_INPUT)
    if not directory:
        return (yield)
    with exclusive.hold(directory, item.get_closest_marker(exclusive.MARKER) is not None):
        return (yield)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    cb = node.config.stash[KEY]
    root = node.config.rootpath
    cb.collected = {i for i in ids if SUITES in (root / i.split("::")[0]).resolve().parents}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    cb = node.config.stash[KEY]
    part = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT)
    if part is None:
        cb.stop(f"worker {node.gateway.id} ended without its results ({error or 'no output'})")
    else:
        cb.evidence.merge(json.loads(part))


# ---------------------------------------------------------------------- the end


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    cb = session.config.stash.get(KEY, None)
    ships = _ships(session.config)
    if cb is None or not (ships or cb.collected or cb.evidence.tests or cb.evidence.stop_reason):
        return
    previous = _ignore_signals()
    try:
        if session.shouldfail or session.shouldstop:
            cb.stop(f"pytest stopped early ({session.shouldfail or session.shouldstop})")
        if ships:  # a part of the run: the process that gathers the parts judges what did not run
            _ship(session.config, json.dumps(cb.collect_evidence().export()))
            return
        missing = cb.collected - set(cb.evidence.tests)
        if missing:
            cb.stop(cb.evidence.stop_reason or f"{len(missing)} selected tests did not run")
        results = cb.results(exitstatus)
        report_dir = cb.values.get("report_dir")
        if report_dir:
            from cbconform.report import write_all

            write_all(results, Path(report_dir))
        if results["run"]["stale_expected_failures"] and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        session.config.stash[RESULTS] = results
    finally:
        _restore_signals(previous)


def _ships(config: pytest.Config) -> bool:
    """An xdist worker, or cbconform.sibling's forked process: its evidence goes to another process."""
    return hasattr(config, "workerinput") or SHIPPED in config.stash


def _ship(config: pytest.Config, evidence: str) -> None:
    if hasattr(config, "workerinput"):
        config.workeroutput[WORKER_OUTPUT] = evidence
    else:
        config.stash[SHIPPED]["evidence"] = evidence


def _ignore_signals() -> dict[int, Any]:
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}


def _restore_signals(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    results = config.stash.get(RESULTS, None)
    cb = config.stash.get(KEY, None)
    if results is None or cb is None:
        return
    for line in cb.summary_lines(results):
        terminalreporter.write_line(line)


def pytest_unconfigure(config: pytest.Config) -> None:
    cb = config.stash.get(KEY, None)
    if cb is not None and cb.lock_dir:
        shutil.rmtree(cb.lock_dir, ignore_errors=True)
