"""Which schema rules a response could have broken: the rules annotated on the parts of the schema
that apply to parts of the instance that are present. A maxLength rule on an attribute the response
left out was not examined; the rule that requires the attribute was."""

from __future__ import annotations

from typing import Any

from cbconform.contracts import SCHEMA_BASE, Contracts
from cbconform.memo import Memo

_WALKED = Memo()


def schema_rules(c: Contracts, name: str, instance: Any) -> set[str]:
    """The walk depends only on the instance's shape (its keys and nesting), which repeats from one
    response to the next: it is done once per contracts, schema and shape."""
    return set(_WALKED.get((c, name, _shape(instance)), lambda: _walk(c, name, instance)))


def _walk(c: Contracts, name: str, instance: Any) -> frozenset[str]:
    found: set[str] = set()
    _visit(c.schemas[name], instance, c.registry.resolver(base_uri=SCHEMA_BASE + name), found, depth=0)
    return frozenset(found)


def _shape(instance: Any) -> Any:
    if isinstance(instance, dict):
        return frozenset((key, _shape(value)) for key, value in instance.items())
    if isinstance(instance, list):
        return ("[]", frozenset(_shape(item) for item in instance))
    return None


def _visit(node: Any, instance: Any, resolver: Any, found: set[str], depth: int) -> None:
    if not isinstance(node, dict) or depth > 64:
        return
    if "$ref" in node:
        resolved = resolver.lookup(node["$ref"])
        _visit(resolved.contents, instance, resolved.resolver, found, depth + 1)
    if isinstance(node.get("x-rule"), str):
        found.add(node["x-rule"])
    for rule in node.get("x-rules", {}).values():
        found.update(rule.values() if isinstance(rule, dict) else [rule])
    for keyword in ("allOf", "anyOf", "oneOf"):
        for branch in node.get(keyword, ()):
            _visit(branch, instance, resolver, found, depth + 1)
    for keyword in ("then", "else"):
        _visit(node.get(keyword), instance, resolver, found, depth + 1)
    if isinstance(instance, dict):
        for key, value in instance.items():
            child = node.get("properties", {}).get(key, node.get("additionalProperties"))
            _visit(child, value, resolver, found, depth + 1)
    elif isinstance(instance, list) and isinstance(node.get("items"), dict):
        for item in instance:
            _visit(node["items"], item, resolver, found, depth + 1)
