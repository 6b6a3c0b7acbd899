"""The contracts checked as data: each data file against its JSON Schema in contracts/meta/, and every
constraint of a schema attributed to a rule (also after a reading's patch)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonpatch
import jsonschema

CONSTRAINTS = frozenset(
    {"type", "enum", "const", "maxLength", "minLength", "maxItems", "minimum", "maximum", "format", "pattern"}
)


@lru_cache(maxsize=16)
def _validator(path: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(Path(path).read_text(encoding="utf-8")))


def problem(root: Path, name: str, data: Any) -> str | None:
    """One sentence naming the first way `data` (the parsed file `name`) breaks its meta-schema."""
    meta = root / "meta" / (name.rsplit(".", 1)[0] + ".schema.json")
    if not meta.exists():
        return None
    error = jsonschema.exceptions.best_match(_validator(str(meta)).iter_errors(data))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "the top level"
    return f"contracts/{name} is malformed at {where}: {error.message}."


def unannotated(node: Any, where: str, inside_condition: bool = False) -> list[str]:
    """Constraint keywords that no `x-rules` entry (nor an enclosing `x-rule`) attributes to a rule."""
    found: list[str] = []
    if isinstance(node, list):
        for i, child in enumerate(node):
            found += unannotated(child, f"{where}/{i}", inside_condition)
        return found
    if not isinstance(node, dict):
        return found
    covered = inside_condition or "x-rule" in node
    mapped = node.get("x-rules", {})
    for keyword in sorted(CONSTRAINTS & node.keys()):
        if not covered and keyword not in mapped:
            found.append(f"{where}/{keyword}")
    required = node.get("required", [])
    if required and not covered:
        found += [f"{where}/required/{f}" for f in required if f not in mapped.get("required", {})]
    for key, child in node.items():
        if key in ("properties", "$defs"):
            for name, sub in child.items():
                found += unannotated(sub, f"{where}/{key}/{name}", covered)
        elif key in ("items", "allOf", "if", "then", "else", "not"):
            found += unannotated(child, f"{where}/{key}", covered or key in ("if", "then", "else", "not"))
    return found


def unattributed_after(schemas: dict[str, Any], patch: tuple[Any, ...], reading: str) -> str | None:
    """One sentence when a reading's patch left a constraint of a schema it touched without a rule."""
    for schema in sorted({op["schema"] for op in patch}):
        loose = unannotated(schemas[schema], schema + "#")
        if loose:
            return (
                f"the reading {reading} leaves {loose[0]} without an x-rules entry naming the rule it"
                " enforces; add one to the reading's patch"
            )
    return None


def apply_patch(schemas: dict[str, dict[str, Any]], op: Any) -> str | None:
    """One RFC 6902 operation on the schema that `op["schema"]` names; one sentence when it fails."""
    step = {k: v for k, v in op.items() if k != "schema"}
    try:
        schemas[op["schema"]] = jsonpatch.apply_patch(schemas[op["schema"]], [step])
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, KeyError) as error:
        return f"the patch {dict(op)} does not apply: {error}"
    return None
