"""`cbconform run` against a target that misbehaves in every way we know (tests/hostile/hostile_server.py).

Whatever it sends, the run ends by itself within its deadlines, exits with a classified code, writes
three well-formed reports, leaks no form of the key, prints no traceback and stays under 500 MB. A
request the target leaves unanswered is neither its failure of a rule nor the harness's error: the run
is incomplete (exit 4)."""

from __future__ import annotations

import json
import xml.parsers.expat

import html5lib
import pytest
from hostile_runs import Run, key_forms

FAIL, INCOMPLETE = 1, 4
EXPECTED = {  # case: the exit codes that classify it rightly
    # deep JSON, lone surrogates, control characters, invalid UTF-8, an unknown charset, HTML 500s, a
    # gzip body that is not, the key echoed in every encoding, redirects elsewhere: the target is wrong
    "mixed": {FAIL},
    "oversized": {FAIL},  # 60 MB and endless bodies: "response larger than N bytes"
    # trickling and never answering: each request meets its total deadline, then the run meets its own
    "stalling": {INCOMPLETE},
}
MAX_SECONDS = 120
MAX_RSS_MB = 500


@pytest.fixture(params=sorted(EXPECTED))
def run(request, runs) -> Run:
    return runs[request.param].wait()


def test_exit_code_is_classified(run: Run) -> None:
    assert run.code in EXPECTED[run.case], (run.code, run.stdout[-3000:], run.stderr[-3000:])


def test_no_traceback_and_bounded(run: Run) -> None:
    for stream in (run.stdout, run.stderr):
        assert "Traceback (most recent call last)" not in stream, stream[-3000:]
    assert "API key was found" not in run.stdout
    print(f"{run.case}: exit {run.code}, {run.seconds:.1f} s, peak RSS {run.rss_mb:.0f} MB")  # with -s
    assert run.seconds < MAX_SECONDS
    assert run.rss_mb < MAX_RSS_MB


def test_three_reports_well_formed(run: Run) -> None:
    names = {p.name for p in run.report_dir.iterdir()}
    assert names == {"results.json", "junit.xml", "report.html"}, names  # no temporary file left behind
    results = json.loads((run.report_dir / "results.json").read_bytes().decode("utf-8"))
    assert results["summary"]["verdict"] in ("fail", "error", "incomplete")
    parser = xml.parsers.expat.ParserCreate()
    parser.Parse((run.report_dir / "junit.xml").read_bytes(), True)
    html5lib.HTMLParser(strict=False).parse((run.report_dir / "report.html").read_bytes())
    html = (run.report_dir / "report.html").read_text("utf-8")
    assert "\x1b" not in html and "\x00" not in html


def test_whatever_the_target_sends_the_harness_does_not_err(run: Run) -> None:
    results = json.loads((run.report_dir / "results.json").read_text("utf-8"))
    assert results["errors"] == [], [e["message"] for e in results["errors"]]


def test_no_form_of_the_key_anywhere(run: Run) -> None:
    texts = {"stdout": run.stdout, "stderr": run.stderr}
    texts |= {p.name: p.read_text("utf-8", "replace") for p in run.report_dir.iterdir()}
    texts["results.json strings"] = "\n".join(_strings(json.loads(texts["results.json"])))
    for name, text in texts.items():
        found = [form for form in key_forms() if form in text]
        assert not found, (name, found)


def test_oversized_answers_fail_the_rule_with_the_size(runs) -> None:
    run = runs["oversized"].wait()
    results = json.loads((run.report_dir / "results.json").read_text("utf-8"))
    received = {f["rule_id"]: f["received"] for f in results["failures"]}
    assert received.get("ENC-RESPONSE-JSON", "").startswith("response larger than 4194304 bytes"), received


def test_a_stalling_target_meets_the_deadlines(runs) -> None:
    run = runs["stalling"].wait()
    results = json.loads((run.report_dir / "results.json").read_text("utf-8"))
    assert results["errors"] == [] and results["failures"] == []
    assert {u["reason"] for u in results["run"]["unanswered"]} == {"no complete answer within 2 s"}
    assert results["run"]["stop_reason"] == "the run deadline (5 s) has passed"
    assert "the target left 2 requests unanswered" in run.stdout


def test_redirect_is_never_followed(runs, hostile) -> None:
    runs["mixed"].wait()
    assert hostile.counts["mixed"] > 10  # every kind of answer was played at least once
    assert hostile.other.connections == 0


def test_the_echoing_target_did_receive_the_key(runs, hostile) -> None:
    """Proves the leak test above is not vacuous: the key went out and came back."""
    runs["mixed"].wait()
    assert any(case == "mixed" and "authorization" in headers for case, _, _, headers in hostile.seen)


def _strings(value) -> list[str]:
    stack, found = [value], []
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
            found.extend(k for k in item if isinstance(k, str))
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            found.append(item)
    return found
