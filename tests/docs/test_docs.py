"""The docs agree with the code: every `cbconform ...` command quoted in README.md and docs/*.md parses
(the read-only ones also run), and every figure the README quotes sits beside the command that
measures it, so a reader can check it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from cbconform import cli

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "reports" / "README.md"]
INLINE = re.compile(r"`(cbconform [^`]+)`")
FENCE = re.compile(r"^```(?:bash|sh|console|shell)?\n(.*?)^```", re.S | re.M)
READ_ONLY = {("rules",), ("ambiguities",), ("serve", "--list-faults")}
# A measured figure: a ratio, a percentage, a time in seconds, or a count of faults or rules.
FIGURE = re.compile(r"\b\d+/\d+\b|\b\d+(?:\.\d+)? ?%|\b\d+ s\b|\b\d+ (?:faults|rules)\b")
MEASURES = re.compile(r"`(?:cbconform|pytest|tox|CBCONFORM_SEEDS=1 pytest)\b[^`]*`")


def _commands(text: str) -> list[str]:
    found = INLINE.findall(text)
    for block in FENCE.findall(text):
        for line in block.splitlines():
            for part in re.split(r"&&|;|\|", line.split(" #")[0]):
                part = part.strip()
                if part.startswith("cbconform "):
                    found.append(part)
    return found


def _argv(command: str) -> list[str]:
    """The command's arguments, optional parts `[...]` taken as given (their placeholders are strings)."""
    return shlex.split(command.replace("[", "").replace("]", ""))[1:]


COMMANDS = sorted(
    {(path.relative_to(ROOT).as_posix(), c) for path in DOCS for c in _commands(path.read_text())}
)


def test_the_docs_quote_commands():
    assert len(COMMANDS) >= 15


@pytest.mark.parametrize(("doc", "command"), COMMANDS, ids=[f"{d}: {c}" for d, c in COMMANDS])
def test_every_quoted_command_parses(doc, command, capsys):
    argv = _argv(command)
    parser, module = cli.parser_for(argv)
    assert module is not None, f"{doc}: `{command}` names no command"
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        pytest.fail(f"{doc}: `{command}` does not parse: {capsys.readouterr().err.strip()} ({stop.code})")
    if tuple(argv) in READ_ONLY:
        cli._apply_loudness(args)
        assert module.main(args) == 0, f"{doc}: `{command}` failed"


def _paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text) if not p.lstrip().startswith(("|", "```"))]


def test_every_readme_figure_sits_beside_its_command():
    lonely = [
        (FIGURE.findall(p), p[:80])
        for p in _paragraphs((ROOT / "README.md").read_text())
        if FIGURE.search(p) and not MEASURES.search(p)
    ]
    assert not lonely, f"figures without the command that measures them: {lonely}"
