"""`cbconform replay` on the results of real fault runs against the embedded reference server: single
requests, stateful stories (ids the new target returns, clock moves) and the standalone pytest file."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAULT, RULE = "offers-without-expires-at", "PO-RESPONSE-EXPIRES-AT"
STATEFUL_FAULT, STATEFUL_RULE = "completed-at-missing", "OF-COMPLETED-AT-ONLY-COMPLETED"
KEY = "test_conformance_key"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cbconform.cli", *args], capture_output=True, text=True, timeout=120, env=env
    )


def fault_run(directory: Path, suite: str, selection: str, fault: str) -> Path:
    argv = [
        ROOT / "suites" / suite,
        "-p",
        "cbconform.plugin",
        "-p",
        "no:cacheprovider",
        "-q",
        "-k",
        selection,
    ]
    argv += [f"--report-dir={directory}", f"--fault={fault}"]
    subprocess.run([sys.executable, "-m", "pytest", *map(str, argv)], capture_output=True, timeout=180)
    return directory / "results.json"


@pytest.fixture(scope="module")
def results_file(tmp_path_factory) -> Path:
    path = fault_run(tmp_path_factory.mktemp("fault-run"), "test_personalized_offers.py", "fetch", FAULT)
    assert {f["rule_id"] for f in json.loads(path.read_text())["failures"]} == {RULE}
    return path


@pytest.fixture(scope="module")
def stateful_file(tmp_path_factory) -> Path:
    selection = "applies_status and webhook and completed"
    path = fault_run(
        tmp_path_factory.mktemp("stateful"), "test_offer_fulfillments_update.py", selection, STATEFUL_FAULT
    )
    failures = json.loads(path.read_text())["failures"]
    assert [f["rule_id"] for f in failures] == [STATEFUL_RULE]
    return path


def lines(result: subprocess.CompletedProcess) -> list[str]:
    return (result.stdout + result.stderr).strip().splitlines()


def edited(path: Path, tmp_path: Path, edit) -> Path:
    results = json.loads(path.read_text())
    edit(results)
    changed = tmp_path / "results.json"
    changed.write_text(json.dumps(results))
    return changed


def test_same_faulty_server_still_fails(results_file):
    result = run("replay", str(results_file))
    assert result.returncode == 1, result.stderr
    assert lines(result) and all(f" {RULE} STILL FAILING: " in line for line in lines(result))


def test_faults_cleared_is_fixed(results_file, tmp_path):
    cleared = edited(results_file, tmp_path, lambda r: r["target"].update(faults=[]))
    result = run("replay", str(cleared), "--failure", "F1")
    assert result.returncode == 0, result.stderr
    assert lines(result) == [f"F1 {RULE} FIXED"]


def test_unknown_failure_is_usage_error(results_file):
    result = run("replay", str(results_file), "--failure", "F999")
    assert result.returncode == 2
    assert len(lines(result)) == 1 and "F999" in result.stderr


def test_missing_file_is_usage_error(tmp_path):
    result = run("replay", str(tmp_path / "absent.json"))
    assert result.returncode == 2
    assert len(lines(result)) == 1


def test_unreachable_target(results_file):
    result = run("replay", str(results_file), "--target", "http://127.0.0.1:9", "--api-key", "k")
    assert result.returncode == 3
    assert len(lines(result)) == 1 and "Traceback" not in result.stderr


def test_answer_in_another_status_class_cannot_be_replayed(results_file, tmp_path):
    def empty_body(results):
        results["target"]["faults"] = []
        results["failures"][0]["story"][-1]["body"] = ""

    result = run("replay", str(edited(results_file, tmp_path, empty_body)), "--failure", "F1")
    assert result.returncode == 1
    assert lines(result)[0].startswith(f"F1 {RULE} CANNOT REPLAY (the last request answered HTTP 4")


def test_story_is_the_exchanges_that_led_to_the_failure(stateful_file):
    failure = json.loads(stateful_file.read_text())["failures"][0]
    operations = [step["operation"] for step in failure["story"]]
    assert operations == ["personalized_offers", "create_offer_fulfillment", "update_offer_fulfillment"]
    created = failure["story"][1]["ids"]["/offer_fulfillment/id"]
    assert created in failure["story"][2]["url"] and created in failure["story"][2]["body"]


def test_embedded_failure_is_reproducible_on_a_served_server(stateful_file):
    failure = json.loads(stateful_file.read_text())["failures"][0]
    assert failure["reproduce"]["serve"] == f"cbconform serve --port 8080 --admin --fault={STATEFUL_FAULT}"
    assert "http://127.0.0.1:8080/api/v2/offer_fulfillments/" in failure["curl"]
    assert "embedded.invalid" not in json.dumps(failure)


def serve(*options: str):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    argv = [sys.executable, "-m", "cbconform.cli", "serve", "--port", str(port), *options]
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            break
        time.sleep(0.2)
    return server, f"http://127.0.0.1:{port}/api/v2"


@contextlib.contextmanager
def served_server(*options: str):
    server, url = serve(*options)
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def served():
    with served_server("--fault", FAULT) as url:
        yield url


@pytest.fixture(scope="module")
def faulty():
    with served_server("--admin", "--fault", STATEFUL_FAULT) as url:
        yield url


@pytest.fixture(scope="module")
def clean():
    with served_server("--admin") as url:
        yield url


def test_target_rewrites_the_recorded_url(results_file, served):
    result = run("replay", str(results_file), "--target", served, "--api-key", KEY)
    assert result.returncode == 1, result.stderr
    assert all(f" {RULE} STILL FAILING: " in line for line in lines(result))


def test_stateful_story_still_fails_on_the_faulty_server_then_is_fixed_on_a_clean_one(
    stateful_file, faulty, clean
):
    # Twice on the same server: the second time its ids differ from the recorded ones.
    for _ in range(2):
        result = run("replay", str(stateful_file), "--target", faulty, "--api-key", KEY)
        assert lines(result) == [
            f"F1 {STATEFUL_RULE} STILL FAILING: 'completed_at' is a required property at /offer_fulfillment"
        ]
        assert result.returncode == 1
    result = run("replay", str(stateful_file), "--target", clean, "--api-key", KEY)
    assert (result.returncode, lines(result)) == (0, [f"F1 {STATEFUL_RULE} FIXED"])


def test_clock_move_needs_the_clock_feature(stateful_file, tmp_path, served, clean):
    def clock_first(results):
        results["failures"][0]["story"].insert(0, {"clock": {"advance": 60}})

    moved = edited(stateful_file, tmp_path, clock_first)
    result = run("replay", str(moved), "--target", served, "--api-key", KEY)
    assert result.returncode == 1
    assert lines(result) == [
        f"F1 {STATEFUL_RULE} CANNOT REPLAY (the story moves the target's clock (advance 60) and the target"
        " offers no clock control (the reference server's admin API, `cbconform serve --admin`))"
    ]
    result = run("replay", str(moved), "--target", clean, "--api-key", KEY)
    assert (result.returncode, lines(result)) == (0, [f"F1 {STATEFUL_RULE} FIXED"])


def test_generated_pytest_file_fails_on_the_faulty_server_and_passes_on_a_clean_one(
    stateful_file, tmp_path, faulty, clean
):
    generated = tmp_path / "test_generated.py"
    result = run("replay", str(stateful_file), "--format", "pytest", "--output", str(generated))
    assert result.returncode == 0, result.stderr
    assert KEY not in generated.read_text()

    def pytest_against(url: str) -> subprocess.CompletedProcess:
        env = os.environ | {"CHARGEBEE_API_KEY": KEY, "CBCONFORM_TARGET": url}
        argv = [
            sys.executable,
            "-m",
            "pytest",
            str(generated),
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:cbconform",
        ]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)

    failing = pytest_against(faulty)
    assert failing.returncode == 1 and "1 failed" in failing.stdout, failing.stdout
    passing = pytest_against(clean)
    assert passing.returncode == 0 and "1 passed" in passing.stdout, passing.stdout


def test_story_of_a_hypothesis_test_is_its_last_shrunk_example():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from cbconform.exchange import Exchange
    from cbconform.story import Log, capture

    log = Log()

    def exchange(path: str) -> Exchange:
        return Exchange("POST", f"http://embedded.invalid/api/v2/{path}", {}, "", 200, {}, "{}", 0.0)

    log.append(exchange("fixture"))  # before any example, as a fixture's request is

    @settings(database=None, derandomize=True)
    @given(st.integers(min_value=0, max_value=1000))
    def example(n):
        for i in range(n % 7):
            log.append(exchange(f"step-{n}-{i}"))
        if n >= 20:
            log.clock({"advance": n})
            log.append(exchange(f"failing-{n}"))
            raise AssertionError

    with pytest.raises(AssertionError):
        example()
    story = capture(log, log[-1])
    paths = [s["url"].rsplit("/", 1)[1] if "url" in s else s for s in story]
    # The shrunk example is n = 20: six steps, the clock move, then the failing request.
    assert paths == ["fixture", *[f"step-20-{i}" for i in range(6)], {"clock": {"advance": 20}}, "failing-20"]
    assert story[0]["url"].startswith("http://127.0.0.1:8080/api/v2/")


def test_rule_judged_through_the_event_log_cannot_be_replayed(stateful_file, tmp_path):
    def event_rule(results):
        results["failures"][0]["rule_id"] = "UPD-FULFILLED-EVENT"

    result = run("replay", str(edited(stateful_file, tmp_path, event_rule)))
    assert result.returncode == 1
    assert lines(result)[0].startswith(
        "F1 UPD-FULFILLED-EVENT CANNOT REPLAY (the rule is judged through the target's event-log,"
    )


@pytest.fixture(scope="module")
def event_file(tmp_path_factory) -> Path:
    selection = "event_switch and email and create"
    path = fault_run(tmp_path_factory.mktemp("events"), "test_headers.py", selection, "event-email-ignored")
    failures = json.loads(path.read_text())["failures"]
    assert [f["rule_id"] for f in failures] == ["HDR-EVENT-EMAIL-SKIPS"]
    return path


def test_story_records_the_event_log_read_the_check_judged(event_file):
    story = json.loads(event_file.read_text())["failures"][0]["story"]
    read = story[-1]["admin"]
    assert (read["feature"], read["method"]) == ("event-log", "GET")
    assert read["path"].startswith("/events?fulfillment_id=") and story[-1]["answer"]["events"]


def test_event_log_story_needs_the_event_log_feature(event_file, served, clean):
    result = run("replay", str(event_file), "--target", served, "--api-key", KEY)
    assert result.returncode == 1
    [line] = lines(result)
    assert line.startswith(
        "F1 HDR-EVENT-EMAIL-SKIPS CANNOT REPLAY (the story uses the target's event-log (GET /__admin/events?"
    )
    assert line.endswith(
        " and the target offers no event-log (the reference server's admin API, `cbconform serve --admin`))"
    )
    result = run("replay", str(event_file), "--target", clean, "--api-key", KEY)
    assert (result.returncode, lines(result)) == (0, ["F1 HDR-EVENT-EMAIL-SKIPS FIXED"])
