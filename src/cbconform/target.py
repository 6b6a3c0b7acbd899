"""The target under test: where it is, how to authenticate, the per-target data and features.

Resolved from the command line, then the environment, then a TOML file, then the defaults, which
match the reference server's default data (see docs/TARGETS.md)."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_KEY = "test_conformance_key"
EMBEDDED_URL = "http://embedded.invalid/api/v2"
FEATURES = ("event-log", "clock", "reset", "idempotency", "rate-limit", "multi-brand")
ENV = {
    "target": "CBCONFORM_TARGET",
    "core_url": "CBCONFORM_CORE_URL",
    "grow_url": "CBCONFORM_GROW_URL",
    "site": "CBCONFORM_SITE",
    "api_key": "CHARGEBEE_API_KEY",
    "config": "CBCONFORM_CONFIG",
    "max_requests": "CBCONFORM_MAX_REQUESTS",
    "rate": "CBCONFORM_RATE",
}


class TargetError(ValueError):
    """A target that cannot be used as configured; the message is one plain sentence."""


@dataclass(frozen=True)
class Target:
    grow_url: str = EMBEDDED_URL
    core_url: str = EMBEDDED_URL
    api_key: str = DEFAULT_KEY
    site: str | None = None
    embedded: bool = True
    customer_id: str = "cust_conformance"
    customer_without_offers: str = "cust_no_offers"
    invoice_id: str = "inv_conformance_001"
    business_entity_id: str = "be_conformance"
    features: frozenset[str] = frozenset({"idempotency"})
    rate_limit: int | None = None  # the target's own per-minute limit, when the suite may exhaust it
    rate: int | None = 150  # requests a minute the suite sends to a remote target; None: unthrottled
    max_requests: int | None = None
    readings: Mapping[str, str] = field(default_factory=dict)
    faults: frozenset[str] = frozenset()  # the embedded server's faults, for the kill matrix

    def url_for(self, host: str) -> str:
        return self.grow_url if host == "grow" else self.core_url

    def describe(self) -> str:
        if self.embedded:
            return "the embedded reference server (in-process)"
        if self.grow_url == self.core_url:
            return self.grow_url
        return f"grow {self.grow_url}, core {self.core_url}"


def site_urls(site: str) -> tuple[str, str]:
    return f"https://{site}.grow.chargebee.com/api/v2", f"https://{site}.chargebee.com/api/v2"


def resolve(cli: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Target:
    """Command line over environment over file over defaults."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    config_path = cli.get("config") or env.get(ENV["config"])
    file_values = _from_file(Path(config_path)) if config_path else {}
    env_values = {k: env[v] for k, v in ENV.items() if env.get(v) and k != "config"}
    for layer in (file_values, env_values, {k: v for k, v in cli.items() if v not in (None, [], ())}):
        values.update(layer)
    readings = dict(file_values.get("readings", {})) | dict(cli.get("readings") or {})
    return _build(values, readings, bool(cli.get("allow_live_site")))


def _from_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise TargetError(f"The target configuration file {path} does not exist.") from None
    except tomllib.TOMLDecodeError as error:
        raise TargetError(f"The target configuration file {path} is not valid TOML: {error}.") from None
    known = {f.name for f in fields(Target)} | {"target", "readings"}
    unknown = sorted((set(raw.get("target", {})) | set(raw.get("data", {}))) - known)
    if unknown:
        raise TargetError(f"{path} has unknown settings: {', '.join(unknown)}.")
    return raw.get("target", {}) | raw.get("data", {}) | {"readings": raw.get("readings", {})}


def _build(values: Mapping[str, Any], readings: dict[str, str], allow_live: bool) -> Target:
    grow, core = _urls(values, allow_live)
    features = frozenset(values.get("features", Target.features if grow is None else ()))
    unknown = sorted(features - set(FEATURES))
    if unknown:
        raise TargetError(f"Unknown target feature(s) {', '.join(unknown)}; known: {', '.join(FEATURES)}.")
    embedded = grow is None
    return Target(
        grow_url=grow or EMBEDDED_URL,
        core_url=core or EMBEDDED_URL,
        api_key=str(values.get("api_key") or DEFAULT_KEY),
        site=values.get("site"),
        embedded=embedded,
        customer_id=values.get("customer_id", Target.customer_id),
        customer_without_offers=values.get("customer_without_offers", Target.customer_without_offers),
        invoice_id=values.get("invoice_id", Target.invoice_id),
        business_entity_id=values.get("business_entity_id", Target.business_entity_id),
        features=features,
        rate_limit=_int(values, "rate_limit"),
        rate=None if embedded else (_int(values, "rate") or 150),
        max_requests=_int(values, "max_requests"),
        readings=readings,
        faults=frozenset(values.get("faults", ())),
    )


def _urls(values: Mapping[str, Any], allow_live: bool) -> tuple[str | None, str | None]:
    if values.get("site"):
        site = str(values["site"])
        if not site.endswith("-test") and not allow_live:
            raise TargetError(
                f"Refusing to run against the live site {site!r}: the suites create fulfillments and orders, "
                "so use the -test site or pass --allow-live-site."
            )
        return site_urls(site)
    target = values.get("target")
    grow, core = values.get("grow_url") or target, values.get("core_url") or target
    if bool(grow) != bool(core):
        raise TargetError("Give both --grow-url and --core-url, or --target for a server that serves both.")
    for url in (grow, core):
        if url and (urlsplit(str(url)).scheme not in ("http", "https") or not urlsplit(str(url)).netloc):
            raise TargetError(f"{url!r} is not an http(s) URL such as http://127.0.0.1:8080/api/v2.")
    return (str(grow).rstrip("/"), str(core).rstrip("/")) if grow else (None, None)


def _int(values: Mapping[str, Any], key: str) -> int | None:
    value = values.get(key)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise TargetError(f"{key.replace('_', '-')} must be a whole number, not {value!r}.") from None
    if number <= 0:
        raise TargetError(f"{key.replace('_', '-')} must be positive, not {number}.")
    return number
