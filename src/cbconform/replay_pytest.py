"""`cbconform replay --format pytest`: a standalone test file, one test per failure, that plays the
failure's story with httpx alone (playback.py, copied in) and asserts the recorded expectation.

The expectation is what the failed check can say without the suite: a status for an acceptance or a
refusal, the `param` an error must name, and otherwise that the answer is no longer the recorded failing
one (ids and timestamps aside, by their length only). The key is read from the environment (the
variable the `api_key` setting declares) when the tests run; the file never holds one."""

from __future__ import annotations

import inspect
import pprint
import re
from pathlib import Path
from typing import Any

from cbconform import playback, settings
from cbconform.replay import (
    RESPONSE_CHECKS,
    UsageError,
    _literal,
    failing_answer,
    needs,
    steps_of,
    unreplayable,
)
from cbconform.story import SERVED_URL

ENVS = {"key": "api_key", "target": "target", "grow": "grow_url", "core": "core_url"}
HEADER = '''"""Failures found by a cbconform run, as standalone tests (pytest and httpx only).
The run: {results}

Each test plays the failure's story against the target, with the ids the target returns, and checks
the last answer against what was documented. Run against the target under test:

    {key_env}=... {target_env}={target} pytest {name}

(or {grow_env} and {core_env} for two hosts).{serve}"""

from __future__ import annotations

'''

TESTS = """

import os

import pytest

KEY = os.environ.get({key_env!r}, "")
TARGET = os.environ.get({target_env!r}, {target!r})
BASES = {{
    "grow": os.environ.get({grow_env!r}, TARGET).rstrip("/"),
    "core": os.environ.get({core_env!r}, TARGET).rstrip("/"),
}}
FAILURES = {failures}


def replayed(failure):
    if not KEY:
        pytest.fail("Set {key_env} to the target's API key.")
    with httpx.Client(timeout=30.0, follow_redirects=False) as client:
        player = Player(client, BASES, KEY, features_of(client, BASES["grow"], KEY))
        try:
            response = player.play(failure["steps"])
        except CannotReplay as why:
            pytest.skip(f"CANNOT REPLAY ({{why}})")
    if response is None:
        pytest.skip("CANNOT REPLAY (the story ends without a request to check)")
    return response, player


def check(failure):
    if failure["expect"].get("cannot"):
        pytest.skip(f"CANNOT REPLAY ({{failure['expect']['cannot']}})")
    (response, player), expect = replayed(failure), failure["expect"]
    body = _json(response)
    said = f"[{{failure['rule_id']}}] documented: {{failure['documented']}}"
    said += f"; received: HTTP {{response.status_code}}"
    if "read" in expect:
        again = normalize(player.read, player.seen) == normalize(expect["read"], set(expect["times"]))
        assert not again, f"{{said}}, the recorded event log again ({{failure['received']}})"
    elif "not_statuses" in expect:
        assert response.status_code not in expect["not_statuses"], said
    elif "statuses" in expect:
        assert response.status_code in expect["statuses"], said
    elif "param" in expect:
        named = body.get("param") if isinstance(body, dict) else None
        assert named == expect["param"], f"{{said}}, param = {{named!r}}"
    else:
        if response.status_code // 100 != expect["status"] // 100:
            recorded = expect["status"]
            pytest.skip(f"CANNOT REPLAY (HTTP {{response.status_code}} where {{recorded}} was recorded)")
        again = same_answer(response, player.before, expect)
        assert not again, f"{{said}}, the recorded failing answer again ({{failure['received']}})"
"""

TEST = """

def test_{name}():
    check(FAILURES[{index}])
"""


def write(path: Path, results: dict[str, Any], failures: list[dict[str, Any]], contracts, bases) -> Path:
    target = results.get("target") or {}
    url = (bases or {}).get("grow") or (
        SERVED_URL if target.get("kind") == "embedded" else target.get("grow_url")
    )
    serve = ""
    if target.get("kind") == "embedded" and failures:
        command = failures[0].get("reproduce", {}).get("serve") or "cbconform serve --admin"
        serve = (
            f"\n\nThe failures came from the embedded reference server; serve the same one:\n    {command}"
        )
    data = [_entry(f, contracts) for f in failures]
    envs = {f"{name}_env": settings.BY_NAME[setting].env for name, setting in ENVS.items()}
    run = results.get("run", {}).get("command") or "a results file"
    text = HEADER.format(results=run, target=url, name=path.name, serve=serve, **envs)
    text += _playback_source() + TESTS.format(target=url, failures=pprint.pformat(data, width=110), **envs)
    text += "".join(TEST.format(name=_name(f), index=i) for i, f in enumerate(failures))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"Cannot write {path}: {error.strerror}.") from None
    return path


def _playback_source() -> str:
    source = inspect.getsource(playback)
    return source[source.index("import json") :]


def _entry(failure: dict[str, Any], contracts) -> dict[str, Any]:
    steps = steps_of(failure, contracts)
    why = unreplayable(contracts, failure)
    return {
        "id": failure["id"],
        "rule_id": failure["rule_id"],
        "documented": failure.get("documented"),
        "received": failure.get("received"),
        "expect": {"cannot": why}
        if (why := unreplayable(contracts, failure))
        else expectation(failure, steps, contracts),
        "steps": steps,
    }


def expectation(failure: dict[str, Any], steps: list[dict[str, Any]], contracts=None) -> dict[str, Any]:
    check, documented = failure.get("check"), failure.get("documented") or ""
    reads = playback.reads(steps)
    if contracts is not None and needs(contracts, failure) == "event-log" and reads:
        return {
            "read": reads[-1].get("answer"),
            "times": sorted(playback.story_times(steps)),
        }
    if check == "accepted":
        return {"statuses": list(range(200, 300))}
    if check == "rejected":
        return {"statuses": sorted({int(n) for n in re.findall(r"\d{3}", documented)})}
    if check == "param_names_field":
        return {"param": _literal(documented.partition("=")[2])}
    if check == "success_status" and check in RESPONSE_CHECKS:
        return {"statuses": [int(n) for n in re.findall(r"\d{3}", documented)][:1]}
    recorded = failing_answer(failure, steps)
    if check in RESPONSE_CHECKS and (recorded["status"] or 0) >= 500:  # the server error was the failure
        return {"not_statuses": list(range(500, 600))}
    if failure.get("received") == f"HTTP {recorded['status']}":  # the expectation was about the status
        return {"not_statuses": [recorded["status"]]}
    return recorded


def _name(failure: dict[str, Any]) -> str:
    return re.sub(r"\W+", "_", f"{failure['id']}_{failure['rule_id']}").lower()
