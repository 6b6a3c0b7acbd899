"""The suite is proven by the faults it catches: every fault of the catalogue is killed by the rule it
was written against, and the clean reference server passes. A survivor is a missing or weak check."""

from __future__ import annotations

import json
import subprocess
import sys

import html5lib
import pytest

from cbconform.server import faults


@pytest.fixture(scope="module")
def matrix(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("mutants")
    argv = [sys.executable, "-m", "cbconform.cli", "mutants", "--no-peer", "--report-dir", str(out)]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=1200)
    assert (out / "mutants.html").stat().st_size > 0, proc.stdout + proc.stderr
    page = (out / "mutants.html").read_text(encoding="utf-8")
    return json.loads((out / "mutants.json").read_text(encoding="utf-8")) | {
        "exit": proc.returncode,
        "page": page,
    }


def test_mutants_clean_server_passes(matrix):
    assert matrix["clean"]["passed"], matrix["clean"]


def test_mutants_every_fault_is_in_the_matrix(matrix):
    assert sorted(r["fault"] for r in matrix["faults"]) == sorted(faults.catalogue())


@pytest.mark.parametrize("name", sorted(faults.catalogue()))
def test_mutants_fault_is_caught_by_its_rule(matrix, name):
    row = next(r for r in matrix["faults"] if r["fault"] == name)
    assert row["killed"], (
        f"{name} survived: its rule {row['rule']} did not fail ({row['caught_by']}, {row['errors']})"
    )


def test_mutants_page_parses_and_names_every_fault_and_unfaulted_rule(matrix):
    html5lib.HTMLParser(strict=True).parse(matrix["page"])
    assert "<script src" not in matrix["page"] and "<link" not in matrix["page"]
    for name in faults.catalogue():
        assert f"<code>{name}</code>" in matrix["page"]
    for rule in faults.unfaulted():
        assert rule in matrix["page"] and rule in matrix["unfaulted"]


def test_mutants_exit_code_says_no_survivor(matrix):
    assert matrix["survivors"] == [] and matrix["exit"] == 0
