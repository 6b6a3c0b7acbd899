"""Links into report.html that a CI log, the terminal summary and junit.xml can print: every failing
rule has a stable anchor, its rule ID."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote


def anchor(rule_id: str) -> str:
    """The fragment of a rule's failure in report.html (rule IDs are already URL-safe; quote anyway)."""
    return quote(str(rule_id), safe="-_.")


def failure_link(report: str | Path, rule_id: str) -> str:
    """`reports/report.html#OF-STATUS-ENUM`: the report path as given, so it reads the same in a CI log."""
    return f"{report}#{anchor(rule_id)}"
