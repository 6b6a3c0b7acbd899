"""Requests derived from the request schemas: complete valid bodies, every boundary, every way to be
wrong, and hypothesis strategies for valid bodies. Nothing here knows a field name or a limit: it
walks `properties`, `required`, `maxLength`, `enum`, `format` and the `x-rules` of the contracts."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import hypothesis.strategies as st

from cbconform.contracts import Contracts

WRONG_TYPE = {"string": 12345, "object": "not-an-object", "array": "not-an-array", "integer": "NaN"}
INVALID_FORMAT = {"email": "not-an-email"}


@dataclass(frozen=True)
class Case:
    """One request body built from a valid one: `valid` says whether the target must accept it."""

    label: str
    rule: str
    path: tuple[str, ...]
    kind: str  # missing, too-long, at-max, enum, type, format, conditional
    valid: bool
    value: Any = None
    max_length: int | None = None

    @property
    def param(self) -> str:
        return self.path[0] + "".join(f"[{p}]" for p in self.path[1:])

    def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        mutated = copy.deepcopy(body)
        parent = mutated
        for part in self.path[:-1]:
            parent = parent[_key(parent, part)]
        last = _key(parent, self.path[-1])
        if self.kind in ("missing", "conditional"):
            parent.pop(last, None)
            if self.kind == "conditional":
                mutated.update(self.value)
        else:
            parent[last] = self.value
        return mutated

    @property
    def json_only(self) -> bool:
        return self.kind == "type"


def _key(container: Any, part: str) -> Any:
    return int(part) if isinstance(container, list) else part


def example(schema: dict[str, Any], name: str = "") -> Any:
    """A complete valid instance: every optional property present, each string short and valid."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties")
        if not props:
            return {"plan": "annual", "seats": "3"}
        return {key: example(sub, key) for key, sub in props.items()}
    if kind == "array":
        return [example(schema.get("items", {"type": "string"}), name)]
    if kind == "integer":
        return 1
    return sized(schema, min(schema.get("maxLength", 12), 12), name)


def sized(schema: dict[str, Any], length: int, name: str = "value") -> str:
    """A string of exactly `length` characters that satisfies the schema's format."""
    if schema.get("format") == "email":
        domain = "@example.com"
        return "a" * max(1, length - len(domain)) + domain
    seed = (name.replace("_", "") or "v") + "-"
    return (seed * (length // len(seed) + 1))[:length]


def cases(c: Contracts, schema_name: str) -> list[Case]:
    schema = c.schemas[schema_name]
    return list(_walk(schema, ())) + list(_conditionals(schema))


def _walk(schema: dict[str, Any], path: tuple[str, ...]) -> Iterator[Case]:
    rules = schema.get("x-rules", {})
    for field in schema.get("required", []):
        yield Case(
            f"{_dotted((*path, field))} missing", rules["required"][field], (*path, field), "missing", False
        )
    for key, sub in schema.get("properties", {}).items():
        yield from _field_cases(sub, (*path, key))
        if sub.get("type") == "object" and sub.get("properties"):
            yield from _walk(sub, (*path, key))


def _field_cases(sub: dict[str, Any], path: tuple[str, ...]) -> Iterator[Case]:
    rules, label = sub.get("x-rules", {}), _dotted(path)
    if "maxLength" in sub:
        limit = sub["maxLength"]
        yield Case(
            f"{label} at {limit} characters",
            rules["maxLength"],
            path,
            "at-max",
            True,
            sized(sub, limit, path[-1]),
            limit,
        )
        yield Case(
            f"{label} at {limit + 1} characters",
            rules["maxLength"],
            path,
            "too-long",
            False,
            sized(sub, limit + 1, path[-1]),
            limit,
        )
    if "minLength" in sub:
        yield Case(f"{label} empty", rules["minLength"], path, "too-short", False, "")
    if "enum" in sub:
        yield Case(
            f"{label} not a documented value", rules["enum"], path, "enum", False, "not_a_documented_value"
        )
    if sub.get("type") in WRONG_TYPE and "type" in rules:
        yield Case(f"{label} of the wrong type", rules["type"], path, "type", False, WRONG_TYPE[sub["type"]])
    if sub.get("format") in INVALID_FORMAT:
        yield Case(
            f"{label} not an {sub['format']}",
            rules["format"],
            path,
            "format",
            False,
            INVALID_FORMAT[sub["format"]],
        )
    items = sub.get("items", {})
    if "maxLength" in items:
        limit = items["maxLength"]
        yield Case(
            f"{label}[0] at {limit + 1} characters",
            items["x-rules"]["maxLength"],
            (*path, "0"),
            "item-too-long",
            False,
            sized(items, limit + 1, path[-1]),
            limit,
        )


def _conditionals(schema: dict[str, Any]) -> Iterator[Case]:
    for rule in schema.get("allOf", []):
        condition = {
            k: v["const"] for k, v in rule.get("if", {}).get("properties", {}).items() if "const" in v
        }
        for field in rule.get("then", {}).get("required", []):
            yield Case(
                f"{field} missing when {condition}", rule["x-rule"], (field,), "conditional", False, condition
            )


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(path)


def valid_bodies(c: Contracts, schema_name: str, fixed: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Valid bodies with `fixed` values kept (references to existing resources), filtered through the
    contracts so conditional rules hold. Built here because hypothesis-jsonschema 0.23 fails on object
    schemas under current hypothesis, and schemathesis's open-world bodies add fields and lone
    surrogates that a form body cannot carry."""
    return (
        strategy(c.schemas[schema_name])
        .map(lambda body: {**body, **fixed})
        .filter(lambda body: not c.validate(schema_name, body))
    )


TEXT = st.characters(exclude_categories=("Cs",))
KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)


def strategy(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties")
        if not props:
            return st.dictionaries(KEYS, st.text(TEXT, max_size=20), max_size=3)
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: strategy(v) for k, v in props.items() if k in required},
            optional={k: strategy(v) for k, v in props.items() if k not in required},
        )
    if kind == "array":
        return st.lists(strategy(schema.get("items", {"type": "string"})), max_size=3)
    if kind == "integer":
        return st.integers(schema.get("minimum", 0), schema.get("maximum", 10**6))
    limit = schema.get("maxLength", 40)
    if schema.get("format") == "email":
        return st.emails().filter(lambda e: len(e) <= limit)
    return st.text(TEXT, min_size=schema.get("minLength", 0), max_size=limit)


def unique_id(prefix: str, length: int) -> str:
    """A fresh id of exactly `length` characters."""
    text = prefix
    while len(text) < length:
        text += uuid.uuid4().hex
    return text[:length]


Fixer = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class HeaderCase:
    header: str
    rule: str
    value: str
    valid: bool
    label: str
    keyword: str = ""

    def fresh(self) -> str:
        """The value to send: a length case gets a new unique value each time (an idempotency key
        must not be reused), every other case its fixed value."""
        return unique_id("k", len(self.value)) if self.keyword == "maxLength" else self.value


VALID_BY_FORMAT = {
    "email": ["jane.doe@example.com"],
    "base64-email": ["anVyZ2VuLm3DvGxsZXJAZXhhbXBsZS5jb20="],  # base64 of a UTF-8 email
    "ip-or-hostname": ["203.0.113.7", "2001:db8::1", "edge-1.example.com"],
}
# Each breaks only its format, not the header's other constraints (printable ASCII, no spaces), so a
# server that checks the charset but not the format is still caught.
INVALID_BY_FORMAT = {
    "email": "jane.doe.example.com",
    "base64-email": "@@not-base64@@",
    "ip-or-hostname": "not an ip!",
}


def header_cases(c: Contracts) -> list[HeaderCase]:
    """Valid and invalid values of every documented header, derived from request_headers.json."""
    found = []
    for header, schema in c.schemas["request_headers.json"]["properties"].items():
        if header == "content-type":
            continue
        rules = schema["x-rules"]
        rule = next(iter(rules.values()))
        for keyword, good, bad in _header_values(schema):
            for value in good:
                label = (
                    f"{header} {len(value)} characters" if keyword == "maxLength" else f"{header} {value!r}"
                )
                found.append(HeaderCase(header, rules.get(keyword, rule), value, True, label, keyword))
            if bad is not None:
                label = (
                    f"{header} {len(bad)} characters" if keyword == "maxLength" else f"{header} bad {bad!r}"
                )
                found.append(HeaderCase(header, rules.get(keyword, rule), bad, False, label, keyword))
    return found


def _header_values(schema: dict[str, Any]) -> Iterator[tuple[str, list[str], str | None]]:
    if "enum" in schema:
        yield "enum", list(schema["enum"]), "yes"
    if "format" in schema:
        yield "format", VALID_BY_FORMAT[schema["format"]], INVALID_BY_FORMAT[schema["format"]]
    if "maxLength" in schema:
        limit = schema["maxLength"]
        yield "maxLength", ["k" * limit], "k" * (limit + 1)
    if not {"enum", "format", "maxLength"} & schema.keys():
        yield "type", ["Pixel 9 Pro / Chrome 131"], None
