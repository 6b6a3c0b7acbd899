"""`cbconform rules` and `cbconform ambiguities` print the catalogue for people and machines."""

from __future__ import annotations

import json

import pytest

from cbconform import cli, contracts

C = contracts.load()


def test_rules_json_lists_the_whole_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["rules", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == list(C.rules)
    assert all(r["source"]["page"] and r["statement"] for r in rows)


def test_rules_filter_by_operation(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["rules", "--operation", "create_order", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in rows} == {r.id for r in C.rules_for("create_order")}
    assert "ORD-ID-MAXLEN" in {r["id"] for r in rows} and "UPD-STATUS-ENUM" not in {r["id"] for r in rows}


def test_rules_text_shows_id_level_statement_and_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["rules", "--level", "SHOULD"]) == 0
    out = capsys.readouterr().out
    for rule in (r for r in C.rules.values() if r.level == "SHOULD"):
        assert rule.id in out and f"source: {rule.source}" in out
        assert f"{rule.level:<6} {rule.evidence:<8} " in out


def test_rules_json_shows_evidence_and_gating(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["rules", "--evidence", "inferred", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["evidence"] == "inferred" and r["gates"] is False for r in rows)
    assert all(r["source"]["url"].startswith("https://") for r in rows)


def test_rules_unknown_operation_is_one_plain_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["rules", "--operation", "delete_everything"]) == 2
    out = capsys.readouterr().out.strip()
    assert out.startswith("There is no operation 'delete_everything'") and "\n" not in out


def test_ambiguities_mark_the_default_and_the_switch(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ambiguities"]) == 0
    out = capsys.readouterr().out
    assert "* seed             external_fulfillment_failed, as the update page" in out
    assert "source: spec § #/components/schemas/OfferFulfillment/properties/error/properties/code" in out
    assert "--reading AMB-SEVEN-DAY-CODE=spec" in out


def test_ambiguities_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ambiguities", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["id"]: r["default"] for r in rows} == {a.id: a.default for a in C.ambiguities.values()}
