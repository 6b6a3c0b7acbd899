"""The named points where a faulty server departs from the documented behaviour.

Handlers pass each point what the documentation prescribes: an error to raise (`refuse`), a value to
use (`decide`) or a step to take (`perform`). `Hooks` does just that; the fault catalogue swaps in
`cbconform.server.faulty.FaultyHooks`, whose variants may waive the error, crash, change the value or
skip the step. The points are declared here so that a variant cannot name one the server never asks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

POINTS = {
    # refuse: the documented error
    "rate-limit": "a request past the per-minute limit is refused with 429",
    "json-syntax": "a body that is not valid JSON is refused with 400",
    "json-object": "a JSON body that is not an object is refused with 400",
    "body-id": "an update whose body id differs from the path id is refused",
    "merchant-processed": "only merchant-processed fulfillments accept updates",
    "in-progress": "only in-progress fulfillments accept updates",
    "fulfillment-exists": "an unknown fulfillment id is answered 404",
    "order-id-free": "a second order with a taken id is refused",
    "idempotency-payload": "a reused idempotency key with another payload is refused with 422",
    "orders-served": "where POST /orders is withdrawn it answers 404",
    # decide: the documented value
    "json-allowed": "whether JSON bodies are read (the AMB-REQUEST-ENCODING reading)",
    "parameters": "the validated parameters the handler receives",
    "settles-at": "when a fulfillment settles or expires",
    "order-id": "the id of a new order: the requested one, else a generated one",
    "origin-user": "the origin user of an event: -user-encoded wins over -user",
    "event-headers": "the chargebee-event-* headers an event's actions follow",
    # perform: the documented step
    "store-update": "a merchant update is stored",
    "record-event": "an accepted, fulfilled or failed event is recorded",
}


class Hooks:
    """The documented behaviour at every point."""

    def refuse(self, point: str, error: Exception, **context: Any) -> None:
        raise error

    def decide(self, point: str, documented: Any, **context: Any) -> Any:
        return documented

    def perform(self, point: str, step: Callable[..., Any], *args: Any, **context: Any) -> None:
        step(*args)
