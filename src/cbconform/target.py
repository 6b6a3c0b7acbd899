"""The target under test: where it is, how to authenticate, its data and features. Built once per run
from the layered settings (cbconform.settings), whose defaults match the reference server's data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cbconform import liveguard, redact, settings

DEFAULT_KEY = "test_conformance_key"
EMBEDDED_URL = "http://embedded.invalid/api/v2"
REMOTE_RATE = 150  # Chargebee's documented per-minute limit for a test site


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
    features: frozenset[str] = frozenset()  # optional features declared by the configuration
    absent_features: frozenset[str] = frozenset()  # documented features declared absent
    rate: int | None = None  # requests a minute the suite sends; None: unthrottled
    max_requests: int | None = None
    max_response_bytes: int = 4 * 1024 * 1024
    request_deadline: float = 30.0
    run_deadline: float = 1800.0  # issue 13: past it, every request raises transport.RunStopped
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

    def public(self) -> dict[str, Any]:
        """What a report may say about the target: everything but the key."""
        return {
            "kind": "embedded" if self.embedded else "remote",
            "grow_url": self.grow_url,
            "core_url": self.core_url,
            "site": self.site,
            "absent_features": sorted(self.absent_features),
            "faults": sorted(self.faults),
        }


def site_urls(site: str) -> tuple[str, str]:
    return f"https://{site}.grow.chargebee.com/api/v2", f"https://{site}.chargebee.com/api/v2"


def resolve(cli: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Target:
    """Command line over environment over file over defaults."""
    try:
        return build(settings.layered(cli, env))
    except settings.SettingsError as error:
        raise TargetError(str(error)) from None


def build(values: Mapping[str, Any]) -> Target:
    grow, core = _urls(values, bool(values.get("allow_live_site")))
    embedded = grow is None
    features, absent = (frozenset(values.get(k) or ()) for k in ("features", "absent"))
    _known_features(features, absent)
    key = str(values.get("api_key") or DEFAULT_KEY)
    try:  # issue 13: a key too short to scrub is refused; every other key joins the scrubber
        redact.check_key(key, embedded)
    except redact.KeyTooShort as error:
        raise TargetError(str(error)) from None
    redact.register(key)
    if values.get("fault") and not embedded:
        raise TargetError(
            "--fault breaks the embedded reference server; serve a faulty remote one with"
            " `cbconform serve --fault NAME` and point --target at it."
        )
    return Target(
        grow_url=grow or EMBEDDED_URL,
        core_url=core or EMBEDDED_URL,
        api_key=key,
        site=values.get("site"),
        embedded=embedded,
        customer_id=values["customer_id"],
        customer_without_offers=values["customer_without_offers"],
        invoice_id=values["invoice_id"],
        business_entity_id=values["business_entity_id"],
        features=features,
        absent_features=absent,
        rate=_rate(
            values.get("rate"), embedded or (liveguard.is_loopback(grow) and liveguard.is_loopback(core))
        ),
        max_requests=values.get("max_requests"),
        max_response_bytes=values["max_response_bytes"],
        request_deadline=values["request_deadline"],
        run_deadline=values["run_deadline"],
        readings=dict(values.get("reading") or {}),
        faults=frozenset(values.get("fault") or ()),
    )


def _known_features(features: frozenset[str], absent: frozenset[str]) -> None:
    from cbconform import contracts

    table = contracts.load().feature_table
    unknown = sorted((features | absent) - set(table))
    if unknown:
        names = ", ".join(unknown)
        raise TargetError(f"Unknown target feature(s) {names}; known: {', '.join(sorted(table))}.")
    documented = {name for name, entry in table.items() if entry.get("documented")}
    wrong = sorted((absent - documented) | (absent & features))
    if wrong:
        raise TargetError(
            f"absent lists {', '.join(wrong)}, which is not a documented feature the target is assumed to"
            f" have (documented: {', '.join(sorted(documented))}); leave it out of features instead."
        )


def _rate(given: int | None, local: bool) -> int | None:
    if given is None:
        return None if local else REMOTE_RATE
    return given or None


def _urls(values: Mapping[str, Any], allow_live: bool) -> tuple[str | None, str | None]:
    if values.get("site"):
        site = str(values["site"])
        try:  # issue 13: one guard (cbconform.liveguard) for a site and for every URL below
            liveguard.check_site(site, allow_live)
        except liveguard.LiveSite as error:
            raise TargetError(str(error)) from None
        return site_urls(site)
    target = values.get("target")
    grow, core = values.get("grow_url") or target, values.get("core_url") or target
    if bool(grow) != bool(core):
        raise TargetError("Give both --grow-url and --core-url, or --target for a server that serves both.")
    for url in (grow, core):
        if url and (urlsplit(str(url)).scheme not in ("http", "https") or not urlsplit(str(url)).netloc):
            raise TargetError(f"{url!r} is not an http(s) URL such as http://127.0.0.1:8080/api/v2.")
        try:
            liveguard.check_url(str(url or ""), allow_live)
        except liveguard.LiveSite as error:
            raise TargetError(str(error)) from None
    return (str(grow).rstrip("/"), str(core).rstrip("/")) if grow else (None, None)
