"""`cbconform contracts diff SPEC` against the vendored official document (tests/data/README.md)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from cbconform import cli, contracts
from cbconform.commands import contracts_diff

SPEC = Path(__file__).resolve().parents[1] / "data" / "chargebee-openapi-subset.json"
RAW = json.loads(SPEC.read_text(encoding="utf-8"))


def test_every_difference_with_the_official_document_is_accounted_for(capsys: pytest.CaptureFixture[str]):
    assert cli.main(["contracts", "diff", str(SPEC)]) == 0
    out = capsys.readouterr().out
    assert "0 not accounted for" in out and "NOT ACCOUNTED FOR" not in out
    assert "header chargebee-idempotency-key" in out and "AMB-IDEMPOTENCY-HEADER" in out


def test_the_error_table_and_statuses_match_the_document() -> None:
    keys = [d.key for d, _ in contracts_diff.diff(contracts.load(), RAW)]
    assert not [k for k in keys if " error status " in k or k.endswith(("types", "api_error_codes"))]


def test_a_new_version_shows_what_changed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    changed = copy.deepcopy(RAW)
    changed["components"]["schemas"]["OfferFulfillment"]["properties"]["status"]["enum"].append("expired")
    changed["components"]["schemas"]["404"]["properties"]["api_error_code"]["enum"].append("gone")
    del changed["paths"]["/orders"]["post"]["responses"]["409"]
    path = tmp_path / "next.json"
    path.write_text(json.dumps(changed), encoding="utf-8")
    assert cli.main(["contracts", "diff", str(path)]) == 1
    out = capsys.readouterr().out
    assert "create_offer_fulfillment response/properties/offer_fulfillment/properties/status enum" in out
    assert "create_order error 404 api_error_codes" in out
    assert "create_order error status 409: contracts True, document False [NOT ACCOUNTED FOR]" in out


def test_refs_beside_sibling_keys_are_followed() -> None:
    doc = contracts_diff.Document({"a": {"b": {"type": "string"}}})
    assert doc.deref({"$ref": "#/a/b", "description": "x"}) == {"type": "string", "description": "x"}


def test_an_unreadable_document_is_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["contracts", "diff", str(tmp_path / "missing.json")]) == 2
    out = capsys.readouterr().out.strip()
    assert out.startswith("Cannot read the OpenAPI document") and "\n" not in out
