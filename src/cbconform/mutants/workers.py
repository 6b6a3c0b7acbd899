"""Where a fault's runs happen: in children forked from a parent that has already imported pytest,
hypothesis, schemathesis, the reference server and the suites' plugin, so that a run costs its tests
and not two seconds of imports. Each child serves one task and exits (no state leaks between faults).

Two kinds of task: `suite` (our suites, in process, against the embedded server with the fault) and
`peer` (the `schemathesis run` CLI, in process, against the faulty server on a loopback port)."""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import json
import multiprocessing
import os
import signal
import socket
import tempfile
import threading
import time
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cbconform import paths
from cbconform.mutants.select import ONLY_RULE, SKIP_SLOW

KEY = "test_conformance_key"
# what a child imports on its first run otherwise (pdb: pytest's debugging plugin; schemathesis's pytest
# plugin imports the rest at configure)
CHILD_IMPORTS = ("pdb", "cbconform.suitekit", "cbconform.server.fault_middleware",
                 "schemathesis.pytest.xdist", "schemathesis.reporting.html")  # fmt: skip
TASK_SECONDS = 300  # a run that hangs is reported as an error, not waited on forever
MODE = {"profile": "ci", "served": False}  # `cbconform mutants --profile P --served`


def preload() -> None:
    """Imports once in the parent what every child needs; fork shares it. Not
    cbconform.schemathesis_support: it registers the project's check and formats with schemathesis,
    and the peer must run as shipped."""
    import hypothesis  # noqa: F401
    import pytest  # noqa: F401
    import schemathesis.cli  # noqa: F401
    import uvicorn  # noqa: F401

    import cbconform.checks.expect
    import cbconform.plugin
    import cbconform.report.html
    import cbconform.server.app  # noqa: F401

    _spec()
    _warm()
    gc.freeze()  # what the parent holds is never garbage: children's collections skip it


def _warm() -> None:
    """What every child would otherwise redo: pytest's entry-point plugins (schemathesis's imports
    requests), the fault catalogue (TOML, checked against its schema) and the default contracts with
    the rule references their tests' marks are computed from, and the invalid enum values schemathesis
    draws once per process (half a second, for every run of the schemathesis module)."""
    from importlib.metadata import entry_points

    from _pytest.config import default_plugins

    from cbconform import contracts
    from cbconform.server import faults

    for plugin in entry_points(group="pytest11"):
        with contextlib.suppress(Exception):
            plugin.load()
    for name in [f"_pytest.{p}" for p in default_plugins] + list(CHILD_IMPORTS):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    faults.catalogue()
    contracts.load().rules_of_schema("error.json")
    with contextlib.suppress(Exception), warnings.catch_warnings():  # schemathesis's own cache, seeded
        warnings.simplefilter("ignore")  # hypothesis's plugin warns of generation before pytest runs
        from schemathesis.specs.openapi.coverage import _schema

        _schema._invalid_enum_candidates()


def pool(jobs: int) -> Any:
    return multiprocessing.get_context("fork").Pool(max(1, jobs), maxtasksperchild=1)


def run(task: tuple) -> dict[str, Any]:
    """The child's entry point: silence, a time limit, then the task."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    signal.signal(signal.SIGALRM, _too_long)
    signal.alarm(TASK_SECONDS)
    started = time.monotonic()
    kind, *args = task
    try:
        result = suite(*args) if kind == "suite" else cited_files() if kind == "cited" else peer(*args)
    except Exception as error:
        result = {"errors": [f"{type(error).__name__}: {error}"]}
    return {"task": task, "seconds": round(time.monotonic() - started, 1)} | result


class _TooLong(Exception):
    pass


def _too_long(signum: int, frame: Any) -> None:
    raise _TooLong(f"the run took over {TASK_SECONDS} s")


def suite(
    fault: str | None, rule: str | None, skip_slow: bool, files: tuple[str, ...] = (), keep: bool = False
) -> dict[str, Any]:
    """One pytest run of the suites (or of these suite modules) against the embedded server with this
    fault (or the served faulty server, in served mode), limited to this rule.

    The results model is read from the plugin's stash: no report is rendered or written (no report
    dir), native tracebacks spare pytest's source parsing, and the child exits without pytest's
    end-of-run garbage collections (unraisableexception)."""
    import pytest

    os.environ.pop("CHARGEBEE_API_KEY", None)
    os.environ[ONLY_RULE] = rule or ""
    os.environ[SKIP_SLOW] = "1" if skip_slow else ""
    argv = [*_modules(files), "-p", "cbconform.plugin", "-p", "cbconform.mutants.select",
            "-p", "no:cacheprovider", "-p", "no:unraisableexception", "-q", "--assert=plain",
            "--tb=native", f"--profile={MODE['profile']}", f"--rootdir={paths.suites_dir()}"]  # fmt: skip
    argv += _served(fault) if MODE["served"] else [f"--fault={fault}"] if fault else []
    from cbconform.runner import CollectUnswept

    kept = _Results()
    with CollectUnswept.paused():
        pytest.main(argv, plugins=[kept, CollectUnswept()])
    if kept.results is None:
        raise RuntimeError("the suites wrote no results")
    results = kept.results
    return {
        "failed_rules": sorted(r["id"] for r in results["rules"] if r["outcome"] == "fail"),
        "tests": len(results["tests"]),
        "errors": [e["message"] for e in results["errors"]][:3],
        "passed": results["summary"]["verdict"] == "pass",
    } | ({"results": results} if keep else {})  # keep: the whole model too (benchmarks/replay_matrix.py)


def _served(fault: str | None) -> list[str]:
    """The faulty server on a loopback port, as a remote target is reached; the suite follows the
    readings the fault needs, which the served server follows by itself. No plan is printed."""
    from cbconform.planner import NO_PLAN
    from cbconform.server import fault_requirements

    os.environ[NO_PLAN] = "1"
    readings, _ = fault_requirements([fault] if fault else [])
    return [f"--target={_serve(fault, admin=True)}", *(f"--reading={k}={v}" for k, v in readings.items())]


def cited_files() -> dict[str, Any]:
    """Which suite modules cite each rule, the schemathesis module aside, from one collection without a
    fault: a fault's first run (that module aside too) need collect only its rule's modules."""
    import pytest

    cited: dict[str, set[str]] = {}

    class Cited:
        @pytest.hookimpl(trylast=True)  # after suitekit has added the marks it derives from schemas
        def pytest_collection_modifyitems(self, items: list[Any]) -> None:
            for item in items:
                for rule in {r for m in item.iter_markers("rule") for r in m.args}:
                    cited.setdefault(rule, set()).add(item.path.name)

    os.environ.pop("CHARGEBEE_API_KEY", None)
    os.environ[ONLY_RULE], os.environ[SKIP_SLOW] = "", "1"
    argv = [*_modules(()), "-p", "cbconform.plugin", "-p", "cbconform.mutants.select", "--collect-only",
            "-p", "no:cacheprovider", "-p", "no:unraisableexception", "-q", "--assert=plain",
            "--profile=ci", f"--rootdir={paths.suites_dir()}"]  # fmt: skip
    if pytest.main(argv, plugins=[Cited()]) != pytest.ExitCode.OK:
        raise RuntimeError("the suites could not be collected")
    return {"cited": {rule: sorted(names) for rule, names in cited.items()}}


def _modules(files: tuple[str, ...]) -> list[str]:
    return [str(paths.suites_dir() / name) for name in files] or [str(paths.suites_dir())]


class _Results:
    """Keeps the results model the cbconform plugin leaves in the config's stash."""

    results: dict[str, Any] | None = None

    def pytest_unconfigure(self, config: Any) -> None:
        from cbconform.plugin import RESULTS

        self.results = config.stash.get(RESULTS, None)


def peer(fault: str | None, operations: tuple[str, ...], examples: int) -> dict[str, Any]:
    """`schemathesis run` with its default checks against the faulty server: the failures it reports.

    --continue-on-failure gives it its best chance: stopping at an operation's first failure would let
    a failure the clean server also shows hide every fault on that operation."""
    import schemathesis.cli
    from schemathesis.checks import CHECKS

    if "cbconform_rules" in {c.__name__ for c in CHECKS.get_all()}:
        raise RuntimeError("the project's check is registered: the peer would not be schemathesis as shipped")
    url = _serve(fault)
    tmp = Path(tempfile.mkdtemp(prefix="cbpeer-"))
    spec = tmp / "openapi.json"
    spec.write_text(_spec(), encoding="utf-8")
    os.chdir(tmp)  # schemathesis writes its own folders into the working directory
    argv = ["run", str(spec), "--url", url, "--auth", f"{KEY}:", "--max-examples", str(examples),
            "--seed", "1", "--continue-on-failure",
            "--report", "junit", "--report-dir", str(tmp), "--no-color"]  # fmt: skip
    for operation in operations:
        argv += ["--include-operation-id", operation]
    with contextlib.suppress(SystemExit):
        schemathesis.cli.schemathesis.main(argv, standalone_mode=False)
    return {"failures": sorted(junit_failures(next(tmp.glob("junit*.xml"), tmp / "junit.xml")))}


@functools.cache
def _spec() -> str:
    """The OpenAPI document, built once in the parent: every peer run tests the same one."""
    from cbconform import contracts, openapi

    return json.dumps(openapi.build(contracts.load()))


def _serve(fault: str | None, admin: bool = False) -> str:
    """The faulty server for the rest of this child's life (the child exits after its task)."""
    return _start(frozenset([fault] if fault else []), {}, admin)[0]


@contextlib.contextmanager
def served(readings: dict[str, str], faults: frozenset[str]) -> Iterator[str]:
    """The reference server with the admin API on a loopback port, for the block's duration."""
    url, server, thread = _start(faults, readings, admin=True)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def _start(
    faults: frozenset[str], readings: dict[str, str], admin: bool
) -> tuple[str, Any, threading.Thread]:
    import uvicorn

    from cbconform.server.app import create_app
    from cbconform.server.config import ServerConfig

    config = ServerConfig(api_key=KEY, admin=admin, readings=dict(readings), faults=faults)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(config), log_level="critical"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the reference server with faults {sorted(faults)} did not start")
        time.sleep(0.01)
    return f"http://127.0.0.1:{sock.getsockname()[1]}/api/v2", server, thread


def junit_failures(path: Path) -> set[str]:
    if not path.exists():
        return {"(no report)"}
    found = set()
    for case in ET.parse(path).iter("testcase"):
        for failure in list(case.iter("failure")) + list(case.iter("error")):
            first = (failure.get("message") or failure.text or "").strip().splitlines()[:1]
            found.add(f"{case.get('name')}: {first[0] if first else failure.tag}")
    return found
