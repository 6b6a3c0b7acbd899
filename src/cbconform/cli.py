"""cbconform: conformance suite, reference server and reports for Chargebee's offer and order APIs.

Each command lives in its own module with `add_arguments` and `main`; only the chosen one is imported.
The command line behaves like a Unix tool: `| head` ends quietly, an error is one sentence on stderr,
every --help shows the defaults, --quiet and --verbose mean the same for every command, and NO_COLOR
turns colour off.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

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
    "compare": ("cbconform.compare", "send the same requests to two targets and report where they differ"),
    "mutants": ("cbconform.mutants", "run the suites against every fault of the reference server"),
}

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a tool whose reader went away
STOPPING = {signal.SIGINT, signal.SIGTERM}


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Shows each option's default, unless its help already names it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            "default" in text.lower()
            or default in (None, False, [], argparse.SUPPRESS)
            or action.option_strings == []
        ):
            return text
        return f"{text} (default: %(default)s)".strip()


class _Parser(argparse.ArgumentParser):
    """A usage error is one sentence, printed once, with where to look."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see `{self.prog} --help`).\n")


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("output")
    loudness = group.add_mutually_exclusive_group()
    loudness.add_argument("-q", "--quiet", action="store_true", help="print only the result and errors")
    loudness.add_argument("-v", "--verbose", action="store_true", help="print more, and tracebacks")
    return common


def parser_for(argv: Sequence[str]) -> tuple[argparse.ArgumentParser, object | None]:
    """The parser for `argv`, with the options of the command it names (imported only then)."""
    parser = _Parser(prog="cbconform", description=__doc__.split("\n\n")[0], formatter_class=_Formatter)
    parser.add_argument("--version", action="version", version=f"cbconform {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    chosen = next((arg for arg in argv if not arg.startswith("-")), None)
    module = None
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(
            name, help=help_text, description=help_text, formatter_class=_Formatter, parents=[_common()]
        )
        if name == chosen:  # import only what runs: `cbconform rules` needs no web server
            module = importlib.import_module(module_name)
            module.add_arguments(command)
            _defaults_in_help(command)
    return parser, module


def _defaults_in_help(parser: argparse.ArgumentParser) -> None:
    """An option declared without help still shows its default (argparse prints nothing for it)."""
    for action in parser._actions:
        if action.help is None and action.option_strings and action.default not in (None, False, []):
            action.help = "(default: %(default)s)"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in argv or "--verbose" in argv
    try:
        code = _main(argv)
        sys.stdout.flush()  # a closed pipe shows up here, inside the guard
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_PIPE
    except KeyboardInterrupt:
        print("cbconform: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # the last guard: one sentence, never a traceback (unless --verbose)
        if verbose:
            traceback.print_exc()
        print(f"cbconform: {_sentence(error)}", file=sys.stderr)
        return EXIT_USAGE


def _main(argv: list[str]) -> int:
    # Ctrl-C or SIGTERM while the command's modules import waits, pending, until the command can answer
    # it: a command that sets HELD_SIGNALS releases them itself (`run` still writes its reports then).
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
    try:
        parser, module = parser_for(argv)
        args = parser.parse_args(argv)
        if module is None:
            parser.print_help()
            return EXIT_USAGE
        _apply_loudness(args)
        if not getattr(module, "HELD_SIGNALS", False):
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        return int(module.main(args) or 0)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _apply_loudness(args: argparse.Namespace) -> None:
    """--quiet and --verbose for `run` (its progress and summary); other commands read args.quiet/verbose."""
    if not hasattr(args, "progress"):
        return
    from cbconform.report import terminal

    terminal.VERBOSITY = -1 if args.quiet else (1 if args.verbose else 0)
    if args.progress == "auto":  # a bar on a terminal, a line every 10 s in a log
        if args.quiet:
            args.progress = "quiet"
        elif args.verbose:
            args.progress = "lines"
        else:
            args.progress = "bar" if sys.stdout.isatty() else "periodic"


def _sentence(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _silence_stdout() -> None:
    """The reader is gone: point stdout at /dev/null so the interpreter's last flush does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
