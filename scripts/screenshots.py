"""Regenerates docs/screenshots/failing.png and passing.png: the sample reports at 1280x800 in headless
Chromium (Debian's `chromium`, driven by playwright). Run: `python scripts/screenshots.py`."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from cbconform.report import html

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "report" / "samples"
OUT = ROOT / "docs" / "screenshots"
SHOTS = {"failing": "failing", "passing": "clean"}
VIEWPORT = {"width": 1280, "height": 800}


def chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)


def main() -> int:
    browser_path = chromium()
    if browser_path is None:
        print("screenshots: no chromium on PATH (apt-get install chromium).", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path)
        page = browser.new_page(viewport=VIEWPORT)
        for shot, sample in SHOTS.items():
            results = json.loads((SAMPLES / f"{sample}.json").read_text(encoding="utf-8"))
            path = Path(tmp) / f"{shot}.html"
            path.write_text(html.render(results), encoding="utf-8")
            page.goto(path.as_uri())
            page.screenshot(path=str(OUT / f"{shot}.png"))
            height = page.evaluate("document.documentElement.scrollHeight")
            print(f"{OUT / f'{shot}.png'}  (page {height} px tall)")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
