"""Named faults: each breaks one documented rule the way a real implementation plausibly would.

The catalogue is data (faults.toml, checked against faults.schema.json when loaded). Validation faults
weaken the contracts the server validates against; response faults rewrite what the server would have
answered, either by a declared `edit` or by a named transform below; behaviour faults select a variant
that faulty.py and fault_middleware.py register under their switch."""

from __future__ import annotations

import copy
import json
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

CATALOGUE = Path(__file__).with_name("faults.toml")
SCHEMA = Path(__file__).with_name("faults.schema.json")


@dataclass(frozen=True)
class Fault:
    name: str
    rule: str
    kind: str
    description: str
    patch: tuple[dict[str, Any], ...] = ()
    operations: tuple[str, ...] = ()  # where the fault shows, when narrower than its rule's operations
    edit: dict[str, Any] | None = None  # a declared response edit (see `_edit`)
    switch: str = ""  # the behaviour switch it turns on; defaults to its name
    readings: dict[str, str] | None = None  # ambiguity readings under which the fault shows

    def applies_to(self, operation: str | None) -> bool:
        return operation is None or not self.operations or operation in self.operations


@cache
def _document() -> dict[str, Any]:
    with CATALOGUE.open("rb") as fh:
        document = tomllib.load(fh)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(document))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        raise ValueError(f"{CATALOGUE.name} does not match {SCHEMA.name} at /{where}: {error.message}")
    return document


@cache
def catalogue() -> dict[str, Fault]:
    return {
        e["name"]: Fault(
            e["name"],
            e["rule"],
            e["kind"],
            e["description"],
            tuple(e.get("patch", ())),
            tuple(e.get("operations", ())),
            e.get("edit"),
            e.get("switch", e["name"]),
            e.get("readings"),
        )
        for e in _document()["fault"]
    }


def unfaulted() -> dict[str, str]:
    """Rules that no fault of the reference server can show, with the reason."""
    return {e["rule"]: e["why"] for e in _document().get("unfaulted", [])}


def unknown(names: Iterable[str]) -> list[str]:
    return sorted(set(names) - set(catalogue()))


def check_known(names: Iterable[str]) -> None:
    names = set(names)
    if not names:
        return  # a clean server never reads (nor validates) the catalogue
    bad = unknown(names)
    if bad:
        raise ValueError(f"Unknown fault(s) {', '.join(bad)}: see `cbconform serve --list-faults`.")


def readings_for(names: Iterable[str]) -> dict[str, str]:
    """The ambiguity readings these faults need in order to show; explicit readings override them."""
    names = sorted(names)
    if not names:
        return {}
    known = catalogue()
    return {k: v for n in names if n in known for k, v in (known[n].readings or {}).items()}


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
        fault = catalogue()[name]
        if not fault.applies_to(operation):
            continue
        if fault.edit is not None:
            status, body = _edit(fault.edit, status, body)
        elif name in TRANSFORMS:
            status, body, headers = TRANSFORMS[name](operation, status, body, headers)
    return status, body, headers


def _edit(edit: dict[str, Any], status: int, body: Any) -> tuple[int, Any]:
    """A declared edit of an answer. `on` says which: "success" (the default), "error" or one status
    code. `at` is a JSON pointer whose `*` steps into every item; `when` filters the objects holding the
    target by their fields; one action says what happens: remove, set (a value), pad (a string to that
    length), add or scale (a number), duplicate (a list), bare (the answer becomes the value), status
    (the answer's status code)."""
    on = edit.get("on", "success")
    if on != ("error" if status >= 400 else "success") and on != status:
        return status, body
    if "status" in edit:
        status = edit["status"]
    if "at" not in edit:
        return status, body
    *steps, last = edit["at"].split("/")[1:]
    if last == "*":
        for items in _holders(body, steps):
            if isinstance(items, list):
                items[:] = [_changed(edit, item) for item in items]
        return status, body
    for holder in _holders(body, steps):
        if not isinstance(holder, dict) or any(holder.get(k) != v for k, v in edit.get("when", {}).items()):
            continue
        if last not in holder and "set" not in edit:
            continue
        if edit.get("bare"):
            return status, holder[last]
        holder[last] = _changed(edit, holder.get(last))
        if edit.get("remove"):
            del holder[last]
    return status, body


def _holders(value: Any, steps: list[str]) -> Iterable[Any]:
    if not steps:
        yield value
        return
    step, rest = steps[0], steps[1:]
    children = value if step == "*" and isinstance(value, list) else None
    if children is None and isinstance(value, dict) and step in value:
        children = [value[step]]
    for child in children or ():
        yield from _holders(child, rest)


def _changed(edit: dict[str, Any], value: Any) -> Any:
    if "set" in edit:
        return copy.deepcopy(edit["set"])
    if "pad" in edit:
        return str(value).ljust(edit["pad"], "x")
    if "add" in edit:
        return value + edit["add"]
    if "scale" in edit:
        return value * edit["scale"]
    if edit.get("duplicate"):
        return value + copy.deepcopy(value)
    return value


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


def _error(status: int, code: str, message: str, param: str | None) -> Body:
    from cbconform.server.errors import error_body

    return error_body(status, code, message, param)


@transform("no-offers-answers-404")
def _no_offers_404(op, status, body, headers):
    if status == 200 and body.get("personalized_offers") == []:
        return 404, _error(404, "resource_not_found", "No offer for this customer.", "customer_id"), headers
    return status, body, headers


@transform("webhook-created-completed")
def _webhook_created_completed(op, status, body, headers):
    if (f := _fulfillment(body)) and f.get("processing_type") == "webhook":
        f["status"], f["completed_at"] = "completed", f["created_at"]
    return status, body, headers


def _not_found_as_400(op, status, body, headers):
    if status == 404:
        body |= {"api_error_code": "param_wrong_value", "error_code": "param_wrong_value"}
        body["http_status_code"] = 400
        return 400, body, headers
    return status, body, headers


transform("unknown-offer-400")(_not_found_as_400)
transform("update-unknown-id-400")(_not_found_as_400)


@transform("no-retry-after")
def _no_retry_after(op, status, body, headers):
    if status == 429:
        headers = {k: v for k, v in headers.items() if k.lower() != "retry-after"}
    return status, body, headers
