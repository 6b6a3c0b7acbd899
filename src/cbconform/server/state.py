"""Everything one running server holds: its configuration, contracts, data, store, clock and hooks."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import Any

from cbconform import contracts
from cbconform.contracts import Contracts
from cbconform.server import faults
from cbconform.server.clock import Clock
from cbconform.server.config import DEFAULT_DATA, ServerConfig
from cbconform.server.faulty import hooks_for
from cbconform.server.hooks import Hooks
from cbconform.server.ratelimit import RateLimiter
from cbconform.server.store import Store


@dataclass
class ServerState:
    config: ServerConfig
    contracts: Contracts
    data: dict[str, Any]
    store: Store
    hooks: Hooks = field(default_factory=Hooks)
    clock: Clock = field(default_factory=Clock)
    limiter: RateLimiter | None = None
    api_key_bytes: bytes = b""
    _by_id: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    _readings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, config: ServerConfig) -> ServerState:
        faults.check_known(config.faults)
        with (config.data or DEFAULT_DATA).open("rb") as fh:
            data = tomllib.load(fh)
        state = cls(
            config=config,
            contracts=contracts.load(
                faults.readings_for(config.faults) | dict(config.readings),
                patches=faults.validation_patches(config.faults),
            ),
            data=data,
            store=Store(config.db),
            hooks=hooks_for(config.faults),
            api_key_bytes=config.api_key.encode(),
        )
        state._by_id = {
            kind: {item["id"]: item for item in data.get(kind, [])}
            for kind in ("offer", "customer", "invoice")
        }
        if config.rate_limit:
            state.limiter = RateLimiter(config.rate_limit)
        return state

    def reading(self, ambiguity_id: str) -> Any:
        if ambiguity_id not in self._readings:
            self._readings[ambiguity_id] = self.contracts.reading(ambiguity_id).value
        return self._readings[ambiguity_id]

    def offer(self, offer_id: str) -> dict[str, Any] | None:
        return self._by_id["offer"].get(offer_id)

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        return self._by_id["customer"].get(customer_id)

    def invoice(self, invoice_id: str) -> dict[str, Any] | None:
        return self._by_id["invoice"].get(invoice_id)
