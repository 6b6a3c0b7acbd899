"""schemathesis over all five operations, positive and negative, against the served socket: no 5xx, and
every answer conforms to the contracts (success bodies to their response schema, errors to error.json and
the error table)."""

from __future__ import annotations

import base64
from urllib.parse import unquote

import httpx
import pytest
from schemathesis import GenerationMode

from cbconform import contracts as contracts_module
from cbconform import schemathesis_support  # registers the bracket form encoding and custom formats
from cbconform.checks.responses import conformance
from cbconform.exchange import Exchange

C = contracts_module.load()
AUTHORIZATION = "Basic " + base64.b64encode(b"test_conformance_key:").decode()
schema = schemathesis_support.load(C)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=30,
    deterministic=True,
    allow_x00=False,
)
# The coverage phase enumerates boundary cases while pytest collects (tens of seconds); the suites run it.
schema.config.phases.update(phases=["examples", "fuzzing"])


@pytest.fixture(scope="module")
def http():
    with httpx.Client(timeout=10) as client:
        yield client


@schema.parametrize()
def test_all_operations_generated_cases_conform(case, base_url, http):
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "chargebee-idempotency-key"}
    negative = bool(case.meta) and case.meta.generation.mode == GenerationMode.NEGATIVE
    if negative and case.media_type:
        case.media_type = "application/json"  # a form body cannot carry a wrongly typed value
    path_id = (case.path_parameters or {}).get("offer-fulfillment-id")
    if not negative and path_id is not None and isinstance(case.body, dict) and "id" in case.body:
        case.body["id"] = unquote(path_id)  # the body repeats the path id
    try:
        request = schemathesis_support.to_request(case, base_url)
    except (UnicodeEncodeError, ValueError):
        return  # a header value httpx cannot put on the wire
    if schemathesis_support.sends_auth(case):
        request.headers["authorization"] = AUTHORIZATION
    response = http.send(request)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:300]}"
    declared = {(op.method, op.id) for op in C.operations.values()}
    operation = case.operation.definition.raw.get("operationId")
    if (case.method.upper(), operation) not in declared:
        operation = None
    found = conformance(C, Exchange.record(response, ("test_conformance_key",), operation=operation))
    assert not found, "\n".join(f.describe() for f in found)
