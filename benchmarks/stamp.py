"""What every benchmark prints first and beside each figure: the date and the command that produced it."""

from __future__ import annotations

import datetime
import os
import shlex
import sys


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def header(title: str) -> None:
    """The benchmark's title, the date, the machine's cores and the command line that ran it."""
    script = shlex.join(["python", *sys.argv])
    print(f"# {title}\n# {now()}, {os.cpu_count()} cores, load {_load()}\n# $ {script}")


def command(argv: list[str]) -> str:
    """A command as a person would type it: `python -m cbconform.cli` is `cbconform`."""
    if argv[:3] == [sys.executable, "-m", "cbconform.cli"]:
        argv = ["cbconform", *argv[3:]]
    return shlex.join(argv)


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"
