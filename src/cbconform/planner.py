"""The sandbox profile's request planner (docs/GATE.md, "The sandbox plan").

A remote target pays for every request and keeps every write, so a sandbox run:
- keeps, of each parametrized test, the fewest cases that still use every value of every parameter
  once (each boundary and enum case once, on one encoding or operation, not once per combination);
- reuses what it may: the customer's offer is fetched once, and the merchant's request cases that
  must be refused share one pending fulfillment (cbconform.suitekit);
- prints its plan before the suites' first request: the requests it will send and the writes it will
  leave, per suite, measured by a dry run of the same tests against the embedded reference server
  (cbconform.planmeter), and what `--max-requests` will cut.
The ci and thorough profiles are left whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SANDBOX = "sandbox"
PLAN_OUT, PLAN_FEATURES = "CBCONFORM_PLAN_OUT", "CBCONFORM_PLAN_FEATURES"
NO_PLAN = "CBCONFORM_NO_PLAN"  # set by the kill matrix's served runs
WRITES = ("create_offer_fulfillment", "create_order")
DRY_RUN_SECONDS = 300


def active(config: pytest.Config) -> bool:
    from cbconform.plugin import KEY

    session = config.stash.get(KEY, None)
    return session is not None and session.profile == SANDBOX


# ---------------------------------------------------------------------- the selection


def each_choice(items: list[pytest.Item]) -> list[pytest.Item]:
    """Of each parametrized test function, the fewest items (greedily, ties in collection order) that
    together use every value of every parameter; the kept items stay in collection order."""
    groups: dict[tuple[str, str], list[pytest.Item]] = defaultdict(list)
    for item in items:
        if getattr(getattr(item, "callspec", None), "params", None):
            groups[(str(item.path), item.originalname)].append(item)
    kept: set[int] = set()
    for group in groups.values():
        values = {id(item): _values(item) for item in group}
        wanted = set().union(*values.values())
        while wanted:
            best = max(group, key=lambda item: len(values[id(item)] & wanted))
            kept.add(id(best))
            wanted -= values[id(best)]
    return [item for item in items if id(item) in kept or not getattr(item, "callspec", None)]


def _params(item: pytest.Item) -> dict[str, Any]:
    return getattr(getattr(item, "callspec", None), "params", None) or {}


def _values(item: pytest.Item) -> set[tuple[str, str]]:
    return {(name, _key(value)) for name, value in item.callspec.params.items()}


def _key(value: Any) -> str:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return f"{type(value).__name__}:{value!r}"


def select(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The sandbox selection; cases the reading rules out (JSON bodies under form-only) skip without a
    request, so they are kept, and the choice is made among the others."""
    if not active(config):
        return
    from cbconform.plugin import KEY

    unread = config.stash[KEY].contracts.reading("AMB-REQUEST-ENCODING").value != "both"
    skipping = {id(i) for i in items if unread and _params(i).get("encoding") == "json"}
    chosen = {id(i) for i in each_choice([i for i in items if id(i) not in skipping])}
    kept = [i for i in items if id(i) in chosen or id(i) in skipping]
    dropped = [i for i in items if id(i) not in chosen and id(i) not in skipping]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


# ---------------------------------------------------------------------- the plan


def announce(session: pytest.Session) -> None:
    """Measures and prints the plan of a sandbox run against a target that is not embedded."""
    from cbconform.plugin import KEY
    from cbconform.transport import tell_user

    cb = session.config.stash.get(KEY, None)
    if cb is None or cb.profile != SANDBOX or cb.target.embedded or hasattr(session.config, "workerinput"):
        return
    if os.environ.get(NO_PLAN):
        return
    nodeids = list(dict.fromkeys(item.nodeid for item in session.items))
    if not nodeids:
        return
    cb.connect()
    started = time.monotonic()
    try:
        rows = dry_run(nodeids, session.config.rootpath, cb.values, cb.admin.features)
    except PlanError as error:
        tell_user(f"cbconform plan: not measured ({error})")
        return
    budget = cb.target.max_requests
    if budget is not None and budget < sum(r["requests"] for r in rows):
        rows = by_gain(rows, cb.contracts, cb.strict)
        rank = {row["test"]: n for n, row in enumerate(rows)}
        session.items.sort(key=lambda item: rank.get(item.nodeid, len(rank)))
    for line in plan_lines(rows, budget, cb.contracts, time.monotonic() - started, cb.strict):
        tell_user(line)


def by_gain(rows: list[dict], contracts: Any, strict: bool = False) -> list[dict]:
    """For a budget below the plan, the order that spends it best: the test examining the most gating
    rules not yet examined per request goes next (greedy set cover, ties in collection order); the
    connection stays first, and the tests that add no rule follow in their order."""
    first, rest = rows[:1], list(rows[1:])
    gating = {id(r): _gating(r["examined"], contracts, strict) for r in rest}
    covered: set[str] = set()
    ordered = []
    while rest:
        best = max(rest, key=lambda r: len(gating[id(r)] - covered) / max(r["requests"], 1))
        if not gating[id(best)] - covered:
            break
        ordered.append(best)
        covered |= gating[id(best)]
        rest.remove(best)
    return first + ordered + rest


class PlanError(Exception):
    pass


def dry_run(nodeids: list[str], root: Path, values: dict[str, Any], features: Iterable[str]) -> list[dict]:
    """The same tests, sandbox profile, against the embedded server offering only `features`: what each
    sent (requests, writes) and examined, in order, after the connection's two requests."""
    from cbconform import settings

    given = {"reading": values.get("reading") or {}, "strict": values.get("strict")}
    with tempfile.TemporaryDirectory(prefix="cbplan-") as tmp:
        out = Path(tmp) / "plan.json"
        argv = [sys.executable, "-m", "pytest", *nodeids, "-p", "cbconform.plugin",
                "-p", "cbconform.planmeter", "-p", "no:cacheprovider", "-q", "--tb=no",
                f"--rootdir={root}", "--profile=sandbox",
                *settings.to_argv({k: v for k, v in given.items() if v})]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not _target_variable(k)}
        env |= {PLAN_OUT: str(out), PLAN_FEATURES: ",".join(sorted(features))}
        try:
            subprocess.run(argv, cwd=root, env=env, capture_output=True, timeout=DRY_RUN_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            raise PlanError(f"the dry run took over {DRY_RUN_SECONDS} s") from None
        if not out.exists():
            raise PlanError("the dry run against the embedded server wrote nothing")
        rows = json.loads(out.read_text(encoding="utf-8"))
    connection = {"test": "(connection)", "suite": "connection: the probe and GET /__admin", "requests": 2}
    rows.insert(0, connection | {"writes": 0, "orders": 0, "examined": []})
    return rows


def _target_variable(name: str) -> bool:
    from cbconform import settings

    named = {s.env for s in settings.SETTINGS if s.env and s.name not in ("strict",)}
    return name in named


def plan_lines(
    rows: list[dict], budget: int | None, contracts: Any, seconds: float, strict: bool = False
) -> list[str]:
    requests, writes = sum(r["requests"] for r in rows), sum(r["writes"] for r in rows)
    orders = sum(r["orders"] for r in rows)
    lines = [
        f"cbconform plan (sandbox): {requests} requests, leaving {writes} writes ({writes - orders}"
        f" fulfillments, {orders} orders) on the target; measured by a dry run of the same tests against"
        f" the embedded reference server ({seconds:.1f} s), exact for a target that behaves as documented"
    ]
    per_suite: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        per_suite[row["suite"]][0] += row["requests"]
        per_suite[row["suite"]][1] += row["writes"]
    lines += [f"  {suite}: {n} requests, {w} writes" for suite, (n, w) in per_suite.items()]
    if budget is not None and budget < requests:
        lines.append(_cut(rows, budget, contracts, strict))
    else:
        once = _once(by_gain(rows, contracts, strict), contracts, strict)
        lines.append(
            f"  every gating rule the plan examines is examined once within --max-requests {once}, the tests"
            " examining the most rules per request first; the rest of the plan examines them again, on other"
            " cases"
        )
    return lines


def _once(ordered: list[dict], contracts: Any, strict: bool) -> int:
    """How many requests, in this order, until every gating rule the rows examine has been examined."""
    gating = _gating((r for row in ordered for r in row["examined"]), contracts, strict)
    spent, seen = 0, set()
    for row in ordered:
        if seen >= gating:
            break
        spent += row["requests"]
        seen |= set(row["examined"])
    return spent


def _cut(rows: list[dict], budget: int, contracts: Any, strict: bool) -> str:
    spent, reached, first_cut = 0, set(), None
    for row in rows:
        spent += row["requests"]
        if spent <= budget:
            reached.update(row["examined"])
        elif first_cut is None:
            first_cut = row["test"]
    planned = {rule for row in rows for rule in row["examined"]}
    lost = sorted(_gating(planned - reached, contracts, strict))
    shown = ", ".join(lost[:20]) + (f" and {len(lost) - 20} more" if len(lost) > 20 else "")
    return (
        f"  --max-requests {budget} is below the plan: the tests that examine the most rules per request go"
        f" first; the run stops at {first_cut}, and {len(lost)} gating rules will not be examined"
        f"{': ' + shown if lost else ''}"
    )


# ---------------------------------------------------------------------- boundary cases together


@dataclass(frozen=True)
class Together:
    """The valid boundary cases of one request (each field at its maximum length) sent as one body: one
    request instead of one per field. A refusal names the field (`param`), so its rule still fails."""

    cases: tuple[Any, ...]
    kind: str = "together"
    valid: bool = True
    path: tuple[str, ...] = ("*",)
    max_length: int | None = None

    @property
    def label(self) -> str:
        return f"{len(self.cases)} fields at their maximum length"

    @property
    def rule(self) -> str:
        return self.cases[0].rule

    def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        for case in self.cases:
            body = case.apply(body)
        return body


def together(params: list[Any], keep_apart: Iterable[str]) -> list[Any]:
    """In a sandbox run, the valid at-maximum cases (but those of `keep_apart` fields) become one."""
    apart = set(keep_apart)
    joined = [p.values[0] for p in params if _joinable(p.values[0], apart)]
    if len(joined) < 2:
        return params
    first = next(i for i, p in enumerate(params) if _joinable(p.values[0], apart))
    rest = [p for p in params if not _joinable(p.values[0], apart)]
    case = Together(tuple(dict.fromkeys(joined)))
    rules = sorted({c.rule for c in case.cases})
    one = pytest.param(case, "form", id=f"{case.label}-form", marks=pytest.mark.rule(*rules))
    return [*rest[:first], one, *rest[first:]]


def _joinable(case: Any, apart: set[str]) -> bool:
    return getattr(case, "kind", None) == "at-max" and case.path[-1] not in apart


def judge_together(expect: Any, coverage: Any, operation: str, case: Together, exchange: Any) -> None:
    for one in case.cases:
        coverage.boundary(f"{operation} {one.param}", one.max_length, one.max_length)
    body = exchange.json()
    named = body.get("param") if isinstance(body, dict) and exchange.status == 400 else None
    blamed = [c.rule for c in case.cases if c.param == named]
    expect.accepted(exchange, *(blamed or sorted({c.rule for c in case.cases})))


def _gating(rules: Iterable[str], contracts: Any, strict: bool) -> set[str]:
    """The rules among these that gate the run (documented MUST rules; inferred ones too, --strict)."""
    return {r for r in rules if r in contracts.rules and contracts.rules[r].gates(strict)}
