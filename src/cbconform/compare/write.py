"""compare.json and compare.html (the two targets side by side), rendered from the same model.

The page uses the report package's stylesheet and the same escaping: jinja2 autoescape on every
.html.j2 template, so no answer from a target is ever interpreted as markup."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

from cbconform.report.html import TEMPLATES as REPORT_TEMPLATES
from cbconform.report.html import bytecode_cache

TEMPLATES = Path(__file__).parent / "templates"


def write_all(model: dict[str, Any], report_dir: Path) -> list[Path]:
    report_dir.mkdir(parents=True, exist_ok=True)
    paths = [report_dir / "compare.json", report_dir / "compare.html"]
    _write(paths[0], json.dumps(model, indent=2, ensure_ascii=False) + "\n")
    _write(paths[1], render(model))
    return paths


def render(model: dict[str, Any]) -> str:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(TEMPLATES), FileSystemLoader(REPORT_TEMPLATES)]),
        bytecode_cache=bytecode_cache(),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("compare.html.j2").render(m=model)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
