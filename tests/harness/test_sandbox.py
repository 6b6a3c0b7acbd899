"""The sandbox profile (cbconform.planner): the default for a target beyond this machine; against a
served reference server it examines every gating rule the target's features allow, within 300
requests, and prints its measured plan first; a budget below the plan names the rules it cuts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from cbconform import planner, settings
from cbconform.server import DEFAULT_API_KEY

ROOT = Path(__file__).resolve().parents[2]
GOAL = 300  # issue 17: every MUST rule examined in about two minutes at 150 requests a minute
PLAN = re.compile(r"cbconform plan \(sandbox\): (\d+) requests, leaving (\d+) writes")


@pytest.fixture
def served_admin(serve) -> str:
    return serve()


@pytest.fixture
def served_plain(serve) -> str:
    """The reference server without /__admin: no clock, event log or rate-limit control."""
    return serve(admin=False)


def _results(report_dir: Path) -> dict:
    return json.loads((report_dir / "results.json").read_text(encoding="utf-8"))


def test_sandbox_run_examines_every_gating_rule_within_the_goal(cbconform_run, served_admin, tmp_path):
    proc = cbconform_run("--target", served_admin, "--profile", "sandbox", "--report-dir", str(tmp_path))
    model = _results(tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert model["summary"]["verdict"] == "pass" and model["summary"]["not_examined"] == []
    assert model["run"]["profile"] == "sandbox" and model["run"]["requests"] <= GOAL
    planned = PLAN.search(proc.stdout)
    assert planned, proc.stdout
    assert int(planned.group(1)) == model["run"]["requests"], "the plan is measured, so it is exact here"


def test_rules_needing_absent_features_are_skipped_not_counted(cbconform_run, served_plain, tmp_path):
    proc = cbconform_run("--target", served_plain, "--profile", "sandbox", "--report-dir", str(tmp_path))
    model = _results(tmp_path)
    assert proc.returncode == 0, proc.stdout
    rows = {r["id"]: r for r in model["rules"]}
    needing = [r for r in rows.values() if r["skip_reason"] and r["outcome"] == "skip"]
    assert any("clock" in r["skip_reason"] or "event" in r["skip_reason"] for r in needing), needing
    assert model["summary"]["not_examined"] == []
    assert int(PLAN.search(proc.stdout).group(1)) == model["run"]["requests"]


def test_a_budget_below_the_plan_is_incomplete_naming_the_rules_it_cut(cbconform_run, served_admin, tmp_path):
    budget = "60"
    args = ("--target", served_admin, "--profile", "sandbox", "--max-requests", budget)
    proc = cbconform_run(*args, "--report-dir", str(tmp_path))
    model = _results(tmp_path)
    assert proc.returncode == 4, proc.stdout
    assert model["summary"]["verdict"] == "incomplete" and model["summary"]["not_examined"]
    cut = next(line for line in proc.stdout.splitlines() if f"--max-requests {budget} is below" in line)
    named = set(re.findall(r"[A-Z]+(?:-[A-Z0-9]+)+", cut.split("not be examined")[-1]))
    assert named and named & set(model["summary"]["not_examined"]), cut


@pytest.mark.parametrize(
    ("given", "profile"),
    [
        ({}, "ci"),
        ({"target": "http://127.0.0.1:8080/api/v2"}, "ci"),
        ({"target": "https://emulator.example.com/api/v2"}, "sandbox"),
        ({"site": "acme-test"}, "sandbox"),
        ({"site": "acme-test", "profile": "ci"}, "ci"),
        ({"profile": "sandbox"}, "sandbox"),
    ],
)
def test_sandbox_is_the_default_beyond_loopback_unless_a_profile_is_chosen(given, profile):
    assert settings.layered(given, {})["profile"] == profile


def _item(name: str, **params):
    return SimpleNamespace(path="suite.py", originalname=name, callspec=SimpleNamespace(params=params))


def test_each_choice_keeps_every_value_of_every_parameter_once():
    items = [_item("t", raw=r, operation=o) for r in "abcdefgh" for o in (1, 2, 3, 4)]
    kept = planner.each_choice(items)
    assert len(kept) == 8
    assert {i.callspec.params["raw"] for i in kept} == set("abcdefgh")
    assert {i.callspec.params["operation"] for i in kept} == {1, 2, 3, 4}
    single = [_item("u", status=s) for s in range(7)]
    assert planner.each_choice(single) == single


def test_a_failure_on_a_shared_fulfillment_replays_with_the_exchanges_that_made_it(
    cbconform_run, serve, tmp_path
):
    """A sandbox run shares what a test only reads; the test that reuses it carries the earlier test's
    offer fetch and create in its story, so the failure replays on a fresh server."""
    faulty = serve(fault="retrieve-answers-202")
    first = "suites/test_personalized_offers.py::test_personalized_offers_option_is_acceptable"
    second = "suites/test_offer_fulfillments_retrieve.py::test_fulfillment_retrieve_returns_created"
    proc = cbconform_run("--target", faulty, "--profile", "sandbox", "--report-dir", str(tmp_path),
                         "--", first, second)  # fmt: skip
    assert proc.returncode == 1, proc.stdout[-3000:]
    reused = [f for f in _results(tmp_path)["failures"] if f["test"].startswith(second)]
    assert reused and all(f["story"][0]["operation"] == "personalized_offers" for f in reused)
    env = {settings.BY_NAME["api_key"].env: DEFAULT_API_KEY}
    for url, verdict in ((faulty, "STILL FAILING"), (serve(), "FIXED")):
        replay = subprocess.run(
            [sys.executable, "-m", "cbconform.cli", "replay", str(tmp_path / "results.json"),
             "--target", url],
            cwd=ROOT, env=os.environ | env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        lines = [line for line in replay.stdout.splitlines() if "RET-STATUS-200" in line]
        assert lines and all(verdict in line for line in lines), replay.stdout[-3000:]


def test_a_spent_budget_still_puts_back_the_rate_limit_it_set(cbconform_run, served_admin, tmp_path):
    """The budget runs out inside the rate-limit test: its teardown still lifts the limit, so the
    target is usable afterwards (a restoring admin request is sent whatever is spent)."""
    target = ("--target", served_admin)
    limited = ("--max-requests", "5", "--", "-k", "rate_limit")
    first = cbconform_run(*target, "--report-dir", str(tmp_path / "a"), *limited)
    assert first.returncode == 4, first.stdout[-2000:]
    second = cbconform_run(*target, "--report-dir", str(tmp_path / "b"), "--", "-k", "retrieve")
    assert second.returncode in (0, 4) and _results(tmp_path / "b")["run"]["fatal"] is None, second.stdout


def test_under_strict_the_plan_counts_inferred_rules_as_gating():
    from cbconform import contracts as contracts_module

    c = contracts_module.load()
    inferred = next(r for r, rule in c.rules.items() if rule.level == "MUST" and rule.evidence == "inferred")
    documented = next(r for r, rule in c.rules.items() if rule.gates(False))
    rows = [
        {"test": "connect", "suite": "s", "requests": 1, "writes": 0, "orders": 0, "examined": []},
        {"test": "a", "suite": "s", "requests": 1, "writes": 0, "orders": 0, "examined": [documented]},
        {"test": "b", "suite": "s", "requests": 1, "writes": 0, "orders": 0, "examined": [inferred]},
    ]
    assert "2 gating rules will not be examined" in planner.plan_lines(rows, 1, c, 0.1, strict=True)[-1]
    assert "1 gating rules will not be examined" in planner.plan_lines(rows, 1, c, 0.1)[-1]
