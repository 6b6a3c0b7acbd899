"""schemathesis, taught this API: Chargebee's bracket-nested form bodies, the contracts' custom formats,
and the project's rule checks as a schemathesis check (`cbconform_rules`). Importing this module
registers them; `SCHEMATHESIS_HOOKS=cbconform.schemathesis_support st run ...` does the same for the CLI.

Generated cases are sent through the suite's own client, so throttling, the request budget, recording
and redaction apply to them as to every other request."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import qs_codec
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core import NotSet

from cbconform import contracts as contracts_module
from cbconform import openapi, profiles
from cbconform.api import QS
from cbconform.checks.responses import conformance
from cbconform.contracts import Contracts
from cbconform.exchange import Exchange

FORM = "application/x-www-form-urlencoded"
HOSTNAMES = st.sampled_from(["edge-1.example.com", "localhost", "api.example.org"])


@schemathesis.serializer(FORM)
def _form(ctx: Any, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return {"data": qs_codec.encode(value, QS).encode("utf-8")}
    return {"data": value if isinstance(value, (str, bytes)) or value is None else str(value).encode()}


# "email" keeps schemathesis's own generator: it can aim at a length (the maxLength boundary cases),
# where hypothesis's st.emails() is filtered until it happens to hit one (seconds per case).
schemathesis.openapi.format("base64-email", st.emails().map(lambda e: base64.b64encode(e.encode()).decode()))
schemathesis.openapi.format("ip-or-hostname", st.one_of(st.ip_addresses().map(str), HOSTNAMES))


@schemathesis.check
def cbconform_rules(ctx: Any, response: Any, case: Any) -> bool | None:
    """The project's rule checks on one schemathesis exchange; the message names the rules broken."""
    exchange = from_schemathesis(response, case)
    found = conformance(contracts_module.load(), exchange)
    if found:
        raise AssertionError("\n".join(f.describe() for f in found))
    return None


def load(c: Contracts) -> Any:
    """The OpenAPI document of these contracts (under the run's readings), ready for generation."""
    schema = schemathesis.openapi.from_dict(openapi.build(c))
    return schema


def for_session(session: Any) -> Any:
    """The document of a run's contracts, generating as its profile says (derandomized without a seed)."""
    loaded = load(session.contracts)
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=profiles.schemathesis_examples(session.profile),
        deterministic=session.seed is None,
        allow_x00=False,
    )
    if session.profile == "sandbox":  # the coverage phase sends ~130 requests an operation
        loaded.config.phases.update(phases=["fuzzing"])
    return loaded


def from_schemathesis(response: Any, case: Any) -> Exchange:
    request = response.request
    body = (
        request.body
        if isinstance(request.body, (str, type(None)))
        else request.body.decode("utf-8", "replace")
    )
    return Exchange(
        method=request.method,
        url=str(request.url),
        request_headers=dict(request.headers),
        request_body=body or "",
        status=response.status_code,
        response_headers={k.lower(): v for k, v in response.headers.items()},
        response_body=response.content.decode("utf-8", "replace") if response.content else "",
        elapsed_ms=0.0,
        operation=case.operation.definition.raw.get("operationId"),
    )


def sends_auth(case: Any) -> bool:
    """False for the negative cases whose broken part is the Authorization header: they go without it."""
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    names = [getattr(data, "parameter", None)] + [m.parameter for m in getattr(data, "mutations", None) or ()]
    return "authorization" not in {str(n).lower() for n in names if n}


def to_request(case: Any, base_url: str) -> httpx.Request:
    """The request for a generated case, encoded the way Chargebee reads it (bracket-nested forms)."""
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    content: bytes | str | None = None
    if not isinstance(case.body, NotSet):
        media_type = case.media_type or FORM
        headers.setdefault("content-type", media_type)
        content = _serialize(case.body, media_type)
    return httpx.Request(
        case.method,
        base_url + case.formatted_path,
        headers=headers,
        content=content,
        params=case.query or None,
    )


def _serialize(body: Any, media_type: str) -> bytes | str:
    if isinstance(body, (str, bytes)):
        return body
    if "json" in media_type:
        return json.dumps(body)
    if isinstance(body, dict):
        return qs_codec.encode(body, QS)
    return json.dumps(body)
