"""cbconform: conformance suite, reference server and reports for Chargebee's offer and order APIs.

Each command lives in its own module with `add_arguments` and `main`; only the chosen one is imported.
"""

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
    "contracts": (
        "cbconform.commands.contracts_diff",
        "contracts diff SPEC: compare the contracts with an official OpenAPI document",
    ),
    "serve": ("cbconform.server.cli", "run the reference server"),
    "replay": ("cbconform.replay", "re-send the failing exchanges of a results file"),
    "mutants": ("cbconform.mutants", "run the suites against every fault of the reference server"),
}

EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="cbconform", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"cbconform {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = next((arg for arg in argv if not arg.startswith("-")), None)
    module = None
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:  # import only what runs: `cbconform rules` needs no web server
            module = importlib.import_module(module_name)
            module.add_arguments(command)
    args = parser.parse_args(argv)
    if module is None:
        parser.print_help()
        return EXIT_USAGE
    return int(module.main(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
