"""Reaching the target: the transport (the embedded server in-process, or the network), the probe
that tells an unreachable target or a rejected key apart before any suite runs, and the admin plane."""

from __future__ import annotations

from typing import Any

import httpx

from cbconform import story
from cbconform.api import Api, Recorder
from cbconform.contracts import Contracts
from cbconform.target import Target
from cbconform.transport import InProcess, Mannered, Unanswered


class Unreachable(Exception):
    """The target cannot be reached or rejects the key; one plain sentence, exit 3."""


class Admin:
    """The target's control plane, when it offers one (the reference server started with --admin)."""

    def __init__(self, api: Api, features: frozenset[str], source: str):
        self.api, self.features, self.source = api, features, source

    def offers(self, feature: str) -> bool:
        return feature in self.features

    def events(self, fulfillment_id: str) -> list[dict[str, Any]]:
        path = f"/events?fulfillment_id={fulfillment_id}"
        answer = self.api.admin("GET", path)
        story.admin_used(self.api.recorder, "event-log", "GET", path, None, answer)
        return (answer or {}).get("events", [])

    def advance(self, seconds: int) -> None:
        self.api.admin("POST", "/clock", {"advance": seconds})
        story.clock_moved(self.api.recorder, {"advance": seconds})

    def rate_limit(self, per_minute: int | None) -> None:
        answer = self.api.admin("POST", "/rate-limit", {"per_minute": per_minute}, restore=per_minute is None)
        story.admin_used(
            self.api.recorder, "rate-limit", "POST", "/rate-limit", {"per_minute": per_minute}, answer
        )


def documented_features(contracts: Contracts) -> frozenset[str]:
    """Features Chargebee documents for the real API: assumed present unless declared absent."""
    return frozenset(name for name, entry in contracts.feature_table.items() if entry.get("documented"))


def features(target: Target, contracts: Contracts) -> frozenset[str]:
    """What the configuration says: the documented features less those declared absent, plus extras."""
    return (documented_features(contracts) - target.absent_features) | target.features


def connect(target: Target, contracts: Contracts, recorder: Recorder) -> tuple[Api, Admin]:
    api = Api(target, contracts, transport(target), recorder)
    if not target.embedded:
        probe(api, target)
    info = api.admin("GET", "") or {}
    discovered = frozenset(info.get("features", ()))
    source = "discovered from /__admin and the configuration" if discovered else "the configuration"
    return api, Admin(api, features(target, contracts) | discovered, source)


def transport(target: Target) -> httpx.BaseTransport:
    if target.embedded:
        from cbconform.server import ServerConfig, create_app

        config = ServerConfig(
            api_key=target.api_key, admin=True, readings=dict(target.readings), faults=target.faults
        )
        return Mannered(InProcess(create_app(config)), None, target.max_requests)
    return Mannered(httpx.HTTPTransport(), target.rate, target.max_requests)


def probe(api: Api, target: Target) -> None:
    try:
        exchange = api.call("personalized_offers", body={"customer_id": target.customer_id})
    except Unanswered as error:
        raise Unreachable(f"The target {target.describe()} cannot be reached ({error.reason}).") from None
    if exchange.status == 401 and not _key_works_as_password(api, target):
        raise Unreachable(f"The target {target.describe()} rejected the API key (HTTP 401).")


def _key_works_as_password(api: Api, target: Target) -> bool:
    """A target that takes the key only as the Basic password has the right key in the wrong place:
    the run goes on, and the auth suite fails AUTH-BASIC-KEY-AS-USER instead of a 'rejected key'."""
    body = {"customer_id": target.customer_id}
    return api.call("personalized_offers", body=body, auth=("", target.api_key)).status != 401
