"""Checks on any response: JSON, no 5xx, the documented success status, the response and error
contracts, timestamp order, the error table, and the idempotency header."""

from __future__ import annotations

from typing import Any

from cbconform.checks import Failure, check, failure, shorten
from cbconform.checks.examined import schema_rules
from cbconform.contracts import Contracts
from cbconform.exchange import Exchange

REPLAYED = "chargebee-idempotency-replayed"
TIMESTAMP_ORDER = (("completed_at", "OF-COMPLETED-AFTER-CREATED"), ("failed_at", "OF-FAILED-AFTER-CREATED"))


@check("Every response body is JSON")
def response_is_json(c: Contracts, ex: Exchange) -> list[Failure]:
    if ex.json() is not None:
        return []
    return [
        failure(
            "response_is_json", "ENC-RESPONSE-JSON", "a JSON body", shorten(ex.response_body or "(empty)"), ex
        )
    ]


@check("No request is answered with a server error")
def no_server_error(c: Contracts, ex: Exchange) -> list[Failure]:
    if ex.status < 500:
        return []
    return [failure("no_server_error", "ERR-NO-SERVER-ERROR", "a 2xx or 4xx answer", f"HTTP {ex.status}", ex)]


@check("A successful call answers with the documented status")
def success_status(c: Contracts, ex: Exchange) -> list[Failure]:
    op = c.operation(ex.operation)
    if ex.status == op.success_status or not 200 <= ex.status < 300:
        return []
    return [failure("success_status", op.success_rule, f"HTTP {op.success_status}", f"HTTP {ex.status}", ex)]


@check("The response body conforms to its contract")
def response_schema(c: Contracts, ex: Exchange) -> list[Failure]:
    op = c.operation(ex.operation)
    return [
        failure("response_schema", v.rule_id, _documented(c, v.rule_id), f"{v.message} at {v.path}", ex)
        for v in c.validate(op.response, ex.json())
    ]


@check("completed_at and failed_at are never earlier than created_at")
def timestamps_ordered(c: Contracts, ex: Exchange) -> list[Failure]:
    resource = (ex.json() or {}).get("offer_fulfillment") if isinstance(ex.json(), dict) else None
    if not isinstance(resource, dict) or not isinstance(resource.get("created_at"), int):
        return []
    found = []
    for key, rule in TIMESTAMP_ORDER:
        value = resource.get(key)
        if isinstance(value, int) and value < resource["created_at"]:
            found.append(
                failure(
                    "timestamps_ordered",
                    rule,
                    f"{key} >= created_at ({resource['created_at']})",
                    f"{key} = {value}",
                    ex,
                )
            )
    return found


@check("Error bodies conform to the error contract")
def error_schema(c: Contracts, ex: Exchange) -> list[Failure]:
    return [
        failure("error_schema", v.rule_id, _documented(c, v.rule_id), f"{v.message} at {v.path}", ex)
        for v in c.validate("error.json", ex.json())
    ]


@check("Status, type and api_error_code agree with the error table")
def error_table(c: Contracts, ex: Exchange) -> list[Failure]:
    body = ex.json()
    if not isinstance(body, dict):
        return []
    statuses = c.error_statuses(ex.operation)
    if ex.status not in statuses:
        documented = f"one of the documented error statuses {list(statuses)}"
        return [failure("error_table", "ERR-STATUS-TYPE-CODE", documented, f"HTTP {ex.status}", ex)]
    row = c.error_row(ex.status)
    if row is None:
        return []
    code, kind = body.get("api_error_code"), body.get("type")
    wrong = []
    if code is not None and code not in row.codes:
        wrong.append(f"api_error_code {code!r}")
    if kind is not None and kind not in row.types():
        wrong.append(f"type {kind!r}")
    if not wrong:
        return []
    documented = f"HTTP {row.status} with type in {list(row.types())} and api_error_code in {list(row.codes)}"
    return [
        failure(
            "error_table", "ERR-STATUS-TYPE-CODE", documented, f"HTTP {ex.status} with {', '.join(wrong)}", ex
        )
    ]


@check("Only a replay carries chargebee-idempotency-replayed")
def replayed_header_absent(c: Contracts, ex: Exchange) -> list[Failure]:
    if REPLAYED not in ex.response_headers:
        return []
    return [
        failure(
            "replayed_header_absent",
            "IDEM-REPLAYED-HEADER-ABSENT",
            f"no {REPLAYED} header",
            f"{REPLAYED}: {ex.response_headers[REPLAYED]}",
            ex,
        )
    ]


def omitted_defaults(c: Contracts, operation_id: str, sent: dict) -> list[tuple[str, object, str]]:
    """(attribute, documented default, rule) for each request parameter left out of `sent` whose
    resource attribute has a documented default: the answer must carry that default."""
    op = c.operation(operation_id)
    if not op.request_body or not op.resource_key:
        return []
    wrapper = c.schemas[op.response]["properties"][op.resource_key]
    resource = c.schemas[wrapper["$ref"]] if "$ref" in wrapper else wrapper
    found = []
    for name in c.schemas[op.request_body].get("properties", {}):
        attribute = resource.get("properties", {}).get(name, {})
        if name not in sent and "default" in attribute and "default" in attribute.get("x-rules", {}):
            found.append((name, attribute["default"], attribute["x-rules"]["default"]))
    return found


def conformance(
    c: Contracts, ex: Exchange, replay: bool = False, examined: set[str] | None = None
) -> list[Failure]:
    """Everything any response must satisfy, success or error. The rules a check looked at (those the
    response could have broken) are added to `examined`."""
    seen = examined if examined is not None else set()
    seen |= {"ENC-RESPONSE-JSON", "ERR-NO-SERVER-ERROR"}
    found = response_is_json(c, ex) + no_server_error(c, ex)
    if not replay:
        seen.add("IDEM-REPLAYED-HEADER-ABSENT")
        found += replayed_header_absent(c, ex)
    body = ex.json()
    if body is None:
        return found
    if 200 <= ex.status < 300 and ex.operation:
        op = c.operation(ex.operation)
        seen |= schema_rules(c, op.response, body) | {op.success_rule} | _ordered_timestamps(body)
        return found + success_status(c, ex) + response_schema(c, ex) + timestamps_ordered(c, ex)
    if 400 <= ex.status < 600:
        seen |= schema_rules(c, "error.json", body) | {"ERR-STATUS-TYPE-CODE"}
        return found + error_schema(c, ex) + error_table(c, ex)
    return found


def _ordered_timestamps(body: Any) -> set[str]:
    resource = body.get("offer_fulfillment") if isinstance(body, dict) else None
    if not isinstance(resource, dict) or not isinstance(resource.get("created_at"), int):
        return set()
    return {rule for key, rule in TIMESTAMP_ORDER if isinstance(resource.get(key), int)}


def _documented(c: Contracts, rule_id: str) -> str:
    rule = c.rules.get(rule_id)
    return rule.statement if rule else rule_id
