"""schemathesis drives generation from the OpenAPI document over all five operations, positive and
negative; its built-in checks and the project's rule checks judge every answer."""

from __future__ import annotations

from urllib.parse import unquote

import schemathesis
from hypothesis import assume
from schemathesis import GenerationMode

# The suite sends the target's real key; ignored_auth assumes schemathesis generated the credentials.
from schemathesis.specs.openapi.checks import ignored_auth

from cbconform import plugin, schemathesis_support
from cbconform.suitekit import json_read, schema_rules

RULES = schema_rules(
    lambda c: [op.response for op in c.operations.values()],
    "error.json",
    extra=("ERR-NO-SERVER-ERROR", "ERR-STATUS-TYPE-CODE", "ENC-RESPONSE-JSON", "ENC-MALFORMED-BODY-4XX"),
)
BUILT_IN_RULES = {
    "ServerError": "ERR-NO-SERVER-ERROR",
    "UndefinedStatusCode": "ERR-STATUS-TYPE-CODE",
    "UndefinedContentType": "ENC-RESPONSE-JSON",
    "MalformedJson": "ENC-RESPONSE-JSON",
}

# schemathesis parametrizes at import, so the document is built here, from the run's own contracts
# (the session the plugin configured, readings included), never from a fresh load.
schema = schemathesis_support.for_session(plugin.active())


@RULES
@schema.parametrize()
def test_schemathesis_generated_case(case, api, expect, target, contracts):
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "chargebee-idempotency-key"}
    case.headers = headers
    if case.meta and case.meta.generation.mode == GenerationMode.NEGATIVE and case.media_type:
        case.media_type = "application/json"  # a form body cannot carry a wrongly typed value
    op = contracts.operation(case.operation.definition.raw["operationId"])
    if _positive(case):
        if "json" in (case.media_type or "") and not json_read(contracts):
            case.media_type = schemathesis_support.FORM  # AMB-REQUEST-ENCODING=form-only
        _repeat_path_id(case)
        assume(not _contract_violations(case, op, contracts))  # schemathesis's formats are looser than ours
        assume("json" in (case.media_type or "") or _form_expressible(case.body))
    try:
        request = schemathesis_support.to_request(case, target.url_for(op.host))
    except (UnicodeEncodeError, ValueError):
        assume(False)  # a header value httpx cannot put on the wire
    declared = case.method.upper() == op.method
    response = api.send(request, op.id if declared else None, schemathesis_support.sends_auth(case))
    expect.conforms(response.exchange)
    try:
        # cbconform_rules is expect.conforms above, judged by the run's contracts
        excluded = [ignored_auth, schemathesis_support.cbconform_rules]
        case.validate_response(response.raw, excluded_checks=excluded)
    except schemathesis.core.failures.FailureGroup as group:
        raise _as_rule_failures(group, case, op, response.exchange, contracts) from None


def _positive(case) -> bool:
    return bool(case.meta) and case.meta.generation.mode == GenerationMode.POSITIVE


def _repeat_path_id(case) -> None:
    """The body repeats the path id (UPD-ID-MATCHES-PATH): a cross-field rule OpenAPI cannot state."""
    path_id = (case.path_parameters or {}).get("offer-fulfillment-id")
    if path_id is not None and isinstance(case.body, dict) and "id" in case.body:
        case.body["id"] = unquote(path_id)  # schemathesis keeps path parameters percent-encoded


def _form_expressible(value) -> bool:
    """An empty key (`custom[]=`) reads back as an array in bracket notation: no form can carry it."""
    if isinstance(value, dict):
        return all(key != "" and _form_expressible(v) for key, v in value.items())
    if isinstance(value, list):
        return all(_form_expressible(v) for v in value)
    return True


def _contract_violations(case, op, contracts) -> list:
    found = [
        v
        for name, value in (case.headers or {}).items()
        if name.lower() in op.headers
        for v in contracts.validate_header(name.lower(), value)
    ]
    if op.request_body and isinstance(case.body, dict):
        found += contracts.validate(op.request_body, case.body)
    return found


def _as_rule_failures(group, case, op, exchange, contracts):
    from cbconform.checks import ConformanceFailure, failure

    found = []
    for error in group.exceptions:
        kind = type(error).__name__
        rule = BUILT_IN_RULES.get(kind) or _rule_for(kind, case, op, contracts)
        found.append(
            failure(
                "schemathesis_" + kind,
                rule,
                getattr(error, "title", kind),
                str(getattr(error, "message", error))[:300],
                exchange,
            )
        )
    return ConformanceFailure(found)


def _rule_for(kind: str, case, op, contracts) -> str:
    if kind == "RejectedPositiveData":
        return op.success_rule
    if kind == "AcceptedNegativeData" and op.request_body and isinstance(case.body, dict):
        broken = contracts.validate(op.request_body, case.body)
        if broken:
            return broken[0].rule_id
    if kind == "AcceptedNegativeData":
        for name, value in (case.headers or {}).items():
            broken = contracts.validate_header(name.lower(), value) if name.lower() in op.headers else []
            if broken:
                return broken[0].rule_id
        return contracts.schemas[op.request_body]["x-rules"]["type"] if op.request_body else "RET-PATH-ID"
    return "ERR-STATUS-TYPE-CODE"
