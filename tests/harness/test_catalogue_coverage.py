"""Every rule of the catalogue is cited by at least one test of the suites.

Citations are what the plugin reads: the `rule(*ids)` markers on the collected items, including those
that the parametrize helpers (request cases, `rules_mark`) attach. The catalogue has no field that
exempts a rule: `needs` only says which target feature a rule's check requires (the test is skipped,
with that reason, on a target without it), so such a rule still needs a citing test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cbconform import contracts

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _citations(tmp_path: Path) -> dict[str, list[str]]:
    out = tmp_path / "citations.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    env["CBCONFORM_CITATIONS_OUT"] = str(out)
    argv = [sys.executable, "-m", "pytest", "--collect-only", "-q", "suites"]
    proc = subprocess.run(
        [*argv, "-p", "no:cacheprovider", "-p", "citations_plugin"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))


def test_every_rule_is_cited_by_a_suite_test(tmp_path: Path) -> None:
    citations = _citations(tmp_path)
    catalogue = contracts.load().rules
    cited = {rule for rules in citations.values() for rule in rules}
    assert len(citations) > 100, "the suites collected suspiciously few tests citing rules"
    assert cited <= set(catalogue), f"tests cite rules not in the catalogue: {sorted(cited - set(catalogue))}"
    uncited = sorted(set(catalogue) - cited)
    assert not uncited, f"{len(uncited)} catalogue rule(s) no suite test cites: {', '.join(uncited)}"
