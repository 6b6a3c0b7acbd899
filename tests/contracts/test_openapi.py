"""The OpenAPI document is valid, up to date, loads in schemathesis and declares what the issue asks."""

from __future__ import annotations

import json

import schemathesis
from openapi_spec_validator import validate

from cbconform import contracts, openapi

C = contracts.load()
PATH = C.root / "openapi.json"
DOC = json.loads(PATH.read_text(encoding="utf-8"))


def test_openapi_document_is_up_to_date() -> None:
    assert PATH.read_text(encoding="utf-8") == openapi.render(openapi.build()), (
        "contracts/openapi.json is stale: run `python -m cbconform.openapi`"
    )


def test_openapi_document_validates() -> None:
    validate(DOC)


def test_openapi_loads_in_schemathesis() -> None:
    schema = schemathesis.openapi.from_path(str(PATH))
    ids = {result.ok().definition.raw["operationId"] for result in schema.get_all_operations()}
    assert ids == set(C.operations)


def _ops() -> dict[str, dict]:
    return {o["operationId"]: o for path in DOC["paths"].values() for o in path.values()}


def test_openapi_declares_hosts_auth_and_statuses() -> None:
    ops = _ops()
    assert ".grow." in ops["create_offer_fulfillment"]["servers"][0]["url"]
    assert ".grow." not in ops["create_order"]["servers"][0]["url"]
    assert DOC["components"]["securitySchemes"]["basicAuth"] == {
        "type": "http",
        "scheme": "basic",
        "description": "API key as user name, empty password.",
    }
    assert "202" in ops["create_offer_fulfillment"]["responses"]
    assert ops["create_order"]["deprecated"] is True


def test_openapi_declares_both_encodings() -> None:
    for op in _ops().values():
        if "requestBody" in op:
            assert set(op["requestBody"]["content"]) == {
                "application/x-www-form-urlencoded",
                "application/json",
            }


def test_openapi_links_lead_from_offers_to_fulfillments() -> None:
    ops = _ops()
    offer_links = ops["personalized_offers"]["responses"]["200"]["links"]
    assert {link["operationId"] for link in offer_links.values()} == {"create_offer_fulfillment"}
    create_links = ops["create_offer_fulfillment"]["responses"]["202"]["links"]
    assert {link["operationId"] for link in create_links.values()} == {
        "retrieve_offer_fulfillment",
        "update_offer_fulfillment",
    }
