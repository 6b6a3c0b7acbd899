"""chargebee-idempotency-key: a replay returns the first answer, flagged; another payload is refused.

Only successful (2xx) answers are stored, so a request that failed validation can be retried with
the same key once corrected, as clients expect."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cbconform.server.errors import ApiError
from cbconform.server.store import dumps

STABLE = {"separators": (",", ":"), "sort_keys": True}  # fingerprints kept in a --db file outlive upgrades

HEADER = "chargebee-idempotency-key"
REPLAYED = "chargebee-idempotency-replayed"


def fingerprint(method: str, path: str, params: dict[str, Any]) -> str:
    return hashlib.sha256(f"{method} {path} {json.dumps(params, **STABLE)}".encode()).hexdigest()


def lookup(state, key: str, print_: str) -> tuple[int, dict[str, Any]] | None:
    with state.store.transaction() as db:
        row = db.execute("SELECT fingerprint, status, body FROM idempotency WHERE key = ?", (key,)).fetchone()
    if row is None:
        return None
    if row[0] != print_:
        state.hooks.refuse(
            "idempotency-payload",
            ApiError(
                422,
                "unable_to_process_request",
                "The idempotency key was already used with different parameters.",
                HEADER,
            ),
        )
        return None  # the refusal was waived: the request is served as a new one
    return row[1], json.loads(row[2])


def remember(state, key: str, print_: str, status: int, body: dict[str, Any]) -> None:
    if 200 <= status < 300:
        with state.store.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?)", (key, print_, status, dumps(body))
            )
