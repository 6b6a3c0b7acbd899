"""docs/CI.md is the recipe the tests run: its script is scripts/ci_recipe.sh, its YAML parses, installs
the gate from a wheel, runs that script and publishes junit.xml and report.html, and every setting it
names is one the script or the gate reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from cbconform.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "CI.md").read_text(encoding="utf-8")
SCRIPT = (ROOT / "scripts" / "ci_recipe.sh").read_text(encoding="utf-8")
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)


def _blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(DOC) if lang == language]


def test_the_published_script_is_the_tested_one() -> None:
    assert SCRIPT in _blocks("bash")


@pytest.mark.parametrize("text", _blocks("yaml"), ids=lambda text: text.split("\n", 1)[0][:40])
def test_each_job_parses_and_uses_only_known_settings(text: str) -> None:
    assert isinstance(yaml.safe_load(text), dict)
    known = set(re.findall(r"^#\s+(CBCONFORM_[A-Z_]+)", SCRIPT, re.M)) | {s.env for s in SETTINGS if s.env}
    assert set(re.findall(r"\b(CBCONFORM_[A-Z_]+|CHARGEBEE_API_KEY)\b", text)) <= known


@pytest.mark.parametrize("text", _blocks("yaml"), ids=lambda text: text.split("\n", 1)[0][:40])
def test_each_job_installs_the_wheel_runs_the_recipe_and_keeps_the_reports(text: str) -> None:
    assert re.search(r"pip install \S+\.whl", text)
    assert "bash conformance/ci_recipe.sh" in text
    assert "reports/report.html" in text or "path: reports/" in text
    if "CBCONFORM_TARGET" in text:  # an implementer's job: the test view, the baseline and the pins
        assert "junit.xml" in text and "CBCONFORM_EXPECTED_FAILURES" in text
        assert "CBCONFORM_VERSION" in text and "CBCONFORM_CONTRACTS_DIGEST" in text
