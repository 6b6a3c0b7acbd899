"""The report as a person sees it: rendered in headless Chromium at 1280x800 and measured from the DOM.

Needs Debian's `chromium` (`apt-get install chromium`) and the `playwright` package; skips, saying so,
when either is missing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cbconform.report import html

playwright = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")

SAMPLES = Path(__file__).parent / "samples"
FOLD = 800
PASSING_MAX = 3000


@pytest.fixture(scope="module")
def page():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1280, "height": FOLD})
        yield page
        browser.close()


def load(page, tmp_path, sample: str):
    results = json.loads((SAMPLES / f"{sample}.json").read_text(encoding="utf-8"))
    path = tmp_path / f"{sample}.html"
    path.write_text(html.render(results), encoding="utf-8")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    return results, errors


def bottom(page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not displayed"
    return box["y"] + box["height"]


def test_first_failure_is_above_the_fold(page, tmp_path):
    _, errors = load(page, tmp_path, "failing")
    first = "#failures .failure"
    for part in (
        ".verdict",
        ".headline li.bad",
        f"{first} header h3",
        f"{first} .srcline",
        f"{first} .compare",
        f"{first} .reqline",
        f"{first} .curl pre",
        f"{first} .curl button.copy",
        f"{first} .replay pre",
        f"{first} .replay button.copy",
    ):
        assert bottom(page, part) <= FOLD, part
    assert page.locator(f"{first} .curl button.copy").first.is_visible()
    assert page.locator(f"{first} header h3").first.inner_text() == "OF-STATUS-ENUM"
    assert "3 gating rules failed" in page.locator(".headline").inner_text()
    assert not errors


def test_passing_report_is_short_when_collapsed(page, tmp_path):
    _, errors = load(page, tmp_path, "clean")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= PASSING_MAX
    assert page.locator("details.section[open]").count() == 0
    assert "Examined" in page.locator(".headline .examined").inner_text()
    assert bottom(page, ".headline li.limit") <= FOLD  # absent features are a visible limitation
    assert not errors


def test_rule_anchor_opens_the_collapsed_matrix(page, tmp_path):
    load(page, tmp_path, "failing")
    page.evaluate("location.hash = '#rule-OF-STATUS-ENUM'")
    assert page.locator("#rules").evaluate("d => d.open")
    assert page.locator("#rule-OF-STATUS-ENUM").is_visible()


def test_filters_hide_rules(page, tmp_path):
    results, _ = load(page, tmp_path, "failing")
    page.evaluate("document.getElementById('rules').open = true")
    page.select_option("#evidence", "inferred")
    inferred = sum(r.get("evidence") == "inferred" for r in results["rules"])
    assert page.locator("#matrix tr.rule:visible").count() == inferred
    assert page.locator("#shown").inner_text() == f"{inferred} of {len(results['rules'])} rules shown"
