"""Validations and examined-rule walks are remembered within a run; what is remembered must be what
would have been computed, and a caller's changes must not leak into the next answer."""

from __future__ import annotations

from cbconform import contracts
from cbconform.checks import examined
from cbconform.memo import LONGEST

HEADERS = "request_headers.json"


def test_memo_validation_is_remembered_as_computed_and_copied() -> None:
    c = contracts.load()
    long_id = {"chargebee-business-entity-id": "x" * 60}
    first = c.validate(HEADERS, long_id)
    first.append("a caller's change")
    again = c.validate(HEADERS, long_id)
    assert again and again == contracts.Contracts.validate.__wrapped__(c, HEADERS, long_id)
    assert "a caller's change" not in again


def test_memo_validation_tells_json_types_apart() -> None:
    c = contracts.load()
    as_text = c.validate("error.json", {"message": "1", "type": "invalid_request", "api_error_code": "x"})
    as_number = c.validate("error.json", {"message": 1, "type": "invalid_request", "api_error_code": "x"})
    as_bool = c.validate("error.json", {"message": True, "type": "invalid_request", "api_error_code": "x"})
    assert {v.path for v in as_number} - {v.path for v in as_text}
    assert [v.message for v in as_bool] != [v.message for v in as_number]


def test_memo_long_instances_are_validated_each_time() -> None:
    c = contracts.load()
    value = {"chargebee-business-entity-id": "y" * (LONGEST + 1)}
    assert c.validate(HEADERS, value) == c.validate(HEADERS, value)
    remembered = getattr(c.__dict__.get("_memo"), "values", {})
    assert all(value["chargebee-business-entity-id"] not in key[2] for key in remembered)


def test_memo_examined_rules_follow_the_shape_not_the_values() -> None:
    c = contracts.load()
    both = examined.schema_rules(c, "error.json", {"message": "a", "type": "b"})
    assert both == examined.schema_rules(c, "error.json", {"message": "other", "type": "c"})
    fewer = examined.schema_rules(c, "error.json", {"message": "a"})
    assert fewer < both
    both.add("NOT-A-RULE")
    assert "NOT-A-RULE" not in examined.schema_rules(c, "error.json", {"message": "a", "type": "b"})
