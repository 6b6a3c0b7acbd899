"""The pieces behind the hostile runs, in-process and fast: safe text, unbreakable writers, bounded
reads, deadlines and requests left unanswered, the live-host guard and the throttle defaults."""

from __future__ import annotations

import copy
import json
import time
import xml.parsers.expat
from pathlib import Path
from types import SimpleNamespace

import html5lib
import httpx
import pytest

from cbconform import contracts, story
from cbconform.api import SILENT_LIMIT, Api, Recorder
from cbconform.exchange import Exchange
from cbconform.outcomes import Classifier
from cbconform.report import incomplete_because, safe, write_all
from cbconform.results import Evidence
from cbconform.target import TargetError, resolve
from cbconform.transport import BudgetExhausted, Mannered, RunStopped, Unanswered, read_bounded

SAMPLE = Path(__file__).parents[1] / "report" / "samples" / "failing.json"


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


# ---------------------------------------------------------------------- safe text


def test_text_safe_for_each_medium():
    hostile = "a\ud800b\x1b[31mc\x00d\u202ee\r\nf\ufffe"
    assert safe.clean(hostile).encode("utf-8")
    assert "\\ud800" in safe.clean(hostile)
    parser = xml.parsers.expat.ParserCreate()
    parser.Parse(f"<x a='{safe.xml(hostile)}'>{safe.xml(hostile)}</x>".encode(), True)
    assert "\x1b" not in safe.visible(hostile) and "\u202e" not in safe.visible(hostile)
    assert "\r" in safe.visible(hostile) and "\r" not in safe.terminal(hostile)
    assert safe.clean("\ud83d\ude00") == "\U0001f600"  # a pair written as two halves is joined


def test_pretty_json_is_iterative_and_exact():
    value = {"a": [1, {"b": None, "c": 'x"y'}], "d": {}, "e": [], "f": 1.5}
    assert json.loads(safe.pretty_json(value)) == value
    assert json.loads(safe.pretty_json(value, max_depth=1)) == value
    deep = json.loads(_deep(900))
    assert json.loads(safe.pretty_json(deep)) == deep
    assert len(safe.pretty_json(deep, limit=500)) < 1000


def test_json_nested_beyond_the_limit_is_shown_raw():
    assert safe.parse_json(_deep(100_000)) == (False, None)
    assert safe.parse_json('{"a": [1]}') == (True, {"a": [1]})


# ---------------------------------------------------------------------- writers


def _hostile_model() -> dict:
    model = json.loads(SAMPLE.read_text(encoding="utf-8"))
    failure = model["failures"][0]
    failure["received"] = "lone \ud800 ctl \x1b[2J\x00 bidi \u202e"
    failure["title"] = "bell \x07"
    failure["exchange"]["response"]["body"] = '{"deep": ' + _deep(50_000) + "}"
    model["tests"][0]["message"] = "nul \x00 and \udfff"
    return model


def _well_formed(report_dir: Path) -> dict:
    assert sorted(p.name for p in report_dir.iterdir()) == ["junit.xml", "report.html", "results.json"]
    results = json.loads((report_dir / "results.json").read_bytes().decode("utf-8"))
    xml.parsers.expat.ParserCreate().Parse((report_dir / "junit.xml").read_bytes(), True)
    html5lib.HTMLParser(strict=False).parse((report_dir / "report.html").read_bytes())
    assert "\x1b" not in (report_dir / "report.html").read_text("utf-8")
    return results


def test_hostile_strings_and_deep_bodies_cannot_break_the_writers(tmp_path):
    write_all(_hostile_model(), tmp_path)
    results = _well_formed(tmp_path)
    assert results["summary"]["verdict"] == json.loads(SAMPLE.read_text())["summary"]["verdict"]


def test_a_report_that_fails_to_render_leaves_the_others_and_an_error(tmp_path, monkeypatch):
    from cbconform.report import html

    def broken(model):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(html, "render", broken)
    model = _hostile_model()
    write_all(model, tmp_path)
    results = _well_formed(tmp_path)
    assert results["summary"]["verdict"] == model["summary"]["verdict"] == "error"
    assert any("report.html could not be rendered" in e["message"] for e in results["errors"])
    assert "could not be rendered" in (tmp_path / "report.html").read_text("utf-8")


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    import os

    def refuse(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        write_all(copy.deepcopy(json.loads(SAMPLE.read_text())), tmp_path)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------- bounded reads and deadlines


def _streaming(chunks, delay: float = 0.0) -> httpx.Response:
    def stream():
        for chunk in chunks:
            time.sleep(delay)
            yield chunk

    return httpx.Response(200, content=stream(), request=httpx.Request("GET", "http://t/"))


def test_reading_stops_at_the_cap():
    endless = (b"x" * 65536 for _ in range(10**9))
    body, truncated = read_bounded(_streaming(endless), 1_000_000, time.monotonic() + 30)
    assert truncated and len(body) == 1_000_000


def test_a_trickle_meets_the_total_deadline_not_a_per_chunk_timeout():
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        read_bounded(_streaming((b" " for _ in range(10**6)), delay=0.05), 10**6, started + 0.5)
    assert time.monotonic() - started < 2


def test_run_deadline_stops_every_later_request():
    transport = Mannered(httpx.MockTransport(lambda r: httpx.Response(200)), None, None, run_deadline_s=0.2)
    client = httpx.Client(transport=transport)
    assert client.get("http://t/").status_code == 200
    time.sleep(0.3)
    for _ in range(2):
        with pytest.raises(RunStopped, match="run deadline"):
            client.get("http://t/")
    assert issubclass(BudgetExhausted, RunStopped)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (httpx.ConnectError("Connection refused"), "no answer: ConnectError: Connection refused"),
        (
            httpx.RemoteProtocolError("Server disconnected"),
            "no answer: RemoteProtocolError: Server disconnected",
        ),
        (httpx.ReadTimeout("timed out"), "no complete answer within 2 s"),
    ],
    ids=["refused", "dropped", "silent"],
)
def test_a_request_left_unanswered_is_neither_a_failure_nor_a_harness_error(answer, reason):
    def transport(request: httpx.Request) -> httpx.Response:
        raise answer

    target = resolve({"target": "http://127.0.0.1:9/api/v2", "request_deadline": 2}, env={})
    recorder = Recorder()
    api = Api(target, contracts.load(), httpx.MockTransport(transport), recorder)
    with pytest.raises(Unanswered) as raised:
        api.call("personalized_offers", body={"customer_id": "c"})
    assert (raised.value.reason, raised.value.request) == (
        reason,
        "POST http://127.0.0.1:9/api/v2/personalized_offers",
    )
    with pytest.raises(Unanswered):  # the rest of this test (hypothesis's retries too) ends at once
        api.call("personalized_offers", body={"customer_id": "c"})
    assert recorder.requests == 1  # the second was never sent


def test_a_target_that_went_away_stops_the_run_after_a_few_requests_in_a_row():
    answers = iter([httpx.ConnectError("refused")] * 3 + [httpx.Response(200, json={})] + [None] * 10)

    def transport(request: httpx.Request) -> httpx.Response:
        answer = next(answers) or httpx.ConnectError("refused")
        if isinstance(answer, Exception):
            raise answer
        return answer

    target = resolve({"target": "http://127.0.0.1:9/api/v2"}, env={})
    recorder = Recorder()
    api = Api(target, contracts.load(), httpx.MockTransport(transport), recorder)
    sent = []
    for _ in range(3 + 1 + SILENT_LIMIT):
        recorder.unanswered = None  # a new test
        try:
            api.call("personalized_offers", body={"customer_id": "c"})
            sent.append("answered")
        except Unanswered:
            sent.append("unanswered")
    assert sent == ["unanswered"] * 3 + ["answered"] + ["unanswered"] * SILENT_LIMIT  # an answer resets it
    with pytest.raises(RunStopped, match=f"stopped answering \\({SILENT_LIMIT} requests in a row went"):
        api.call("personalized_offers", body={"customer_id": "c"})
    assert recorder.requests == 3 + 1 + SILENT_LIMIT


def test_an_unanswered_request_leaves_its_test_not_run_and_the_run_incomplete():
    evidence = Evidence()
    classifier = Classifier(evidence, {"R-A"}, set(), lambda *a: {}, lambda reason: None)
    item = SimpleNamespace(nodeid="t1", iter_markers=lambda name: [SimpleNamespace(args=("R-A",))])
    error = Unanswered("no complete answer within 2 s", "POST http://t/api/v2/x")
    call = SimpleNamespace(excinfo=SimpleNamespace(value=error))
    report = SimpleNamespace(
        when="call", failed=True, skipped=False, passed=False, fspath="t.py", duration=0.1
    )
    classifier.record(item, call, report)
    assert evidence.tests["t1"].outcome == "not_run" and evidence.errors == [] and evidence.failures == []
    assert evidence.unanswered == [
        {"test": "t1", "request": "POST http://t/api/v2/x", "reason": "no complete answer within 2 s"}
    ]
    assert report.outcome == "skipped"
    run = {"stop_reason": None, "unanswered": evidence.unanswered}
    assert incomplete_because(run) == (
        "the target left a request unanswered (POST http://t/api/v2/x: no complete answer within 2 s)"
    )


def test_a_story_is_told_whatever_the_nesting_of_either_body():
    request = httpx.Request("POST", "http://t/api/v2/personalized_offers", content=_deep(100_000).encode())
    answer = httpx.Response(200, content=_deep(100_000).encode(), request=request)
    exchange = Exchange.record(answer, operation="personalized_offers")
    exchange.response_headers = {}
    (told,) = story.capture([exchange], exchange, "key")
    assert told["ids"] == {} and "sent_ids" not in told


def test_a_retry_after_beyond_the_run_deadline_stops_the_run_at_once():
    limited = httpx.MockTransport(lambda r: httpx.Response(429, headers={"Retry-After": "30"}))
    client = httpx.Client(transport=Mannered(limited, None, None, run_deadline_s=5))
    started = time.monotonic()
    with pytest.raises(RunStopped, match=r"would pass while the target's rate limit \(Retry-After 30 s\)"):
        client.get("http://t/")
    assert time.monotonic() - started < 2


def test_a_throttled_run_says_so_once():
    said = []
    transport = Mannered(httpx.MockTransport(lambda r: httpx.Response(200)), 6000, None, notify=said.append)
    client = httpx.Client(transport=transport)
    for _ in range(4):
        client.get("http://t/")
    assert len(said) == 1 and "6000 requests a minute" in said[0]


def test_redirects_to_another_origin_are_not_followed():
    from cbconform.api import Api, Recorder
    from cbconform.contracts import load

    seen = []

    def answer(request):
        seen.append(request.url.host)
        return httpx.Response(302, headers={"location": "http://elsewhere.example/steal"}, request=request)

    target = resolve({"target": "http://127.0.0.1:9/api/v2", "api_key": "sk_test_long_enough"}, env={})
    api = Api(target, load(), httpx.MockTransport(answer), Recorder())
    exchange = api.call("personalized_offers", body={"customer_id": "c"})
    assert exchange.status == 302 and seen == ["127.0.0.1"]


# ---------------------------------------------------------------------- the live-host guard


@pytest.mark.parametrize(
    "cli",
    [
        {"target": "https://acme.chargebee.com/api/v2"},
        {"target": "https://ACME.Chargebee.COM./api/v2"},
        {"target": "https://chargebee.com/api/v2"},
        {"grow_url": "https://acme.grow.chargebee.com/api/v2", "core_url": "http://127.0.0.1:1/api/v2"},
        {"grow_url": "http://127.0.0.1:1/api/v2", "core_url": "https://acme.chargebee.com/api/v2"},
        {"target": "https://user:pw@acme.chargebee.com:443/api/v2"},
        {"site": "evil.example/x?a=-test"},
        {"site": "acme"},
    ],
)
def test_live_hosts_are_refused_however_named(cli):
    with pytest.raises(TargetError) as error:
        resolve(cli, env={})
    assert str(error.value).count(". ") == 0  # one sentence


def test_live_hosts_from_the_environment_and_a_file_are_refused(tmp_path):
    with pytest.raises(TargetError, match="live Chargebee host"):
        resolve({}, env={"CBCONFORM_GROW_URL": "https://a.chargebee.com", "CBCONFORM_CORE_URL": "http://x"})
    config = tmp_path / "t.toml"
    config.write_text('[target]\ntarget = "https://acme.chargebee.com/api/v2"\n', encoding="utf-8")
    with pytest.raises(TargetError, match="live Chargebee host"):
        resolve({"config": str(config)}, env={})


def test_test_sites_and_allowed_live_sites_pass():
    assert not resolve({"target": "https://acme-test.chargebee.com/api/v2"}, env={}).embedded
    assert not resolve({"target": "https://acme-test.grow.chargebee.com/api/v2"}, env={}).embedded
    live = {"target": "https://acme.chargebee.com/api/v2", "allow_live_site": True}
    assert resolve(live, env={}).grow_url == "https://acme.chargebee.com/api/v2"


# ---------------------------------------------------------------------- throttling


@pytest.mark.parametrize(
    ("cli", "rate"),
    [
        ({"target": "http://127.0.0.1:8080/api/v2"}, None),
        ({"target": "http://127.9.9.9:8080/api/v2"}, None),
        ({"target": "http://localhost:8080/api/v2"}, None),
        ({"target": "http://[::1]:8080/api/v2"}, None),
        ({"target": "https://emulator.example/api/v2"}, 150),
        ({"target": "https://emulator.example/api/v2", "rate": 0}, None),
        ({"target": "https://emulator.example/api/v2", "rate": "0"}, None),
        ({"target": "http://127.0.0.1:8080/api/v2", "rate": 30}, 30),
        ({}, None),
    ],
)
def test_throttle_fits_the_target(cli, rate):
    assert resolve(cli, env={}).rate == rate
