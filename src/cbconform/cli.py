"""`cbconform`: one entry point; each command lives in its own module with `add_arguments` and `main`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from cbconform import __version__

COMMANDS = {
    "run": ("cbconform.runner", "run the conformance suites against a target and write the reports"),
    "rules": ("cbconform.commands.rules", "print the rule catalogue"),
    "ambiguities": ("cbconform.commands.ambiguities", "print the ambiguity register and its readings"),
    "serve": ("cbconform.server.cli", "run the reference server"),
    "replay": ("cbconform.replay", "re-send the failing exchanges of a results file"),
    "mutants": ("cbconform.mutants", "run the suites against every fault of the reference server"),
}

EXIT_USAGE = 2


def _parser() -> tuple[argparse.ArgumentParser, dict[str, object]]:
    parser = argparse.ArgumentParser(prog="cbconform", description=__doc__)
    parser.add_argument("--version", action="version", version=f"cbconform {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules: dict[str, object] = {}
    for name, (module_name, help_text) in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        modules[name] = module
        command = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(command)
    return parser, modules


def main(argv: Sequence[str] | None = None) -> int:
    parser, modules = _parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    return int(modules[args.command].main(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
