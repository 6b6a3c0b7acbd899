"""`cbconform rules`: the rule catalogue, as a table for people or JSON for machines."""

from __future__ import annotations

import argparse
import json
import shutil
import textwrap

from cbconform import contracts
from cbconform.contracts import Contracts, Rule


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--operation", help="only rules that apply to this operation id (see operations.toml)"
    )
    parser.add_argument("--area", help="only rules of this area (see `areas` in contracts/rules.toml)")
    parser.add_argument("--level", choices=["MUST", "SHOULD"], help="only rules of this level")
    parser.add_argument(
        "--evidence",
        choices=["seed", "spec", "docs", "sdk", "inferred"],
        help="only rules resting on this kind of evidence (inferred rules gate only under --strict)",
    )
    parser.add_argument("--format", choices=["text", "json"], default="text")


def _select(c: Contracts, args: argparse.Namespace) -> list[Rule]:
    rules = list(c.rules.values())
    if args.operation:
        rules = [r for r in rules if "*" in r.operations or args.operation in r.operations]
    if args.area:
        rules = [r for r in rules if r.area == args.area]
    if args.level:
        rules = [r for r in rules if r.level == args.level]
    if args.evidence:
        rules = [r for r in rules if r.evidence == args.evidence]
    return rules


def _as_json(c: Contracts, rules: list[Rule]) -> str:
    in_schemas = contracts.schema_rule_references(c)
    rows = [
        {
            "id": r.id,
            "level": r.level,
            "statement": r.statement,
            "evidence": r.evidence,
            "gates": r.gates(),
            "source": {"page": r.page, "section": r.section, "url": r.source_url, "quote": r.quote},
            "group": r.group,
            "area": r.area,
            "operations": list(r.operations),
            "needs": r.needs,
            "needs_reason": c.needs.get(r.needs) if r.needs else None,
            "ambiguity": r.ambiguity,
            "schema_locations": in_schemas.get(r.id, []),
        }
        for r in rules
    ]
    return json.dumps(rows, indent=2)


def _as_text(rules: list[Rule]) -> str:
    width = shutil.get_terminal_size((110, 20)).columns
    lines: list[str] = []
    group = None
    for rule in rules:
        if rule.group != group:
            group = rule.group
            lines.append(f"\n{group}")
        head = f"  {rule.id:<42} {rule.level:<6} {rule.evidence:<8} "
        body = textwrap.wrap(rule.statement, max(40, width - len(head))) or [""]
        lines.append(head + body[0])
        lines.extend(" " * len(head) + more for more in body[1:])
        lines.append(" " * len(head) + f"source: {rule.source}")
        lines.append(" " * len(head) + f"quote:  {rule.quote}")
    lines.append(
        f"\n{len(rules)} rules; evidence: seed, spec, docs, sdk or inferred (gates only under --strict)"
    )
    return "\n".join(lines).lstrip("\n")


def main(args: argparse.Namespace) -> int:
    c = contracts.load()
    if args.operation and args.operation not in c.operations:
        print(f"There is no operation {args.operation!r}; choose one of: {', '.join(c.operations)}.")
        return 2
    rules = _select(c, args)
    print(_as_json(c, rules) if args.format == "json" else _as_text(rules))
    return 0
