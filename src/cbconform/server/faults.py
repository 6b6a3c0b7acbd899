"""Named faults: each breaks one documented rule the way a real implementation plausibly would.

The catalogue is data (faults.toml). Validation faults weaken the contracts the server validates
against; response faults rewrite what the server would have answered; behaviour faults are switches
its own logic consults through ServerConfig.faulty()."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CATALOGUE = Path(__file__).with_name("faults.toml")


@dataclass(frozen=True)
class Fault:
    name: str
    rule: str
    kind: str
    description: str
    patch: tuple[dict[str, Any], ...] = ()


@cache
def catalogue() -> dict[str, Fault]:
    with CATALOGUE.open("rb") as fh:
        entries = tomllib.load(fh)["fault"]
    return {
        e["name"]: Fault(e["name"], e["rule"], e["kind"], e["description"], tuple(e.get("patch", ())))
        for e in entries
    }


def unknown(names: Iterable[str]) -> list[str]:
    return sorted(set(names) - set(catalogue()))


def validation_patches(names: Iterable[str]) -> tuple[dict[str, Any], ...]:
    return tuple(op for name in sorted(names) for op in catalogue()[name].patch)


Body = dict[str, Any]
Transform = Callable[[str, int, Body, dict[str, str]], tuple[int, Body, dict[str, str]]]
TRANSFORMS: dict[str, Transform] = {}


def transform(name: str) -> Callable[[Transform], Transform]:
    def register(fn: Transform) -> Transform:
        TRANSFORMS[name] = fn
        return fn

    return register


def apply(names: frozenset[str], operation: str, status: int, body: Body, headers: dict[str, str]):
    for name in sorted(names):
        if name in TRANSFORMS:
            status, body, headers = TRANSFORMS[name](operation, status, body, headers)
    return status, body, headers


def _fulfillment(body: Body) -> Body | None:
    value = body.get("offer_fulfillment")
    return value if isinstance(value, dict) else None


@transform("completed-at-missing")
def _completed_at_missing(op, status, body, headers):
    if (f := _fulfillment(body)) and f.get("status") == "completed":
        f.pop("completed_at", None)
    return status, body, headers


@transform("completed-at-on-in-progress")
def _completed_at_on_in_progress(op, status, body, headers):
    if (f := _fulfillment(body)) and f.get("status") == "in_progress":
        f["completed_at"] = f["created_at"]
    return status, body, headers


@transform("failed-at-missing")
def _failed_at_missing(op, status, body, headers):
    if (f := _fulfillment(body)) and f.get("status") == "failed":
        f.pop("failed_at", None)
    return status, body, headers


@transform("error-on-completed")
def _error_on_completed(op, status, body, headers):
    if (f := _fulfillment(body)) and f.get("status") == "completed":
        f["error"] = {"code": "internal_error", "message": ""}
    return status, body, headers


@transform("timestamps-in-milliseconds")
def _milliseconds(op, status, body, headers):
    if f := _fulfillment(body):
        for key in ("created_at", "completed_at", "failed_at"):
            if key in f:
                f[key] *= 1000
    return status, body, headers


@transform("undocumented-status")
def _undocumented_status(op, status, body, headers):
    if (f := _fulfillment(body)) and f.get("status") == "in_progress":
        f["status"] = "processing"
    return status, body, headers


@transform("redirect-url-on-webhook")
def _redirect_on_webhook(op, status, body, headers):
    if (f := _fulfillment(body)) and f.get("processing_type") == "webhook":
        f["redirect_url"] = "https://conformance.example/next"
    return status, body, headers


@transform("fulfillment-not-wrapped")
def _fulfillment_bare(op, status, body, headers):
    return status, (_fulfillment(body) or body), headers


@transform("order-not-wrapped")
def _order_bare(op, status, body, headers):
    return status, (body.get("order") if isinstance(body.get("order"), dict) else body), headers


@transform("create-answers-200")
def _create_200(op, status, body, headers):
    return (200 if op == "create_offer_fulfillment" and status == 202 else status), body, headers


@transform("error-without-api-error-code")
def _no_api_error_code(op, status, body, headers):
    if status >= 400:
        body.pop("api_error_code", None)
    return status, body, headers


@transform("wrong-error-type")
def _wrong_error_type(op, status, body, headers):
    if status == 404:
        body["type"] = "operation_failed"
    return status, body, headers


@transform("param-missing-in-400")
def _no_param(op, status, body, headers):
    if status == 400:
        body.pop("param", None)
    return status, body, headers


@transform("hosted-page-on-email")
def _hosted_page_on_email(op, status, body, headers):
    if (f := _fulfillment(body)) and f.get("processing_type") == "email" and op == "create_offer_fulfillment":
        body["hosted_page"] = {"id": "hp_email", "url": "https://conformance.example/pay"}
    return status, body, headers


@transform("offers-without-expires-at")
def _no_expires_at(op, status, body, headers):
    if op == "personalized_offers":
        body.pop("expires_at", None)
    return status, body, headers


@transform("long-option-label")
def _long_label(op, status, body, headers):
    for offer in body.get("personalized_offers", []) if op == "personalized_offers" else []:
        for option in offer.get("options", []):
            option["label"] = option["label"].ljust(51, ".")
    return status, body, headers


@transform("replay-without-header")
def _replay_without_header(op, status, body, headers):
    headers.pop("chargebee-idempotency-replayed", None)
    return status, body, headers


@transform("replayed-header-always")
def _replayed_header_always(op, status, body, headers):
    if op != "retrieve_offer_fulfillment":
        headers.setdefault("chargebee-idempotency-replayed", "false")
    return status, body, headers
