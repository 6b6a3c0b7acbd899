"""A planted API key never reaches the reports or the output of `cbconform run`."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import pytest

KEY = "sk_test_PLANTED_9f8e7d"
FORMS = (KEY, base64.b64encode(f"{KEY}:".encode()).decode(), base64.b64encode(KEY.encode()).decode())


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    report_dir = tmp_path_factory.mktemp("reports")
    env = {k: v for k, v in os.environ.items() if k != "CHARGEBEE_API_KEY"}
    argv = ["run", "--api-key", KEY, "--report-dir", str(report_dir), "--progress", "lines"]
    argv += ["--", "--fault=undocumented-status", "-k", "option_is_acceptable or fetch"]
    result = subprocess.run(
        [sys.executable, "-m", "cbconform.cli", *argv], capture_output=True, text=True, env=env, timeout=300
    )
    return report_dir, result


def test_run_failed_on_the_fault_not_on_a_leak(run):
    report_dir, result = run
    assert result.returncode == 1, result.stdout[-2000:]
    assert "API key was found" not in result.stdout
    assert json.loads((report_dir / "results.json").read_text())["failures"]


def test_key_absent_from_every_report_file(run):
    report_dir, _ = run
    files = [p for p in report_dir.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"results.json", "junit.xml", "report.html"}
    for path in files:
        data = path.read_text(encoding="utf-8", errors="replace")
        assert not [form for form in FORMS if form in data], path.name


def test_key_absent_from_output(run):
    _, result = run
    for form in FORMS:
        assert form not in result.stdout
        assert form not in result.stderr


def test_curl_uses_the_environment_variable(run):
    report_dir, _ = run
    failures = json.loads((report_dir / "results.json").read_text())["failures"]
    for failure in failures:
        if failure["exchange"] is not None:
            assert '-u "$CHARGEBEE_API_KEY:"' in failure["curl"]
            assert "[REDACTED]" not in failure["curl"]


def test_replay_output_keeps_the_key_out(run):
    report_dir, _ = run
    argv = ["replay", str(report_dir / "results.json"), "--api-key", KEY, "--failure", "F1"]
    result = subprocess.run([sys.executable, "-m", "cbconform.cli", *argv], capture_output=True, text=True)
    assert result.returncode in (0, 1), result.stderr
    assert result.stdout.startswith("F1 ")
    for form in FORMS:
        assert form not in result.stdout + result.stderr


# ---------------------------------------------------------------------- cbconform.redact, in-process

LONG = "sk_live_NOT_A_REAL_KEY_42"


def _spellings(key: str) -> dict[str, str]:
    from urllib.parse import quote

    basic = base64.b64encode(f"{key}:".encode()).decode()
    return {
        "raw": key,
        "json": json.dumps(key)[1:-1],
        "unicode lower": "".join(f"\\u{ord(c):04x}" for c in key),
        "unicode upper": "".join(f"\\u{ord(c):04X}" for c in key),
        "unicode one": key[:3] + f"\\u{ord(key[3]):04x}" + key[4:],
        "percent": "".join(f"%{b:02X}" for b in key.encode()),
        "percent quote": quote(key, safe=""),
        "percent one": key[:5] + f"%{ord(key[5]):02x}" + key[6:],
        "base64 of KEY:": basic,
        "base64 of KEY": base64.b64encode(key.encode()).decode(),
        "authorization": f"Basic {basic}",
        "base64 of KEY:password": base64.b64encode(f"{key}:password".encode()).decode(),
    }


@pytest.mark.parametrize("form", list(_spellings(LONG)))
def test_every_spelling_of_the_key_is_scrubbed(form):
    from cbconform.redact import Scrubber

    spelling = _spellings(LONG)[form]
    scrubbed = Scrubber([LONG]).text(f"before {spelling} after")
    if form == "authorization":
        assert scrubbed == "before Basic [REDACTED] after"
    elif form == "base64 of KEY:password":  # the stable prefix, which encodes the key, is gone
        assert scrubbed.startswith("before [REDACTED]") and scrubbed.endswith(" after")
    else:
        assert scrubbed == "before [REDACTED] after"


def test_scrubbing_never_rewrites_other_text():
    from cbconform.redact import Scrubber

    scrubber = Scrubber([LONG])
    ordinary = "checkout sk_live_NOT_A_REAL ✓ %73%6B \\u0073k https://acme-test.grow.chargebee.com exit 3"
    assert scrubber.text(ordinary) == ordinary


def test_scrubbing_walks_deep_values_without_recursion():
    from cbconform.redact import Scrubber

    deep: list = []
    node = deep
    for _ in range(50_000):
        node.append([])
        node = node[0]
    node.append(LONG)
    scrubbed = Scrubber([LONG]).value({LONG: deep})
    assert list(scrubbed) == ["[REDACTED]"]


def test_a_short_key_is_refused_for_a_remote_target_only():
    from cbconform.target import TargetError, resolve

    with pytest.raises(TargetError, match="shorter than 8 characters") as error:
        resolve({"target": "http://127.0.0.1:8080/api/v2", "api_key": "k"}, env={})
    assert str(error.value).count(".") == 1  # one sentence
    assert resolve({"api_key": "k"}, env={}).api_key == "k"  # the embedded server guards nothing


def test_a_short_key_is_not_scrubbed_so_text_stays_whole():
    from cbconform.redact import Scrubber

    assert Scrubber(["k", "test"]).text("checkout acme-test exit 3") == "checkout acme-test exit 3"


def test_exchange_keeps_what_the_target_sent_and_scrubs_its_output():
    import httpx

    from cbconform import redact
    from cbconform.exchange import Exchange

    redact.register(LONG)
    request = httpx.Request("POST", "http://127.0.0.1/api/v2/x", headers={"authorization": "Basic abc"})
    body = json.dumps({"status": "checkout", "echo": LONG}).encode()
    exchange = Exchange.record(httpx.Response(200, content=body, request=request))
    assert exchange.json() == {"status": "checkout", "echo": LONG}  # checks see the bytes sent
    out = json.dumps(exchange.to_dict())
    assert LONG not in out and "checkout" in out
    assert exchange.to_dict()["request"]["headers"]["authorization"] == "[REDACTED]"


def test_redacting_stream_survives_lone_surrogates():
    import io

    from cbconform.redact import RedactingStream, Scrubber

    sink = io.StringIO()
    RedactingStream(sink, Scrubber([LONG])).write(f"a\ud800 {LONG}\n")
    assert sink.getvalue() == "a\\ud800 [REDACTED]\n"
