"""Which rule a schema violation breaks: the `x-rules` entry of the failing keyword, else the innermost
enclosing `x-rule`, following `$ref`s across the contracts' schema files."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import jsonschema
from referencing import Registry

SCHEMA_BASE = "https://cbconform.dev/contracts/"


def attribute(
    schemas: dict[str, Any], registry: Registry, name: str, error: jsonschema.ValidationError
) -> Iterator[tuple[str | None, str, str, str | None]]:
    """(rule or None, message, instance path, field) for each rule one validation error breaks."""
    innermost, final = _walk(schemas, registry, name, list(error.absolute_schema_path)[:-1], error.validator)
    mapping = final.get("x-rules", {}).get(error.validator)
    path = "/" + "/".join(str(p) for p in error.absolute_path)
    if error.validator == "required" and isinstance(mapping, dict):
        missing = [
            f for f in error.validator_value if isinstance(error.instance, dict) and f not in error.instance
        ]
        for fld in missing:
            yield mapping.get(fld, innermost), error.message, path, fld
        return
    rule = mapping if isinstance(mapping, str) else final.get("x-rule") or innermost
    yield rule, error.message, path, _field_of(error)


def _walk(
    schemas: dict[str, Any], registry: Registry, name: str, segments: list[Any], keyword: str
) -> tuple[str | None, dict[str, Any]]:
    """Follows a schema path from the root of `name`, through $refs, to the node that holds the
    failing keyword; returns the innermost `x-rule` passed on the way and that node."""
    node: Any = schemas[name]
    innermost = node.get("x-rule")
    resolver = registry.resolver(base_uri=SCHEMA_BASE + name)
    for segment in segments:
        while isinstance(node, dict) and segment not in node and "$ref" in node:
            resolved = resolver.lookup(node["$ref"])
            node, resolver = resolved.contents, resolved.resolver
            if node.get("x-rule"):
                innermost = node["x-rule"]
        node = node[int(segment)] if isinstance(node, list) else node[segment]
        if isinstance(node, dict) and node.get("x-rule"):
            innermost = node["x-rule"]
    while isinstance(node, dict) and keyword not in node and "$ref" in node:
        resolved = resolver.lookup(node["$ref"])
        node, resolver = resolved.contents, resolved.resolver
        if isinstance(node, dict) and node.get("x-rule"):
            innermost = node["x-rule"]
    return innermost, node if isinstance(node, dict) else {}


def file_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = (
            [node["$ref"].split("#")[0]]
            if isinstance(node.get("$ref"), str) and not node["$ref"].startswith("#")
            else []
        )
        return own + [ref for child in node.values() for ref in file_refs(child)]
    if isinstance(node, list):
        return [ref for child in node for ref in file_refs(child)]
    return []


def _field_of(error: jsonschema.ValidationError) -> str | None:
    """The request parameter or attribute an error is about, as an error body's `param` would name it."""
    value = error.validator_value
    if error.validator == "required" and isinstance(error.instance, dict):
        return next((f for f in value if f not in error.instance), None)
    if error.validator == "not" and isinstance(value, dict) and value.get("required"):
        return value["required"][0]
    if error.validator in ("not", "if", "then", "else", "allOf", "anyOf", "oneOf"):
        return None
    last = error.absolute_path[-1] if error.absolute_path else None
    return last if isinstance(last, str) else None


@lru_cache(maxsize=16)
def schema_rule_references(contracts: Any) -> dict[str, list[str]]:
    """rule ID -> the schema locations (file#pointer/keyword) that name it; once per contracts (read-only)."""
    refs: dict[str, list[str]] = {}

    def visit(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("x-rule"), str):
                refs.setdefault(node["x-rule"], []).append(where)
            for keyword, rule in node.get("x-rules", {}).items():
                rules = rule.values() if isinstance(rule, dict) else [rule]
                for r in rules:
                    refs.setdefault(r, []).append(f"{where}/{keyword}")
            for key, child in node.items():
                if key not in ("x-rules", "x-rule"):
                    visit(child, f"{where}/{key}")
        elif isinstance(node, list):
            for i, child in enumerate(node):
                visit(child, f"{where}/{i}")

    for name, schema in contracts.schemas.items():
        visit(schema, f"{name}#")
    return refs
