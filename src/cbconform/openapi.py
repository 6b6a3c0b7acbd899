"""Assembles contracts/openapi.json (OpenAPI 3.1) from the schemas and the operation table.

python -m cbconform.openapi           # rewrite contracts/openapi.json
python -m cbconform.openapi --check   # exit 1 when the checked-in document is stale
"""

from __future__ import annotations

import argparse
import copy
import json
import posixpath
import sys
from typing import Any

from cbconform import __version__, contracts
from cbconform.contracts import Contracts, Operation

HOSTS = {
    "grow": {
        "url": "https://{site}.grow.chargebee.com/api/v2",
        "description": "Growth host: personalized offers and offer fulfillments (test sites end in -test).",
    },
    "core": {
        "url": "https://{site}.chargebee.com/api/v2",
        "description": "Core host: orders (test sites end in -test).",
    },
}
SITE_VARIABLE = {"site": {"default": "acme-test", "description": "Your site name; test sites end in -test."}}
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def component_name(schema_file: str, schema: dict[str, Any]) -> str:
    return schema.get("title") or schema_file.removesuffix(".json").replace("/", "_")


def _rewrite_refs(node: Any, own: str, names: dict[str, str]) -> Any:
    """File-relative $refs become component refs; $id and $schema go (components share one base)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("$id", "$schema"):
                continue
            if key == "$ref":
                target, _, fragment = value.partition("#")
                target_file = (
                    posixpath.normpath(posixpath.join(posixpath.dirname(own), target)) if target else own
                )
                value = f"#/components/schemas/{names[target_file]}{fragment}"
            out[key] = _rewrite_refs(value, own, names)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, own, names) for item in node]
    return node


def _components(c: Contracts) -> tuple[dict[str, Any], dict[str, str]]:
    names = {f: component_name(f, s) for f, s in c.schemas.items()}
    schemas = {names[f]: _rewrite_refs(copy.deepcopy(s), f, names) for f, s in c.schemas.items()}
    return schemas, names


def _header_parameters(c: Contracts, op: Operation, names: dict[str, str]) -> list[dict[str, Any]]:
    headers = c.schemas["request_headers.json"]["properties"]
    component = names["request_headers.json"]
    return [
        {
            "name": header,
            "in": "header",
            "required": False,
            "schema": {"$ref": f"#/components/schemas/{component}/properties/{header}"},
            "description": headers[header].get("description", ""),
        }
        for header in op.headers
        if header != "content-type"  # OpenAPI carries it as the request body's media type
    ]


def _path_parameters(c: Contracts, op: Operation, names: dict[str, str]) -> list[dict[str, Any]]:
    if not op.path_params:
        return []
    component = names[op.path_params]
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"$ref": f"#/components/schemas/{component}/properties/{name}"},
        }
        for name in c.schemas[op.path_params]["properties"]
    ]


def _request_body(op: Operation, names: dict[str, str]) -> dict[str, Any] | None:
    if not op.request_body:
        return None
    ref = {"$ref": f"#/components/schemas/{names[op.request_body]}"}
    return {
        "required": True,
        "content": {
            FORM: {"schema": ref, "x-encoding-note": "objects as name[key]=value, arrays as name[0]=value"},
            JSON: {"schema": ref},
        },
    }


def _responses(c: Contracts, op: Operation, names: dict[str, str]) -> dict[str, Any]:
    replayed = {
        "chargebee-idempotency-replayed": {
            "description": "true when this answer replays an earlier request; absent otherwise.",
            "schema": {"type": "string", "enum": ["true"]},
        }
    }
    success: dict[str, Any] = {
        "description": f"{op.title}: success.",
        "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{names[op.response]}"}}},
    }
    if op.method == "POST":
        success["headers"] = replayed
    responses: dict[str, Any] = {str(op.success_status): success}
    if op.id in LINKS:
        success["links"] = LINKS[op.id]
    for status in op.error_statuses:
        row = c.error_row(status)
        codes = ", ".join(row.codes) if row else ""
        responses[str(status)] = {
            "description": f"{row.meaning if row else 'error'} ({codes})",
            "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return responses


LINKS: dict[str, dict[str, Any]] = {
    "personalized_offers": {
        "AcceptFirstOption": {
            "operationId": "create_offer_fulfillment",
            "description": "Accept the first option of the returned offer.",
            "requestBody": {
                "personalized_offer_id": "$response.body#/personalized_offers/0/id",
                "option_id": "$response.body#/personalized_offers/0/options/0/id",
            },
        }
    },
    "create_offer_fulfillment": {
        "RetrieveFulfillment": {
            "operationId": "retrieve_offer_fulfillment",
            "parameters": {"offer-fulfillment-id": "$response.body#/offer_fulfillment/id"},
        },
        "UpdateFulfillment": {
            "operationId": "update_offer_fulfillment",
            "parameters": {"offer-fulfillment-id": "$response.body#/offer_fulfillment/id"},
            "requestBody": {"id": "$response.body#/offer_fulfillment/id", "status": "completed"},
        },
    },
    "update_offer_fulfillment": {
        "RetrieveUpdatedFulfillment": {
            "operationId": "retrieve_offer_fulfillment",
            "parameters": {"offer-fulfillment-id": "$response.body#/offer_fulfillment/id"},
        }
    },
}


def _operation(c: Contracts, op: Operation, names: dict[str, str]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "operationId": op.id,
        "summary": op.title,
        "description": f"Rules: {', '.join(r.id for r in c.rules_for(op.id))}",
        "servers": [
            {
                "url": HOSTS[op.host]["url"],
                "description": HOSTS[op.host]["description"],
                "variables": SITE_VARIABLE,
            }
        ],
        "parameters": _path_parameters(c, op, names) + _header_parameters(c, op, names),
        "responses": _responses(c, op, names),
    }
    if op.deprecated:
        doc["deprecated"] = True
    body = _request_body(op, names)
    if body:
        doc["requestBody"] = body
    return doc


def build(c: Contracts | None = None) -> dict[str, Any]:
    c = c or contracts.load()
    components, names = _components(c)
    paths: dict[str, dict[str, Any]] = {}
    for op in c.operations.values():
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(c, op, names)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Chargebee offer fulfillments, personalized offers and orders (conformance contracts)",
            "version": __version__.split("+")[0],
            "description": "Assembled by cbconform.openapi from contracts/; do not edit by hand.",
        },
        "servers": [
            {
                "url": HOSTS["core"]["url"],
                "description": HOSTS["core"]["description"],
                "variables": SITE_VARIABLE,
            }
        ],
        "security": [{"basicAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "basicAuth": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "API key as user name, empty password.",
                }
            },
            "schemas": components,
        },
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cbconform.openapi", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when contracts/openapi.json is stale")
    args = parser.parse_args(argv)
    target = contracts.load().root / "openapi.json"
    fresh = render(build())
    if args.check:
        if not target.exists() or target.read_text(encoding="utf-8") != fresh:
            print(f"{target} is stale: run `python -m cbconform.openapi`", file=sys.stderr)
            return 1
        return 0
    target.write_text(fresh, encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
