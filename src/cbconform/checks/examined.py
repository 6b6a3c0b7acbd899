"""Which schema rules a response could have broken: the rules annotated on the parts of the schema
that apply to parts of the instance that are present. A maxLength rule on an attribute the response
left out was not examined; the rule that requires the attribute was."""

from __future__ import annotations

from typing import Any

from cbconform.contracts import SCHEMA_BASE, Contracts


def schema_rules(c: Contracts, name: str, instance: Any) -> set[str]:
    found: set[str] = set()
    resolver = c.registry.resolver(base_uri=SCHEMA_BASE + name)
    _visit(c.schemas[name], instance, resolver, found, depth=0)
    return found


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
