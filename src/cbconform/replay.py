"""`cbconform replay`: re-send the recorded request of each failure in a results file and re-check it.

A replay is a single-request re-check. Many failures come from multi-step tests (a fulfillment created
from an offer fetched a moment before), so a replayed request may meet a target without the state the
test had built: when the answer falls in another status class than the recorded one (a 404 where a 202
was recorded), the rule was not exercised again and the failure is reported NOT REPRODUCED, never FIXED.
Requests recorded without credentials are replayed without them; all others authenticate with HTTP
Basic, the key as user name. Against the embedded reference server, a fresh in-process instance is built
with the recorded faults and readings, so a replay of a fault run reproduces.

Exit codes: 0 every failure is fixed, 1 any still fails or was not reproduced, 2 usage error,
3 the target cannot be reached.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from cbconform import contracts as contracts_module
from cbconform import redact
from cbconform.checks import CHECKS
from cbconform.checks import responses as response_checks
from cbconform.exchange import SECRET_HEADERS, Exchange

FIXED, FAILING, USAGE, UNREACHABLE = 0, 1, 2, 3
DEFAULT_KEY = "test_conformance_key"
DROPPED = {*SECRET_HEADERS, "host", "content-length"}


class UsageError(Exception):
    """One plain sentence, exit 2."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", metavar="RESULTS", help="a results.json written by `cbconform run`")
    parser.add_argument("--target", metavar="URL", help="one base URL serving both hosts")
    parser.add_argument("--grow-url", metavar="URL", help="base URL of the grow host")
    parser.add_argument("--core-url", metavar="URL", help="base URL of the core host")
    parser.add_argument("--api-key", help="the API key (default: $CHARGEBEE_API_KEY); never printed")
    parser.add_argument(
        "--failure", action="append", default=[], metavar="ID", help="replay only this failure (repeatable)"
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
        key = args.api_key or os.environ.get("CHARGEBEE_API_KEY") or ""
        replayer = Replayer(results, bases, key)
    except UsageError as error:
        print(f"cbconform replay: {error}", file=sys.stderr)
        return USAGE
    try:
        verdicts = [replayer.verdict(failure) for failure in failures]
    except httpx.TransportError as error:
        print(f"cbconform replay: the target cannot be reached ({type(error).__name__}).", file=sys.stderr)
        return UNREACHABLE
    finally:
        replayer.close()
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


class Replayer:
    def __init__(self, results: dict[str, Any], bases: dict[str, str] | None, key: str):
        target = results.get("target") or {}
        readings = target.get("readings") or {}
        try:
            self.contracts = contracts_module.load(readings)
        except contracts_module.ContractError as error:
            raise UsageError(f"The recorded readings cannot be loaded: {error}") from None
        self.bases = bases
        embedded = bases is None and target.get("kind") == "embedded"
        self.key = key or (DEFAULT_KEY if embedded else "")
        if not self.key:
            raise UsageError("No API key: pass --api-key or set CHARGEBEE_API_KEY.")
        self.secrets = (self.key, base64.b64encode(f"{self.key}:".encode()).decode())
        transport = _embedded(target, self.key) if embedded else httpx.HTTPTransport()
        self.client = httpx.Client(transport=transport, timeout=30.0, follow_redirects=False)

    def verdict(self, failure: dict[str, Any]) -> tuple[str, bool]:
        head = f"{failure['id']} {failure['rule_id']}"
        recorded = failure.get("exchange")
        if not recorded:
            return f"{head} NOT REPRODUCED: no request was recorded for it", True
        exchange = self.send(recorded)
        return judge(self.contracts, failure, exchange, head)

    def send(self, recorded: dict[str, Any]) -> Exchange:
        request = recorded["request"]
        headers = {k: v for k, v in request["headers"].items() if k.lower() not in DROPPED}
        auth = (self.key, "") if "authorization" in request["headers"] else None
        url = self._url(request["url"], recorded.get("operation"))
        body = request.get("body") or None
        response = self.client.request(request["method"], url, headers=headers, content=body, auth=auth)
        return Exchange.record(response, self.secrets, operation=recorded.get("operation"))

    def _url(self, url: str, operation: str | None) -> str:
        if self.bases is None:
            return url
        host = self.contracts.operation(operation).host if operation else "grow"
        parts = urlsplit(url)
        path = parts.path.split("/api/v2", 1)[1] if "/api/v2" in parts.path else parts.path
        return self.bases.get(host, self.bases["grow"]) + path + (f"?{parts.query}" if parts.query else "")

    def close(self) -> None:
        self.client.close()


def _embedded(target: dict[str, Any], key: str) -> httpx.BaseTransport:
    from cbconform.server import ServerConfig, create_app
    from cbconform.transport import InProcess

    config = ServerConfig(
        api_key=key, readings=target.get("readings") or {}, faults=frozenset(target.get("faults") or ())
    )
    return InProcess(create_app(config))


RESPONSE_CHECKS = {name for name, c in CHECKS.items() if c.fn.__module__ == response_checks.__name__}


def judge(contracts, failure: dict[str, Any], exchange: Exchange, head: str) -> tuple[str, bool]:
    recorded = failure["exchange"]["response"]
    if failure.get("check") in RESPONSE_CHECKS:
        found = [
            f for f in response_checks.conformance(contracts, exchange) if f.rule_id == failure["rule_id"]
        ]
        if found:
            return f"{head} STILL FAILING: {found[0].received}", True
        if exchange.status // 100 != recorded["status"] // 100:
            return f"{head} NOT REPRODUCED: {_moved(recorded, exchange)}", True
        return f"{head} FIXED", False
    if exchange.status == recorded["status"] and _code(exchange.json()) == _code(_parse(recorded["body"])):
        return f"{head} STILL FAILING: {failure.get('received')} (HTTP {exchange.status} again)", True
    return f"{head} FIXED", False


def _moved(recorded: dict[str, Any], exchange: Exchange) -> str:
    return (
        f"answered HTTP {exchange.status} where HTTP {recorded['status']} was recorded, "
        "so the rule was not exercised (the request may need state an earlier step built)"
    )


def _parse(body: str) -> Any:
    try:
        return json.loads(body)
    except (TypeError, ValueError):
        return None


def _code(body: Any) -> Any:
    return body.get("api_error_code") if isinstance(body, dict) else None
