"""`cbconform ambiguities`: where the sources disagree, the reading enforced by default and the others."""

from __future__ import annotations

import argparse
import json

from cbconform import contracts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=["text", "json"], default="text", help="a list for people or JSON for machines"
    )


def main(args: argparse.Namespace) -> int:
    c = contracts.load()
    if getattr(args, "quiet", False) and args.format == "text":  # one line each: ID and the reading enforced
        for amb in c.ambiguities.values():
            print(f"{amb.id}={amb.default}")
        return 0
    if args.format == "json":
        rows = [
            {
                "id": a.id,
                "question": a.question,
                "default": a.default,
                "rules": list(a.rules),
                "sources": list(a.sources),
                "accounts_for": list(a.accounts_for),
                "readings": [{"name": r.name, "says": r.says, "value": r.value} for r in a.readings],
            }
            for a in c.ambiguities.values()
        ]
        print(json.dumps(rows, indent=2))
        return 0
    for amb in c.ambiguities.values():
        print(f"{amb.id}  (rules: {', '.join(amb.rules) or 'none; nothing asserted'})\n  {amb.question}")
        for source in amb.sources:
            print(f"    source: {source}")
        for reading in amb.readings:
            marker = "*" if reading.name == amb.default else " "
            print(f"  {marker} {reading.name:<16} {reading.says}")
        others = [r.name for r in amb.readings if r.name != amb.default]
        if others:
            print(f"    switch: --reading {amb.id}={others[0]}")
        print()
    print("* = enforced by default")
    return 0
