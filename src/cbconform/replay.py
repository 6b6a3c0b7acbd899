"""`cbconform replay`: play each failure's story again against a target and re-check the last answer.

The story (see story.py) holds the creates, updates and clock moves the failure needed; playback.py
sends them with the ids the new target returns. The last answer is judged by the check that failed:
the response checks run again; an acceptance or refusal is judged by its status; any other expectation
(one a test computed) is judged by whether the target gives the recorded failing answer again, ids and
timestamps aside. Per failure: FIXED, STILL FAILING (what was received) or CANNOT REPLAY (why).

Against an embedded run's results, with no target given, each story plays on a fresh in-process
reference server with the recorded faults and readings.

Exit codes: 0 every failure is fixed, 1 any still fails or cannot be replayed, 2 usage error,
3 the target cannot be reached.
"""

from __future__ import annotations

import argparse
import ast
import base64
import json
import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from cbconform import contracts as contracts_module
from cbconform import liveguard, playback, redact, settings
from cbconform.checks import CHECKS
from cbconform.checks import responses as response_checks
from cbconform.exchange import Exchange
from cbconform.target import DEFAULT_KEY, EMBEDDED_URL, REMOTE_RATE
from cbconform.transport import InProcess, Mannered

FIXED, FAILING, USAGE, UNREACHABLE = 0, 1, 2, 3
KEY_ENV = settings.BY_NAME["api_key"].env or ""
RESPONSE_CHECKS = {name for name, c in CHECKS.items() if c.fn.__module__ == response_checks.__name__}


class UsageError(Exception):
    """One plain sentence, exit 2."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", metavar="RESULTS", help="a results.json written by `cbconform run`")
    parser.add_argument("--target", metavar="URL", help="one base URL serving both hosts")
    parser.add_argument("--grow-url", metavar="URL", help="base URL of the grow host")
    parser.add_argument("--core-url", metavar="URL", help="base URL of the core host")
    parser.add_argument("--api-key", help=f"the API key (default: ${KEY_ENV}); never printed")
    parser.add_argument(
        "--failure", action="append", default=[], metavar="ID", help="replay only this failure (repeatable)"
    )
    parser.add_argument(
        "--format", choices=("text", "pytest"), default="text", help="pytest: write a standalone test file"
    )
    parser.add_argument(
        "--output", metavar="FILE", default="test_cbconform_replay.py", help="the file --format pytest writes"
    )


def main(args: argparse.Namespace) -> int:
    redact.register(args.api_key, os.environ.get("CHARGEBEE_API_KEY"))
    with redact.redacted_streams():  # what a target echoes back is printed scrubbed (cbconform.redact)
        return _main(args)


def _main(args: argparse.Namespace) -> int:
    try:
        results = _load(Path(args.results))
        failures = _chosen(results, args.failure)
        bases = _bases(args)
        contracts = _contracts(results)
        if args.format == "pytest":
            from cbconform import replay_pytest

            path = replay_pytest.write(Path(args.output), results, failures, contracts, bases)
            print(f"Wrote {len(failures)} test(s) to {path}; run them with `pytest {path}`.")
            return FIXED
        replayer = Replayer(results, contracts, bases, args.api_key or os.environ.get(KEY_ENV))
    except UsageError as error:
        print(f"cbconform replay: {error}", file=sys.stderr)
        return USAGE
    try:
        verdicts = [replayer.verdict(failure) for failure in failures]
    except httpx.TransportError as error:
        print(f"cbconform replay: the target cannot be reached ({type(error).__name__}).", file=sys.stderr)
        return UNREACHABLE
    for line, _ in verdicts:
        print(line)
    return FAILING if any(failing for _, failing in verdicts) else FIXED


def _load(path: Path) -> dict[str, Any]:
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"The results file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise UsageError(f"The results file {path} cannot be read as JSON.") from None
    if not isinstance(results, dict) or not isinstance(results.get("failures"), list):
        raise UsageError(f"{path} is not a results file written by `cbconform run`.")
    return results


def _chosen(results: dict[str, Any], ids: list[str]) -> list[dict[str, Any]]:
    by_id = {f["id"]: f for f in results["failures"]}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise UsageError(f"The results file has no failure {', '.join(unknown)}.")
    return [by_id[i] for i in ids] if ids else results["failures"]


def _bases(args: argparse.Namespace) -> dict[str, str] | None:
    if args.target and (args.grow_url or args.core_url):
        raise UsageError("Give --target or --grow-url with --core-url, not both.")
    if bool(args.grow_url) != bool(args.core_url):
        raise UsageError("Give both --grow-url and --core-url, or --target for a server that serves both.")
    grow, core = args.grow_url or args.target, args.core_url or args.target
    if not grow:
        return None
    for url in (grow, core):
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise UsageError(f"{url!r} is not an http(s) URL such as http://127.0.0.1:8080/api/v2.")
    return {"grow": grow.rstrip("/"), "core": core.rstrip("/")}


def _contracts(results: dict[str, Any]):
    try:
        return contracts_module.load((results.get("target") or {}).get("readings") or {})
    except contracts_module.ContractError as error:
        raise UsageError(f"The recorded readings cannot be loaded: {error}") from None


# Features a story needs no admin step for. A rule judged through another feature of the admin API (the
# event log, a rate limit the test set) replays only from a story that recorded those admin steps.
REPLAYABLE_NEEDS = {None, "clock", "idempotency", "multi-brand"}


def needs(contracts, failure: dict[str, Any]) -> str | None:
    rule = contracts.rules.get(failure["rule_id"])
    return rule.needs if rule else None


def unreplayable(contracts, failure: dict[str, Any]) -> str | None:
    feature = needs(contracts, failure)
    admin = {s["admin"]["feature"] for s in failure.get("story") or () if "admin" in s}
    if feature in REPLAYABLE_NEEDS or feature in admin:
        return None
    rerun = (failure.get("reproduce") or {}).get("pytest")
    return f"the rule is judged through the target's {feature}, which this story does not record" + (
        f"; re-run the test instead: {rerun}" if rerun else ""
    )


def steps_of(failure: dict[str, Any], contracts) -> list[dict[str, Any]]:
    """The failure's story with each step's host; a results file without stories replays one request."""
    steps = failure.get("story") or ([_step(failure["exchange"])] if failure.get("exchange") else [])
    hosts = {name: op.host for name, op in contracts.operations.items()}
    return [s if "clock" in s else s | {"host": hosts.get(s.get("operation"), "grow")} for s in steps]


def _step(recorded: dict[str, Any]) -> dict[str, Any]:
    request = recorded["request"]
    keep = {k: v for k, v in request["headers"].items() if k == "content-type" or k.startswith("chargebee-")}
    return {
        "operation": recorded.get("operation"),
        "method": request["method"],
        "url": request["url"],
        "headers": keep,
        "body": request.get("body") or "",
        "authenticated": "authorization" in request["headers"],
        "status": recorded["response"]["status"],
        "ids": {},
    }


Played = tuple[Exchange, httpx.Response, set[int]]  # the last answer, recorded and raw; times seen before


class Replayer:
    def __init__(self, results: dict[str, Any], contracts, bases: dict[str, str] | None, key: str | None):
        target = results.get("target") or {}
        self.contracts, self.target = contracts, target
        self.embedded = bases is None and target.get("kind") == "embedded"
        self.key = key or (DEFAULT_KEY if self.embedded else "")
        if not self.key:
            raise UsageError(f"No API key: set {KEY_ENV} (or pass --api-key).")
        recorded = {"grow": target.get("grow_url") or "", "core": target.get("core_url") or ""}
        self.bases = {"grow": EMBEDDED_URL, "core": EMBEDDED_URL} if self.embedded else bases or recorded
        self.secrets = (self.key, base64.b64encode(f"{self.key}:".encode()).decode())
        self._features: set[str] | None = None

    def verdict(self, failure: dict[str, Any]) -> tuple[str, bool]:
        head = f"{failure['id']} {failure['rule_id']}"
        steps = steps_of(failure, self.contracts)
        why = unreplayable(self.contracts, failure)
        if why:
            return f"{head} CANNOT REPLAY ({why})", True
        if not steps:
            return f"{head} CANNOT REPLAY (no request was recorded for it)", True
        with self._client() as client:
            moves = any("clock" in step or "admin" in step for step in steps)
            features = self._features_of(client) if moves else set()
            player = playback.Player(client, self.bases, self.key, features)
            try:
                response = player.play(steps)
            except playback.CannotReplay as error:
                return f"{head} CANNOT REPLAY ({error})", True
        if response is None:
            return f"{head} CANNOT REPLAY (the story ends without a request to check)", True
        operation = next((s.get("operation") for s in reversed(steps) if "clock" not in s), None)
        exchange = Exchange.record(response, self.secrets, operation=operation)
        if needs(self.contracts, failure) == "event-log":
            verdict, failing = judge_read(failure, steps, player)
        else:
            verdict, failing = judge(self.contracts, failure, (exchange, response, player.before), steps)
        return f"{head} {verdict}", failing

    def _client(self) -> httpx.Client:
        if self.embedded:  # a fresh server per story: one story's state never meets another's
            transport: httpx.BaseTransport = InProcess(_app(self.target, self.key))
        else:
            local = all(liveguard.is_loopback(url) for url in self.bases.values())
            transport = Mannered(httpx.HTTPTransport(), None if local else REMOTE_RATE, None)
        return httpx.Client(transport=transport, timeout=30.0, follow_redirects=False)

    def _features_of(self, client: httpx.Client) -> set[str]:
        if self._features is None:
            self._features = playback.features_of(client, self.bases["grow"], self.key)
        return self._features


def _app(target: dict[str, Any], key: str):
    from cbconform.server import ServerConfig, create_app

    faults = frozenset(target.get("faults") or ())
    return create_app(
        ServerConfig(api_key=key, admin=True, readings=target.get("readings") or {}, faults=faults)
    )


def judge(contracts, failure: dict[str, Any], played: Played, steps: list[dict]) -> tuple[str, bool]:
    """STILL FAILING / FIXED / CANNOT REPLAY for the answer to the story's last request."""
    check, rule = failure.get("check"), failure["rule_id"]
    exchange, response, before = played
    recorded_status = failing_answer(failure, steps)["status"]
    answer = _answer(exchange)
    if check in RESPONSE_CHECKS:
        found = [f for f in response_checks.conformance(contracts, exchange) if f.rule_id == rule]
        if found:
            return f"STILL FAILING: {found[0].received}", True
        if recorded_status >= 500 > exchange.status:  # the server error was the failure
            return "FIXED", False
        if exchange.status // 100 != recorded_status // 100:
            return _not_exercised(exchange.status, recorded_status), True
        return "FIXED", False
    if check == "accepted":
        return ("FIXED", False) if 200 <= exchange.status < 300 else (f"STILL FAILING: {answer}", True)
    if check == "rejected":
        allowed = {int(n) for n in re.findall(r"\d{3}", failure.get("documented", ""))}
        return ("FIXED", False) if exchange.status in allowed else (f"STILL FAILING: {answer}", True)
    if check == "param_names_field":
        wanted = _literal(failure.get("documented", "").partition("=")[2])
        named = (exchange.json() or {}).get("param") if isinstance(exchange.json(), dict) else None
        return ("FIXED", False) if named == wanted else (f"STILL FAILING: param = {named!r}", True)
    if failure.get("received") == f"HTTP {recorded_status}":  # the expectation was about the status
        return ("FIXED", False) if exchange.status != recorded_status else (f"STILL FAILING: {answer}", True)
    if exchange.status // 100 != recorded_status // 100:
        return _not_exercised(exchange.status, recorded_status), True
    if playback.same_answer(response, before, failing_answer(failure, steps)):
        return f"STILL FAILING: {failure.get('received')} (the same answer again: {answer})", True
    return "FIXED", False


def judge_read(failure: dict[str, Any], steps: list[dict], player: playback.Player) -> tuple[str, bool]:
    """A rule judged through the event log: whether the story's last read of it gives the recorded
    answer again, ids and timestamps aside."""
    reads = playback.reads(steps)
    if not reads:
        return "CANNOT REPLAY (the story records no event-log read to check)", True
    recorded = playback.normalize(reads[-1].get("answer"), playback.story_times(steps))
    if playback.normalize(player.read, player.seen) == recorded:
        return f"STILL FAILING: {failure.get('received')} (the same event log again)", True
    return "FIXED", False


def failing_answer(failure: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The recorded answer a check computed its failure from, for `playback.same_answer`."""
    response = (failure.get("exchange") or {}).get("response")
    requests = [s for s in steps if "clock" not in s]
    last = requests[-1] if requests else {}
    return {
        "status": response["status"] if response else last.get("status"),
        "answer": playback.parsed(response["body"] if response else last.get("response")),
        "times": sorted({t for s in requests[:-1] for t in s["times"]})
        if all("times" in s for s in requests)
        else None,  # a story recorded before steps kept their timestamps
        "headers": playback.marked(response["headers"]) if response else None,
    }


def _not_exercised(status: int, recorded: int) -> str:
    return (
        f"CANNOT REPLAY (the last request answered HTTP {status} where HTTP {recorded} was recorded,"
        " so the rule was not exercised again)"
    )


def _answer(exchange: Exchange) -> str:
    body = exchange.json()
    code = body.get("api_error_code") if isinstance(body, dict) else None
    return f"HTTP {exchange.status}" + (f" {code}" if code else "")


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return text.strip()
