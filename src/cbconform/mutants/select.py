"""The pytest plugin of a fault's run (`-p cbconform.mutants.select`): it keeps only the tests that
cite the fault's rule and stops once that rule has failed, because the fault is then caught."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, settings

ONLY_RULE = "CBCONFORM_ONLY_RULE"
SKIP_SLOW = "CBCONFORM_SKIP_SCHEMATHESIS"
SLOW_MODULE = "test_schemathesis.py"  # its coverage phase generates at collection: seconds per run

_CAUGHT: list[str] = []


@pytest.hookimpl(trylast=True)
def pytest_configure(config: Any) -> None:
    """A caught fault needs no minimal example: shrinking would only spend the matrix's time."""
    if os.environ.get(ONLY_RULE):
        current = settings()
        phases = [p for p in current.phases if p != Phase.shrink]
        settings.register_profile("cbconform-mutants", parent=current, phases=phases)
        settings.load_profile("cbconform-mutants")


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    rule = os.environ.get(ONLY_RULE)
    if not rule:
        return
    kept = [i for i in items if rule in {r for m in i.iter_markers("rule") for r in m.args}]
    config.hook.pytest_deselected(items=[i for i in items if i not in kept])
    items[:] = kept


def pytest_ignore_collect(collection_path: Path, config: Any) -> bool | None:
    return True if os.environ.get(SKIP_SLOW) and collection_path.name == SLOW_MODULE else None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> bool | None:
    """Once the rule has failed the remaining tests are passed over (not run). Not session.shouldstop:
    pytest ends that with an interrupt whose report renders long tracebacks, seconds over a matrix."""
    return True if _CAUGHT else None


def pytest_runtest_logreport(report: Any) -> None:
    rule = os.environ.get(ONLY_RULE)
    if rule and report.failed and f"[{rule}]" in report.longreprtext:
        _CAUGHT[:] = [f"{rule} failed: the fault is caught"]
