"""Reports rendered from the results model (docs/ARCHITECTURE.md): results.json, junit.xml and a
self-contained report.html. All three come from the same dict, so they always agree."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

RESULTS = "results.json"
JUNIT = "junit.xml"
HTML = "report.html"
OUTCOME_RANK = {"fail": 0, "error": 1, "xfail": 2, "pass": 3, "skip": 4, "not_run": 5}


def write_all(results: dict[str, Any], report_dir: Path) -> dict[str, Path]:
    """Writes results.json, junit.xml and report.html into `report_dir`; returns their paths.

    JSON goes first: if rendering ever breaks, the machine-readable truth is already on disk."""
    from cbconform.report import html, junit

    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: report_dir / name for name in (RESULTS, JUNIT, HTML)}
    _write(paths[RESULTS], json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    _write(paths[JUNIT], junit.render(results))
    _write(paths[HTML], html.render(results))
    return paths


def load(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _write(path: Path, text: str) -> None:
    # Atomic, so a CI job that uploads the directory never sees half a report.
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
