"""How a fault of the catalogue breaks the server, from outside its handlers.

Three ways, each registered under the behaviour switch of faults.toml that selects it:
- a hook variant (`@variant(switch, point)`): answers one of the named points of `hooks.py` otherwise;
- a request edit (`@request_edit(switch)`): rewrites the request before the server sees it;
- an answer edit (`@answer_edit(switch)`): rewrites the answer; response faults (`edit` or a named
  transform of faults.py) are applied the same way, by `FaultMiddleware`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from cbconform.server import faults
from cbconform.server.errors import invalid
from cbconform.server.hooks import POINTS, Hooks

OPERATION = "cbconform.operation"  # the scope key where the endpoint names the operation it served
VARIANTS: dict[str, tuple[str, Callable[..., Any]]] = {}  # switch -> (point, variant)
REQUEST_EDITS: dict[str, Callable[..., None]] = {}
ANSWER_EDITS: dict[str, Callable[..., Any]] = {}


def variant(switch: str, point: str):
    assert point in POINTS, point

    def register(fn):
        VARIANTS[switch] = (point, fn)
        return fn

    return register


def request_edit(switch: str):
    def register(fn):
        REQUEST_EDITS[switch] = fn
        return fn

    return register


def answer_edit(switch: str):
    def register(fn):
        ANSWER_EDITS[switch] = fn
        return fn

    return register


def wired() -> set[str]:
    """Every behaviour switch some code implements (here or in fault_middleware)."""
    from cbconform.server import fault_middleware  # noqa: F401  (registers the request and answer edits)

    return set(VARIANTS) | set(REQUEST_EDITS) | set(ANSWER_EDITS)


def hooks_for(names: frozenset[str]) -> Hooks:
    return FaultyHooks(names) if names else Hooks()


class FaultyHooks(Hooks):
    """The documented behaviour, except at the points where an active fault has a variant."""

    def __init__(self, names: frozenset[str]):
        known = faults.catalogue()
        self.at: dict[str, list[tuple[faults.Fault, Callable[..., Any]]]] = {}
        for name in sorted(names):
            fault = known[name]
            if fault.kind == "behaviour" and fault.switch in VARIANTS:
                point, fn = VARIANTS[fault.switch]
                self.at.setdefault(point, []).append((fault, fn))

    def _active(self, point: str, context: dict[str, Any]) -> list[Callable[..., Any]]:
        operation = context.get("operation")
        return [fn for fault, fn in self.at.get(point, ()) if fault.applies_to(operation)]

    def refuse(self, point: str, error: Exception, **context: Any) -> None:
        for fn in self._active(point, context):
            return fn(error, **context)  # waives (returns), crashes, or raises another error
        raise error

    def decide(self, point: str, documented: Any, **context: Any) -> Any:
        for fn in self._active(point, context):
            documented = fn(documented, **context)
        return documented

    def perform(self, point: str, step: Callable[..., Any], *args: Any, **context: Any) -> None:
        if all(fn(**context) for fn in self._active(point, context)):
            step(*args)


def _waive(error, **context):
    return None


def _crash(error, **context):
    raise RuntimeError(f"a faulty server crashes instead of answering: {error}")


for _switch, _point in {
    "rate-limit-not-enforced": "rate-limit",
    "body-id-ignored": "body-id",
    "merchant-updates-billing-update": "merchant-processed",
    "terminal-update-allowed": "in-progress",
    "duplicate-order-id-accepted": "order-id-free",
    "idempotency-conflict-ignored": "idempotency-payload",
}.items():
    variant(_switch, _point)(_waive)
for _switch, _point in {
    "truncated-json-crashes": "json-syntax",
    "non-object-json-crashes": "json-object",
    "withdrawn-orders-crash": "orders-served",
}.items():
    variant(_switch, _point)(_crash)


@variant("long-path-id-crashes", "fulfillment-exists")
def _long_path_id(error, fulfillment_id: str = "", **context):
    if len(fulfillment_id) > 50:
        _crash(error)
    raise error


@variant("unknown-fulfillment-400", "fulfillment-exists")
def _unknown_as_400(error, fulfillment_id: str = "", **context):
    raise invalid(f"{fulfillment_id!r} is not a valid fulfillment id.", "offer-fulfillment-id")


@variant("json-refused", "json-allowed")
def _json_refused(allowed, **context):
    return False


@variant("crash-on-empty-roles", "parameters")
def _crash_on_empty_role(params, **context):
    if "" in (params.get("roles") or []):
        raise RuntimeError("empty role")
    return params


@variant("update-long-body-id-crashes", "parameters")
def _long_body_id(params, operation: str = "", **context):
    if operation == "update_offer_fulfillment" and len(str(params.get("id", ""))) > 50:
        raise RuntimeError("the id column holds 50 characters")
    return params


@variant("billing-update-never-settles", "settles-at")
def _never_settles(due, resource, now: int, **context):
    from cbconform.server.fulfillments import SEVEN_DAYS

    return now + SEVEN_DAYS


@variant("no-seven-day-expiry", "settles-at")
def _no_expiry(due, resource, now: int, **context):
    from cbconform.server.fulfillments import MERCHANT_PROCESSED

    return None if resource["processing_type"] in MERCHANT_PROCESSED else due


@variant("requested-order-id-ignored", "order-id")
def _requested_id_ignored(order_id, requested=None, store=None, **context):
    return store.next_id("ord") if requested else order_id


@variant("generated-order-id-uuid", "order-id")
def _uuid_order_id(order_id, requested=None, **context):
    return order_id if requested else f"order_{uuid.uuid4()}"


@variant("origin-user-wins", "origin-user")
def _plain_user_wins(documented, request=None, **context):
    plain = request.headers.get("chargebee-request-origin-user") if request is not None else None
    return (plain, "user") if plain else documented


def _ignoring(header: str):
    def ignore(headers, **context):
        return {k: v for k, v in headers.items() if k != header}

    return ignore


for _switch, _header in {
    "event-actions-ignored": "chargebee-event-actions",
    "event-email-ignored": "chargebee-event-email",
    "event-webhook-ignored": "chargebee-event-webhook",
}.items():
    variant(_switch, "event-headers")(_ignoring(_header))


@variant("update-not-stored", "store-update")
def _not_stored(**context):
    return False


def _no_event(which: str):
    def skip(kind: str = "", by_request: bool = False, **context):
        return not (by_request and kind == which)

    return skip


for _switch, _kind in {
    "no-accepted-event": "accepted",
    "no-fulfilled-event": "fulfilled",
    "no-failed-event": "failed",
}.items():
    variant(_switch, "record-event")(_no_event(_kind))
