"""The two targets of `cbconform compare`, each resolved by cbconform.target (so each keeps its own
throttle and the live-site guard), and one run of the plan against each."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator

import httpx

from cbconform import contracts as contracts_module
from cbconform.api import Api, Recorder
from cbconform.compare.plan import Planner, Run
from cbconform.target import ENV, Target, TargetError, resolve
from cbconform.transport import BudgetExhausted, InProcess, Mannered

EMBEDDED = "embedded"
WHERE = ("target", "grow_url", "core_url", "site", "config")


class Unreachable(Exception):
    """One sentence: the target cannot be reached or refuses the key (exit 3)."""


def parse(spec: str, name: str, allow_live_site: bool = False) -> Target:
    """URL, site:NAME, embedded, or embedded:fault=NAME,reading=AMB-ID=VALUE (comma-separated)."""
    env = dict(os.environ)
    if name == "B" and os.environ.get("CHARGEBEE_API_KEY_B"):
        env[ENV["api_key"]] = os.environ["CHARGEBEE_API_KEY_B"]
    if spec == EMBEDDED or spec.startswith(EMBEDDED + ":"):
        for key in WHERE:  # the environment's remote target must not replace the embedded one
            env.pop(ENV[key], None)
        faults, readings = _options(spec.partition(":")[2], name)
        return _faulty(resolve({"readings": readings}, env), faults)
    env = {k: v for k, v in env.items() if k not in {ENV[w] for w in WHERE if w != "config"}}
    if spec.startswith("site:"):
        return resolve({"site": spec[5:], "allow_live_site": allow_live_site}, env)
    if "://" not in spec:
        raise TargetError(f"Target {name} {spec!r} is not a URL, site:NAME, embedded or embedded:fault=NAME.")
    return resolve({"target": spec}, env)


def _options(text: str, name: str) -> tuple[list[str], dict[str, str]]:
    faults, readings = [], {}
    for part in filter(None, text.split(",")):
        key, _, value = part.partition("=")
        if key == "fault" and value:
            faults.append(value)
        elif key == "reading" and "=" in value:
            amb, _, reading = value.partition("=")
            readings[amb] = reading
        else:
            raise TargetError(f"Target {name}: {part!r} is neither fault=NAME nor reading=AMB-ID=NAME.")
    return faults, readings


def _faulty(target: Target, faults: list[str]) -> Target:
    if not faults:
        return target
    from cbconform.server.faults import readings_for, unknown

    bad = unknown(faults)
    if bad:
        raise TargetError(f"Unknown fault(s) {', '.join(bad)}: see `cbconform serve --list-faults`.")
    readings = readings_for(faults) | dict(target.readings)
    return dataclasses.replace(target, faults=frozenset(faults), readings=readings)


def describe(target: Target) -> str:
    text = target.describe()
    if target.faults:
        text += f" with fault(s) {', '.join(sorted(target.faults))}"
    return text


def connect(target: Target, name: str) -> Api:
    """A client for the target, probed once: reachable, and accepting the key."""
    api = Api(target, contracts_module.load(target.readings), _transport(target), Recorder())
    with _plainly(target, name, api):
        probe = api.call("personalized_offers", body={"customer_id": target.customer_id})
        if probe.status == 401:
            raise Unreachable(f"Target {name} ({describe(target)}) rejected the API key (HTTP 401).")
    return api


def run_plan(api: Api, name: str, seed: int) -> Run:
    with _plainly(api.target, name, api):
        try:
            return Planner(api, seed).execute()
        finally:
            api.close()


@contextlib.contextmanager
def _plainly(target: Target, name: str, api: Api) -> Iterator[None]:
    try:
        yield
    except httpx.TransportError as error:
        api.close()
        raise Unreachable(
            f"Target {name} ({describe(target)}) cannot be reached ({type(error).__name__})."
        ) from None
    except BudgetExhausted as error:
        api.close()
        raise TargetError(f"Target {name}: {error}; the plan needs more requests.") from None


def _transport(target: Target) -> httpx.BaseTransport:
    if target.embedded:
        from cbconform.server import ServerConfig, create_app

        config = ServerConfig(
            api_key=target.api_key, admin=True, readings=target.readings, faults=target.faults
        )
        return Mannered(InProcess(create_app(config)), None, target.max_requests)
    return Mannered(httpx.HTTPTransport(), target.rate, target.max_requests)
