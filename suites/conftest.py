"""The suites' fixtures and collection hooks, from the harness (cbconform.suitekit); the plugin
(cbconform.plugin) provides `api`, `expect`, `contracts`, `target`, `admin` and `coverage`."""

from cbconform.planner import announce as pytest_collection_finish  # noqa: F401
from cbconform.suitekit import (  # noqa: F401
    _every_answer_checked,
    _json_bodies,
    create,
    facts,
    in_progress,
    offer,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_generate_tests,
)
