"""Rate limits: past the per-minute limit, 429 api_request_limit_exceeded with Retry-After."""

from __future__ import annotations

import pytest

from cbconform.suitekit import needs

LIMIT = 3


@pytest.fixture
def limited(admin, contracts):
    needs(admin, contracts, "rate-limit")
    admin.rate_limit(LIMIT)
    yield
    admin.rate_limit(None)


@pytest.mark.exclusive("sets the target's rate limit")
@pytest.mark.rule("RATE-LIMIT-429", "RATE-RETRY-AFTER")
def test_rate_limit_exceeded_is_429_with_retry_after(api, expect, target, limited):
    body = {"customer_id": target.customer_id}
    answers = [api.call("personalized_offers", body=body, retry_429=False) for _ in range(LIMIT + 1)]
    for exchange in answers[:LIMIT]:
        expect.accepted(exchange, "PO-RESPONSE-STATUS-200")
    last = answers[-1]
    expect.rejected(last, "RATE-LIMIT-429", (429,))
    code = (last.json() or {}).get("api_error_code")
    expect.that(
        code == "api_request_limit_exceeded",
        "RATE-LIMIT-429",
        "api_error_code api_request_limit_exceeded",
        code,
        last,
    )
    retry = last.response_headers.get("retry-after", "")
    expect.that(
        retry.isdigit(), "RATE-RETRY-AFTER", "a Retry-After header in seconds", retry or "(none)", last
    )
