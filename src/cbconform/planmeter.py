"""The sandbox plan's dry run (`-p cbconform.planmeter`, started by cbconform.planner): the embedded
server offers only the features of the real target, and each test's requests, writes (2xx creates) and
examined rules are written, in order, to the file $CBCONFORM_PLAN_OUT."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from cbconform.planner import PLAN_FEATURES, PLAN_OUT, WRITES
from cbconform.plugin import KEY

_ROWS: list[dict[str, Any]] = []
_BEFORE: dict[str, Any] = {}


def _session(config: pytest.Config):
    return config.stash[KEY]


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    cb = _session(session.config)
    cb.connect()
    cb.admin.features = frozenset(f for f in os.environ.get(PLAN_FEATURES, "").split(",") if f)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    cb = _session(item.config)
    _BEFORE.update(requests=cb.recorder.requests, exercised=Counter(cb.evidence.exercised), item=item)


def pytest_runtest_logfinish(nodeid: str, location: Any) -> None:
    item = _BEFORE.get("item")
    if item is None or item.nodeid != nodeid:
        return
    cb = _session(item.config)
    before = _BEFORE["exercised"]
    created = [e.operation for e in cb.recorder.current if e.operation in WRITES and 200 <= e.status < 300]
    _ROWS.append(
        {
            "test": nodeid,
            "suite": Path(nodeid.split("::")[0]).stem,
            "requests": cb.recorder.requests - _BEFORE["requests"],
            "writes": len(created),
            "orders": created.count(WRITES[1]),
            "examined": sorted(r for r, n in cb.evidence.exercised.items() if n > before.get(r, 0)),
        }
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    out = os.environ.get(PLAN_OUT)
    if out:
        Path(out).write_text(json.dumps(_ROWS), encoding="utf-8")
