"""`cbconform contracts diff SPEC`: compares the contracts with an official Chargebee OpenAPI document
(a file or a URL) for the five operations, and says which ambiguity of the register accounts for each
difference. Exit 0 only when every difference is accounted for.

Compared: request media types, success and error statuses, header parameters, the deprecated flag, the
servers, every request and response attribute's type, enum, maxLength, format, default and required-ness,
and per error status the documented types and api_error_codes. Numeric widths (int32, int64, double,
decimal) are not formats the contracts assert and are ignored."""

from __future__ import annotations

import argparse
import fnmatch
import json
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cbconform import contracts
from cbconform.contracts import Contracts, Operation

KEYWORDS = ("type", "enum", "maxLength", "format", "default")
WIDTHS = {"int32", "int64", "double", "decimal"}
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class Difference:
    key: str
    ours: Any
    theirs: Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["diff"], help="diff: compare the contracts with SPEC")
    parser.add_argument("spec", metavar="SPEC", help="path or URL of Chargebee's OpenAPI document")


def load_document(spec: str) -> dict[str, Any]:
    if spec.startswith(("http://", "https://")):
        import httpx

        try:
            response = httpx.get(spec, timeout=60, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise OSError(str(error) or type(error).__name__) from None
        return response.json()
    return json.loads(Path(spec).read_text(encoding="utf-8"))


class Document:
    """The official document, its local `$ref`s followed even where siblings sit beside them."""

    def __init__(self, raw: dict[str, Any]):
        self.raw = raw

    def deref(self, node: Any) -> Any:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
            target: Any = self.raw
            for step in node["$ref"][2:].split("/"):
                target = target[step.replace("~1", "/").replace("~0", "~")]
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return node


class Ours:
    """The contracts' schemas, their file and `#` references followed."""

    def __init__(self, c: Contracts):
        self.c = c

    def deref(self, node: Any, where: str) -> tuple[Any, str]:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            target, _, fragment = node["$ref"].partition("#")
            if target:
                where = posixpath.normpath(posixpath.join(posixpath.dirname(where), target))
            found: Any = self.c.schemas[where]
            for step in [s for s in fragment.split("/") if s]:
                found = found[step]
            node = found
        return node, where


def _type(node: dict[str, Any]) -> Any:
    if "type" in node:
        return node["type"]
    values = node.get("enum") or ([node["const"]] if "const" in node else [])
    return "string" if values and all(isinstance(v, str) for v in values) else None


def _format(node: dict[str, Any]) -> Any:
    return None if node.get("format") in WIDTHS else node.get("format")


def compare_schemas(
    doc: Document, ours: Ours, mine: Any, where: str, theirs: Any, key: str
) -> list[Difference]:
    mine, where = ours.deref(mine, where)
    theirs = doc.deref(theirs)
    if not isinstance(mine, dict) or not isinstance(theirs, dict):
        return []
    found = []
    for word in KEYWORDS:
        a = _type(mine) if word == "type" else _format(mine) if word == "format" else mine.get(word)
        b = _type(theirs) if word == "type" else _format(theirs) if word == "format" else theirs.get(word)
        if a != b:
            found.append(Difference(f"{key} {word}", a, b))
    for field in sorted(set(mine.get("required", [])) ^ set(theirs.get("required", []))):
        side = field in mine.get("required", [])
        found.append(Difference(f"{key} required {field}", side, not side))
    props, theirs_props = mine.get("properties", {}), theirs.get("properties", {})
    for name in sorted(set(props) | set(theirs_props)):
        sub = f"{key}/properties/{name}"
        if name not in props or name not in theirs_props:
            found.append(Difference(sub, name in props, name in theirs_props))
            continue
        found += compare_schemas(doc, ours, props[name], where, theirs_props[name], sub)
    if "items" in mine and "items" in theirs:
        found += compare_schemas(doc, ours, mine["items"], where, theirs["items"], f"{key}/items")
    return found


def _content_schema(doc: Document, holder: dict[str, Any], media: str) -> Any:
    return doc.deref(doc.deref(holder).get("content", {}).get(media, {}).get("schema"))


def compare_operation(c: Contracts, doc: Document, op: Operation) -> list[Difference]:
    spec = doc.raw["paths"].get(op.path, {}).get(op.method.lower())
    if spec is None:
        return [Difference(f"{op.id} operation", f"{op.method} {op.path}", None)]
    ours, found = Ours(c), []
    if bool(spec.get("deprecated")) != op.deprecated:
        found.append(Difference(f"{op.id} deprecated", op.deprecated, bool(spec.get("deprecated"))))
    if op.request_body:
        media = set(doc.deref(spec.get("requestBody", {})).get("content", {}))
        for kind in sorted({FORM, JSON} ^ media):
            found.append(
                Difference(f"{op.id} media type {kind}", kind != JSON or JSON not in media, kind in media)
            )
        schema = _content_schema(doc, spec.get("requestBody", {}), FORM)
        found += compare_schemas(
            doc, ours, c.schemas[op.request_body], op.request_body, schema, f"{op.id} request"
        )
    found += _compare_headers(c, doc, op, spec)
    found += _compare_responses(c, doc, ours, op, spec)
    for server in spec.get("servers", doc.raw.get("servers", [])):
        variables = server.get("variables", {})
        extra = set(variables.get("protocol", {}).get("enum", [])) - {"https"}
        extra |= set(variables.get("port", {}).get("enum", [])) - {"443"}
        if extra:
            found.append(Difference(f"{op.id} servers", "https on 443", f"also {sorted(extra)}"))
            break
    return found


def _compare_headers(c: Contracts, doc: Document, op: Operation, spec: dict[str, Any]) -> list[Difference]:
    params = [doc.deref(p) for p in spec.get("parameters", [])]
    theirs = {p["name"].lower(): p.get("schema", {}) for p in params if p.get("in") == "header"}
    mine = {h for h in op.headers if h != "content-type"}
    found = [Difference(f"{op.id} header {h}", h in mine, h in theirs) for h in sorted(mine ^ set(theirs))]
    for header in sorted(mine & set(theirs)):
        ours, spec_schema = c.header_schema(header), theirs[header]
        for word in KEYWORDS:
            a = _type(ours) if word == "type" else ours.get(word)
            b = _type(spec_schema) if word == "type" else spec_schema.get(word)
            if a != b:
                found.append(Difference(f"{op.id} header {header} {word}", a, b))
    return found


def _compare_responses(
    c: Contracts, doc: Document, ours: Ours, op: Operation, spec: dict
) -> list[Difference]:
    responses = spec.get("responses", {})
    success = sorted(int(s) for s in responses if s.startswith("2"))
    errors = sorted(int(s) for s in responses if not s.startswith("2") and s.isdigit())
    found = []
    if success != [op.success_status]:
        found.append(Difference(f"{op.id} success status", op.success_status, success))
    for status in sorted(set(op.error_statuses) ^ set(errors)):
        found.append(
            Difference(f"{op.id} error status {status}", status in op.error_statuses, status in errors)
        )
    body = _content_schema(doc, responses.get(str(op.success_status), {}), JSON)
    found += compare_schemas(doc, ours, c.schemas[op.response], op.response, body, f"{op.id} response")
    for status in errors:
        row, schema = c.error_row(status), _content_schema(doc, responses[str(status)], JSON) or {}
        props = schema.get("properties", {})
        for name, mine, theirs in (
            ("types", row.types() if row else (), props.get("type", {}).get("enum", [])),
            ("api_error_codes", row.codes if row else (), props.get("api_error_code", {}).get("enum", [])),
        ):
            if set(mine) != set(theirs):
                found.append(Difference(f"{op.id} error {status} {name}", sorted(mine), sorted(theirs)))
        body_schema = {**schema, "properties": {k: _no_enum(v) for k, v in props.items()}}
        mine = c.schemas["error.json"]
        mine = {**mine, "properties": {k: _no_enum(v) for k, v in mine.get("properties", {}).items()}}
        found += compare_schemas(doc, ours, mine, "error.json", body_schema, f"{op.id} error {status} body")
    return found


def _no_enum(node: dict[str, Any]) -> dict[str, Any]:
    """An error attribute without its enum: the error table compares those, status by status."""
    return {k: v for k, v in node.items() if k != "enum"}


def accounted_for(c: Contracts, difference: Difference) -> str | None:
    for amb in c.ambiguities.values():
        if any(fnmatch.fnmatchcase(difference.key, pattern) for pattern in amb.accounts_for):
            return amb.id
    return None


def diff(c: Contracts, raw: dict[str, Any]) -> list[tuple[Difference, str | None]]:
    doc = Document(raw)
    found = [d for op in c.operations.values() for d in compare_operation(c, doc, op)]
    return [(d, accounted_for(c, d)) for d in found]


def main(args: argparse.Namespace) -> int:
    try:
        raw = load_document(args.spec)
    except (OSError, ValueError) as error:
        print(f"Cannot read the OpenAPI document {args.spec!r}: {error}.")
        return 2
    if not isinstance(raw, dict) or "paths" not in raw:
        print(f"{args.spec!r} is not an OpenAPI document (it has no paths).")
        return 2
    results = diff(contracts.load(), raw)
    version = raw.get("info", {}).get("version", "?")
    for difference, amb in results:
        verdict = f"accounted for by {amb}" if amb else "NOT ACCOUNTED FOR"
        print(f"{difference.key}: contracts {difference.ours!r}, document {difference.theirs!r} [{verdict}]")
    loose = sum(1 for _, amb in results if amb is None)
    print(f"\n{len(results)} differences with the document (version {version}); {loose} not accounted for.")
    return 1 if loose else 0
