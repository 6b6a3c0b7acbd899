"""A pytest plugin for test_readings: keeps only the collected items that cite a rule listed in
$CBCONFORM_SELECT_RULES (comma-separated), after the suites have attached their citations."""

from __future__ import annotations

import os

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = set(os.environ["CBCONFORM_SELECT_RULES"].split(","))
    keep, drop = [], []
    for item in items:
        cited = {rule for mark in item.iter_markers("rule") for rule in mark.args}
        (keep if cited & wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
