"""Loads the contracts (schemas, rules, operations, error table, ambiguities) and maps schema
violations to rule IDs: all the suites and the reference server know of the API comes through here."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

from cbconform import attribution
from cbconform import contracts_meta as meta
from cbconform.attribution import SCHEMA_BASE, schema_rule_references
from cbconform.formats import FORMAT_CHECKER
from cbconform.memo import remembered
from cbconform.paths import contracts_dir

UNMAPPED = "SCHEMA-UNMAPPED"


@dataclass(frozen=True)
class Rule:
    id: str
    level: str
    statement: str
    source: str
    group: str
    area: str
    operations: tuple[str, ...]
    evidence: str = "inferred"
    quote: str = ""
    source_url: str = ""
    needs: str | None = None
    ambiguity: str | None = None

    def gates(self, strict: bool = False) -> bool:
        """Whether a failure of this rule fails the run: documented MUST rules always, inferred ones
        only under --strict; SHOULD rules never."""
        return self.level == "MUST" and (strict or self.evidence != "inferred")

    @property
    def page(self) -> str:
        return self.source.split(" § ", 1)[0]

    @property
    def section(self) -> str:
        return self.source.split(" § ", 1)[1] if " § " in self.source else ""


@dataclass(frozen=True)
class Operation:
    id: str
    title: str
    method: str
    path: str
    host: str
    page: str
    header_set: str
    headers: tuple[str, ...]
    success_status: int
    success_rule: str
    response: str
    error_statuses: tuple[int, ...]
    request_body: str | None = None
    path_params: str | None = None
    resource_key: str | None = None
    deprecated: bool = False


@dataclass(frozen=True)
class Reading:
    name: str
    says: str
    value: Any = None
    patch: tuple[Mapping[str, Any], ...] = ()
    error_statuses: tuple[int, ...] = ()
    unexaminable: tuple[str, ...] = ()  # rules no request can examine under this reading: they skip


@dataclass(frozen=True)
class Ambiguity:
    id: str
    question: str
    default: str
    rules: tuple[str, ...]
    readings: tuple[Reading, ...]
    sources: tuple[str, ...] = ()
    accounts_for: tuple[str, ...] = ()

    def reading(self, name: str) -> Reading:
        for reading in self.readings:
            if reading.name == name:
                return reading
        names = ", ".join(r.name for r in self.readings)
        raise ContractError(f"{self.id} has no reading {name!r}; choose one of: {names}")


@dataclass(frozen=True)
class ErrorRow:
    """One documented error status: every `type` and `api_error_code` the official document allows with
    it, and the `type` the reference server answers (`type`, one of them)."""

    status: int
    type: str
    codes: tuple[str, ...]
    meaning: str
    documented_types: tuple[str, ...] = ()
    source: str = ""

    def types(self) -> tuple[str, ...]:
        return self.documented_types or (self.type,)


@dataclass(frozen=True)
class Violation:
    """One way an instance breaks a contract, attributed to the rule whose constraint it breaks."""

    rule_id: str
    message: str
    path: str = ""
    field: str | None = None


class ContractError(ValueError):
    """The contracts, or a reading chosen for them, are not usable."""


def _patched(schemas: dict[str, dict[str, Any]], op: Mapping[str, Any]) -> None:
    problem = meta.apply_patch(schemas, op)
    if problem:
        raise ContractError(problem)


def _load_data(root: Path, name: str) -> dict[str, Any]:
    """One data file of the contracts, checked against its JSON Schema in contracts/meta/."""
    with (root / name).open("rb") as fh:
        data = tomllib.load(fh)
    problem = meta.problem(root, name, data)
    if problem:
        raise ContractError(problem)
    return data


class Contracts:
    """The contracts, with a reading chosen for each ambiguity."""

    def __init__(
        self,
        root: Path,
        readings: Mapping[str, str] | None = None,
        patches: tuple[Mapping[str, Any], ...] = (),
    ):
        self.root = root
        self._load_catalogue()
        self._load_operations()
        self._load_ambiguities(readings or {})
        self._load_schemas(patches)

    # ------------------------------------------------------------------ loading

    def _load_catalogue(self) -> None:
        raw = _load_data(self.root, "rules.toml")
        self.areas: tuple[str, ...] = tuple(raw["areas"])
        self.groups: dict[str, dict[str, Any]] = raw["groups"]
        self.needs: dict[str, str] = {name: entry["reason"] for name, entry in raw["needs"].items()}
        self.feature_table: dict[str, dict[str, Any]] = raw["needs"]
        self.pages = {page["id"]: page for page in _load_data(self.root, "sources.toml")["page"]}
        self.rules: dict[str, Rule] = {}
        for entry in raw["rule"]:
            prefix = entry["id"].split("-", 1)[0]
            group = self.groups.get(prefix)
            if group is None:
                raise ContractError(f"rule {entry['id']} has no group {prefix!r} in rules.toml")
            if entry["id"] in self.rules:
                raise ContractError(f"rule {entry['id']} is defined twice")
            self.rules[entry["id"]] = Rule(
                id=entry["id"],
                level=entry["level"],
                statement=entry["statement"],
                source=entry["source"],
                group=group["title"],
                area=entry.get("area", group["area"]),
                operations=tuple(entry.get("operations", group["operations"])),
                evidence=entry["evidence"],
                quote=entry.get("quote", ""),
                source_url=self._source_url(entry["id"], entry["source"]),
                needs=entry.get("needs"),
                ambiguity=entry.get("ambiguity"),
            )

    def _source_url(self, rule_id: str, source: str) -> str:
        page, _, section = source.partition(" § ")
        if page not in self.pages:
            raise ContractError(f"rule {rule_id} cites {page!r}, which sources.toml does not list")
        url = self.pages[page]["url"]
        return url + section if section.startswith("#/") else url

    def _load_operations(self) -> None:
        raw = _load_data(self.root, "operations.toml")
        self.header_sets: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in raw["header_sets"].items()}
        self.operations: dict[str, Operation] = {}
        for entry in raw["operation"]:
            entry = dict(entry)
            entry["headers"] = self.header_sets[entry["header_set"]]
            entry["error_statuses"] = tuple(entry["error_statuses"])
            self.operations[entry["id"]] = Operation(**entry)
        self.error_table = [
            ErrorRow(
                status=row["status"],
                type=row["type"],
                codes=tuple(row["codes"]),
                meaning=row["meaning"],
                documented_types=tuple(row["types"]),
                source=row["source"],
            )
            for row in _load_data(self.root, "errors.toml")["error"]
        ]

    def _load_ambiguities(self, chosen: Mapping[str, str]) -> None:
        self.ambiguities: dict[str, Ambiguity] = {}
        for entry in _load_data(self.root, "ambiguities.toml")["ambiguity"]:
            readings = tuple(
                Reading(
                    name=r["name"],
                    says=r["says"],
                    value=r.get("value"),
                    patch=tuple(r.get("patch", ())),
                    error_statuses=tuple(r.get("error_statuses", ())),
                    unexaminable=tuple(r.get("unexaminable", ())),
                )
                for r in entry["reading"]
            )
            self.ambiguities[entry["id"]] = Ambiguity(
                id=entry["id"],
                question=entry["question"],
                default=entry["default"],
                rules=tuple(entry["rules"]),
                readings=readings,
                sources=tuple(entry.get("sources", ())),
                accounts_for=tuple(entry.get("accounts_for", ())),
            )
        if unknown := ", ".join(sorted(set(chosen) - set(self.ambiguities))):
            raise ContractError(f"no such ambiguity: {unknown} (see `cbconform ambiguities`)")
        self.readings: dict[str, str] = {}
        for amb in self.ambiguities.values():
            name = chosen.get(amb.id, amb.default)
            amb.reading(name)  # raises on an unknown reading
            self.readings[amb.id] = name

    def _load_schemas(self, extra_patches: tuple[Mapping[str, Any], ...]) -> None:
        schema_dir = self.root / "schemas"
        self.schemas: dict[str, dict[str, Any]] = {}
        for path in sorted(schema_dir.rglob("*.json")):
            name = path.relative_to(schema_dir).as_posix()
            self.schemas[name] = json.loads(path.read_text(encoding="utf-8"))
        for amb_id, name in self.readings.items():
            patch = self.ambiguities[amb_id].reading(name).patch
            for op in patch:
                _patched(self.schemas, op)
            problem = meta.unattributed_after(self.schemas, patch, f"{amb_id}={name}")
            if problem:
                raise ContractError(problem)
        for op in extra_patches:
            _patched(self.schemas, op)
        resources = [(SCHEMA_BASE + name, Resource.from_contents(s)) for name, s in self.schemas.items()]
        self.registry: Registry = Registry().with_resources(resources)
        self._validators: dict[str, jsonschema.Draft202012Validator] = {}

    # ------------------------------------------------------------------ queries

    def reading(self, ambiguity_id: str) -> Reading:
        return self.ambiguities[ambiguity_id].reading(self.readings[ambiguity_id])

    def operation(self, operation_id: str) -> Operation:
        return self.operations[operation_id]

    def rules_for(self, operation_id: str) -> list[Rule]:
        return [r for r in self.rules.values() if "*" in r.operations or operation_id in r.operations]

    def error_statuses(self, operation_id: str | None) -> tuple[int, ...]:
        """The operation's documented error statuses (all, for no known operation) and the readings' own."""
        op = self.operations.get(operation_id or "")
        documented = op.error_statuses if op else tuple(row.status for row in self.error_table)
        chosen = (self.reading(amb).error_statuses for amb in self.readings)
        return documented + tuple(s for statuses in chosen for s in statuses)

    def error_row(self, status: int) -> ErrorRow | None:
        return next((row for row in self.error_table if row.status == status), None)

    def header_schema(self, header: str) -> dict[str, Any]:
        return self.schemas["request_headers.json"]["properties"][header]

    def validator(self, name: str) -> jsonschema.Draft202012Validator:
        if name not in self._validators:
            self._validators[name] = jsonschema.Draft202012Validator(
                self.schemas[name], registry=self.registry, format_checker=FORMAT_CHECKER
            )
        return self._validators[name]

    @remembered
    def validate(self, name: str, instance: Any) -> list[Violation]:
        """Every violation of schema `name` by `instance`, each attributed to a rule ID."""
        seen: dict[tuple[str, str, str | None], Violation] = {}
        for error in self.validator(name).iter_errors(instance):
            for rule, message, path, fld in attribution.attribute(self.schemas, self.registry, name, error):
                violation = Violation(rule or UNMAPPED, message, path, fld)
                seen.setdefault((violation.rule_id, violation.path, violation.field), violation)
        return list(seen.values())

    def rules_of_schema(self, name: str) -> set[str]:
        """Every rule a schema's annotations name, following $refs into other schema files."""
        refs = schema_rule_references(self)
        found, todo, seen = set(), [name], set()
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            found |= {
                rule for rule, places in refs.items() if any(p.startswith(current + "#") for p in places)
            }
            todo += [ref for ref in attribution.file_refs(self.schemas[current]) if ref in self.schemas]
        return found

    def validate_header(self, header: str, value: str) -> list[Violation]:
        return self.validate("request_headers.json", {header: value})


@lru_cache(maxsize=64)
def _cached(root: str, readings: tuple[tuple[str, str], ...], patches: str) -> Contracts:
    return Contracts(Path(root), dict(readings), tuple(json.loads(patches)))


def load(
    readings: Mapping[str, str] | None = None,
    root: Path | None = None,
    patches: tuple[Mapping[str, Any], ...] = (),
) -> Contracts:
    """The contracts under the chosen readings (defaults elsewhere), with optional extra JSON Patch
    operations (the reference server's validation faults); cached, so treat as read-only."""
    key = tuple(sorted((readings or {}).items()))
    return _cached(str(root or contracts_dir()), key, json.dumps(list(patches), sort_keys=True))
