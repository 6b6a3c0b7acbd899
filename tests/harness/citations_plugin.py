"""A pytest plugin for test_catalogue_coverage: after collection, writes {nodeid: [rule ids]} of every
item carrying the `rule` marker to $CBCONFORM_CITATIONS_OUT."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


def pytest_collection_finish(session: pytest.Session) -> None:
    citations = {
        item.nodeid: sorted({rule for mark in item.iter_markers("rule") for rule in mark.args})
        for item in session.items
        if item.get_closest_marker("rule") is not None
    }
    Path(os.environ["CBCONFORM_CITATIONS_OUT"]).write_text(json.dumps(citations), encoding="utf-8")
