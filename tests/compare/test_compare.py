"""`cbconform compare`: the clean reference server is alike to itself, and differs from a faulty one
by the rule the fault breaks, for faults on all five operations. All targets are embedded (in-process);
the clean run is made once and compared with each faulty run."""

from __future__ import annotations

import json

import html5lib
import pytest

from cbconform import cli
from cbconform.compare import model_of, targets
from cbconform.server.faults import catalogue

SEED = 1
# (fault, the operation it shows on): at least 20, covering the five operations.
FAULTS = [
    ("offers-without-expires-at", "personalized_offers"),
    ("customer-id-optional", "personalized_offers"),
    ("offers-answer-201", "personalized_offers"),
    ("offers-listed-twice", "personalized_offers"),
    ("create-answers-200", "create_offer_fulfillment"),
    ("hosted-page-on-email", "create_offer_fulfillment"),
    ("accept-51-char-option-id", "create_offer_fulfillment"),
    ("timestamps-in-milliseconds", "create_offer_fulfillment"),
    ("unknown-fulfillment-400", "retrieve_offer_fulfillment"),
    ("retrieve-answers-202", "retrieve_offer_fulfillment"),
    ("fulfillment-not-wrapped", "retrieve_offer_fulfillment"),
    ("failure-reason-optional", "update_offer_fulfillment"),
    ("terminal-update-allowed", "update_offer_fulfillment"),
    ("merchant-updates-billing-update", "update_offer_fulfillment"),
    ("completed-at-missing", "update_offer_fulfillment"),
    ("order-id-41-accepted", "create_order"),
    ("invoice-id-optional", "create_order"),
    ("duplicate-order-id-accepted", "create_order"),
    ("order-answers-201", "create_order"),
    ("error-without-api-error-code", "personalized_offers"),
    ("no-auth", "personalized_offers"),
    ("any-key-accepted", "personalized_offers"),
    # headers, idempotency, the event log, the clock and the rate limit (compare/features.py)
    ("origin-ip-any-value", "create_offer_fulfillment"),
    ("business-entity-id-unbounded", "create_offer_fulfillment"),
    ("replay-without-header", "create_offer_fulfillment"),
    ("idempotency-conflict-ignored", "create_offer_fulfillment"),
    ("idempotency-key-unbounded", "create_offer_fulfillment"),
    ("origin-user-wins", "create_offer_fulfillment"),
    ("event-email-ignored", "create_offer_fulfillment"),
    ("no-failed-event", "update_offer_fulfillment"),
    ("billing-update-never-settles", "retrieve_offer_fulfillment"),
    ("no-retry-after", "personalized_offers"),
]


@pytest.fixture(scope="module")
def clean():
    target = targets.parse("embedded", "A")
    return target, targets.run_plan(targets.connect(target, "A"), "A", SEED)


def test_fault_list_is_wide_enough():
    assert len(FAULTS) >= 20
    assert {op for _, op in FAULTS} == {
        "personalized_offers",
        "create_offer_fulfillment",
        "retrieve_offer_fulfillment",
        "update_offer_fulfillment",
        "create_order",
    }


@pytest.mark.parametrize("fault", [name for name, _ in FAULTS])
def test_clean_and_faulty_differ_by_the_faults_rule(clean, fault):
    faulty = targets.parse(f"embedded:fault={fault}", "B")
    run = targets.run_plan(targets.connect(faulty, "B"), "B", SEED)
    model = model_of([clean[0], faulty], [clean[1], run], SEED)
    assert model["verdict"] == "differ"
    assert catalogue()[fault].rule in {r["rule"] for r in model["rules"]}


def test_clean_with_itself_exits_0(tmp_path, capsys):
    code = cli.main(["compare", "embedded", "embedded", "--seed", str(SEED), "--report-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "compare: ALIKE" in out and "not compared: ids" in out
    model = json.loads((tmp_path / "compare.json").read_text())
    assert model["verdict"] == "alike" and model["rules"] == [] and model["operations"] == {}
    assert "behave alike" in (tmp_path / "compare.html").read_text()


def test_clean_with_faulty_exits_1_naming_the_rule(tmp_path, capsys):
    fault, rule = "undocumented-status", catalogue()["undocumented-status"].rule
    argv = [
        "compare",
        "embedded",
        f"embedded:fault={fault}",
        "--seed",
        str(SEED),
        "--report-dir",
        str(tmp_path),
    ]
    code = cli.main(argv)
    out = capsys.readouterr().out
    assert code == 1, out
    assert f"  {rule}: pass on A, fail on B" in out and "compare: DIFFER" in out
    html = (tmp_path / "compare.html").read_text()
    assert rule in html and 'class="differs"' in html
    html5lib.HTMLParser(strict=True).parse(html)


@pytest.mark.parametrize(
    "spec, words",
    [
        ("embedded:fault=no-such-fault", "Unknown fault"),
        ("embedded:colour=blue", "neither fault=NAME"),
        ("ftp-less-words", "is not a URL"),
        ("site:acme", "live site"),
    ],
)
def test_usage_errors_exit_2(spec, words, tmp_path, capsys):
    assert cli.main(["compare", "embedded", spec, "--report-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1


def test_unreachable_target_exits_3(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CHARGEBEE_API_KEY", "k_unreachable_target")
    assert cli.main(["compare", "embedded", "http://127.0.0.1:9/api/v2", "--report-dir", str(tmp_path)]) == 3
    err = capsys.readouterr().err
    assert "Target B" in err and "cannot be reached" in err and "Traceback" not in err
