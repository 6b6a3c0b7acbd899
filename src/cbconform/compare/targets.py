"""The two targets of `cbconform compare`, each resolved by cbconform.target (so each keeps its own
throttle and the live-site guard), and one run of the plan against each."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator

from cbconform import connection, settings
from cbconform import contracts as contracts_module
from cbconform.api import Api, Recorder
from cbconform.compare.plan import Planner, Run
from cbconform.target import Target, TargetError, resolve
from cbconform.transport import RunStopped, Unanswered

EMBEDDED = "embedded"
WHERE = ("target", "grow_url", "core_url", "site", "target_config")


class Unreachable(Exception):
    """One sentence: the target cannot be reached or refuses the key (exit 3)."""


def _env_name(setting: str) -> str:
    return settings.BY_NAME[setting].env or ""


def parse(spec: str, name: str, allow_live_site: bool = False) -> Target:
    """URL, site:NAME, embedded, or embedded:fault=NAME,reading=AMB-ID=VALUE (comma-separated)."""
    env = dict(os.environ)
    key_b = _env_name("api_key") + "_B"  # B's own key, when the two targets need different ones
    if name == "B" and os.environ.get(key_b):
        env[_env_name("api_key")] = os.environ[key_b]
    if spec == EMBEDDED or spec.startswith(EMBEDDED + ":"):
        for key in WHERE:  # the environment's remote target must not replace the embedded one
            env.pop(_env_name(key), None)
        faults, readings = _options(spec.partition(":")[2], name)
        return _with_fault_readings(resolve({"fault": faults, "reading": readings}, env))
    for key in WHERE[:-1]:  # the spec says where; the config file still gives data and features
        env.pop(_env_name(key), None)
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


def _with_fault_readings(target: Target) -> Target:
    if not target.faults:
        return target
    from cbconform.server import fault_requirements

    try:
        readings, _ = fault_requirements(target.faults)
    except ValueError as error:
        raise TargetError(str(error)) from None
    return dataclasses.replace(target, readings=readings | dict(target.readings))


def describe(target: Target) -> str:
    text = target.describe()
    if target.faults:
        text += f" with fault(s) {', '.join(sorted(target.faults))}"
    return text


def connect(target: Target, name: str) -> Api:
    """A client for the target, probed once: reachable, and accepting the key."""
    api = Api(target, contracts_module.load(target.readings), connection.transport(target), Recorder())
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
    except Unanswered as error:
        api.close()
        raise Unreachable(f"Target {name} ({describe(target)}) cannot be reached ({error.reason}).") from None
    except RunStopped as error:
        api.close()
        raise TargetError(f"Target {name}: {error}; the plan needs more requests.") from None
