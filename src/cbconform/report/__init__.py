"""Reports rendered from the results model (docs/ARCHITECTURE.md): results.json, junit.xml and a
self-contained report.html. All three come from the same dict, so they always agree.

Whatever a target sent, writing cannot break: strings are made safe for each medium (report.safe),
every form of the key is scrubbed (cbconform.redact), each file is replaced atomically, and a report
that cannot be rendered is replaced by a short page saying so while the others are still written; the
run then counts as a harness error."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = "results.json"
JUNIT = "junit.xml"
HTML = "report.html"
OUTCOME_RANK = {"fail": 0, "error": 1, "xfail": 2, "pass": 3, "skip": 4, "not_run": 5}


def incomplete_because(run: dict[str, Any]) -> str | None:
    """Why a run is incomplete, in one sentence for every report: it stopped early, or the target left
    requests unanswered (their tests could not examine anything), or both."""
    why = [run["stop_reason"]] if run.get("stop_reason") else []
    unanswered = run.get("unanswered") or []
    if unanswered:
        n, first = len(unanswered), unanswered[0]
        some = "a request" if n == 1 else f"{n} requests"
        why.append(f"the target left {some} unanswered ({first['request']}: {first['reason']})")
    return "; ".join(why) or None


def write_all(results: dict[str, Any], report_dir: Path) -> dict[str, Path]:
    """Writes results.json, junit.xml and report.html into `report_dir`; returns their paths."""
    from cbconform import redact
    from cbconform.report import html, junit, safe

    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    scrubber = redact.active()
    model = scrubber.value(safe.clean_value(results))
    renderers: dict[str, Callable[[dict[str, Any]], str]] = {
        JUNIT: junit.render,
        HTML: lambda m: html.render(safe.clean_value(m, safe.visible)),
    }
    texts, broken = {}, {}
    for name, render in renderers.items():
        try:
            texts[name] = render(model)
        except Exception as error:  # one broken report must not cost the others
            broken[name] = f"{name} could not be rendered ({type(error).__name__}: {str(error)[:200]})"
    if broken:
        _harness_error(model, list(broken.values()))
        _harness_error(results, list(broken.values()))
        texts |= {name: FALLBACK[name](model, sentence) for name, sentence in broken.items()}
    texts[RESULTS] = json.dumps(model, indent=2, ensure_ascii=False) + "\n"
    paths = {name: report_dir / name for name in (RESULTS, JUNIT, HTML)}
    for name in (RESULTS, JUNIT, HTML):
        _write(paths[name], safe.clean(scrubber.text(texts[name])))
    return paths


def load(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _harness_error(model: dict[str, Any], sentences: list[str]) -> None:
    model.setdefault("summary", {})["verdict"] = "error"
    errors = model.setdefault("errors", [])
    for sentence in sentences:
        if not any(e.get("message") == sentence for e in errors):
            errors.append({"test": "(reports)", "message": sentence, "detail": sentence})


def _fallback_html(model: dict[str, Any], sentence: str) -> str:
    from html import escape

    from cbconform.report.safe import visible

    verdict = escape(str(model.get("summary", {}).get("verdict", "error")))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>cbconform report</title></head>'
        f"<body><h1>Verdict: {verdict}</h1><p>{escape(visible(sentence))}</p>"
        f"<p>The full results are in {RESULTS}.</p></body></html>\n"
    )


def _fallback_junit(model: dict[str, Any], sentence: str) -> str:
    import xml.etree.ElementTree as ET

    from cbconform.report.safe import xml

    root = ET.Element("testsuites", name="chargebee-conformance", tests="1", failures="0", errors="1")
    suite = ET.SubElement(root, "testsuite", name="cbconform.reports", tests="1", failures="0", errors="1")
    case = ET.SubElement(suite, "testcase", classname="cbconform", name="reports")
    ET.SubElement(case, "error", type="harness", message=xml(sentence)).text = f"See {RESULTS}."
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


FALLBACK = {HTML: _fallback_html, JUNIT: _fallback_junit}


def _write(path: Path, text: str) -> None:
    # Atomic, so a CI job that uploads the directory never sees half a report; no temporary file is
    # left behind, whatever fails.
    data = text.encode("utf-8", "backslashreplace")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
