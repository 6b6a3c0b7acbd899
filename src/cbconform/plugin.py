"""The pytest plugin behind the suites: target options, fixtures, the `rule` marker, outcomes, and
the results model written at the end of the run. Registered by the top-level conftest.py; load it
elsewhere with `-p cbconform.plugin`."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from cbconform import profiles
from cbconform.session import Session, SessionError

KEY = pytest.StashKey[Session]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cbconform", "Chargebee conformance target")
    add = group.addoption
    add("--target", help="one base URL serving both hosts, e.g. http://127.0.0.1:8080/api/v2")
    add("--grow-url", help="base URL of the grow host (personalized offers, fulfillments)")
    add("--core-url", help="base URL of the core host (orders)")
    add("--site", help="a Chargebee site name; builds both hosts' URLs (test sites end in -test)")
    add("--api-key", help="the API key (default: $CHARGEBEE_API_KEY, then the reference server's key)")
    add(
        "--target-config", dest="cb_config", metavar="FILE", help="TOML file: target data, features, readings"
    )
    add(
        "--reading",
        action="append",
        default=[],
        metavar="AMB-ID=NAME",
        help="follow another reading of an ambiguity",
    )
    add("--profile", choices=sorted(profiles.PROFILES), default="ci", help="hypothesis profile (default: ci)")
    add("--expected-failures", metavar="FILE", help="rule IDs expected to fail, one a line: strict xfails")
    add("--max-requests", type=int, metavar="N", help="stop sending after N requests; the rest skip")
    add("--rate", type=int, metavar="N", help="requests a minute to a remote target (default 150)")
    add("--allow-live-site", action="store_true", help="allow a --site without the -test suffix")
    add("--report-dir", metavar="DIR", help="write results.json, report.html and junit.xml here")
    add("--embedded-fault", action="append", default=[], metavar="NAME", help=argparse_suppress())


def argparse_suppress() -> str:
    import argparse

    return argparse.SUPPRESS


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rule(*ids): the catalogue rules this test enforces")
    profiles.register()
    profiles.load(config.getoption("profile"))
    if (
        not profiles.PROFILES[config.getoption("profile")]["derandomize"]
        and config.option.hypothesis_seed is None
    ):
        config.option.hypothesis_seed = str(random.SystemRandom().randrange(1 << 32))
    try:
        config.stash[KEY] = Session.from_options(config)
    except SessionError as error:
        raise pytest.UsageError(str(error)) from None
    _ACTIVE[:] = [config.stash[KEY]]


_ACTIVE: list[Session] = []


def active() -> Session:
    """The run being collected; for suite modules that build parameters from its contracts."""
    return _ACTIVE[0]


def pytest_report_header(config: pytest.Config) -> list[str]:
    session = config.stash.get(KEY, None)
    return session.header() if session else []


def _session(request: pytest.FixtureRequest) -> Session:
    return request.config.stash[KEY]


@pytest.fixture(scope="session")
def cb_session(request: pytest.FixtureRequest) -> Session:
    session = _session(request)
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
    if session is not None and item.get_closest_marker("rule") is not None:
        session.record(item, call, report)
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    cb = session.config.stash.get(KEY, None)
    if cb is None or not cb.tests:
        return
    report_dir = session.config.getoption("report_dir")
    results = cb.finish(exitstatus, Path(report_dir) if report_dir else None)
    if cb.stale_expected and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    session.config.stash[RESULTS] = results


RESULTS = pytest.StashKey[dict]()


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    results = config.stash.get(RESULTS, None)
    cb = config.stash.get(KEY, None)
    if results is None or cb is None:
        return
    for line in cb.summary_lines(results):
        terminalreporter.write_line(line)
