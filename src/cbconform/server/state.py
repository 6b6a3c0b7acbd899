"""Everything one running server holds: its configuration, contracts, data, store and clock."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import Any

from cbconform import contracts
from cbconform.contracts import Contracts
from cbconform.server.clock import Clock
from cbconform.server.config import DEFAULT_DATA, ServerConfig
from cbconform.server.faults import readings_for, validation_patches
from cbconform.server.ratelimit import RateLimiter
from cbconform.server.store import Store


@dataclass
class ServerState:
    config: ServerConfig
    contracts: Contracts
    data: dict[str, Any]
    store: Store
    clock: Clock = field(default_factory=Clock)
    limiter: RateLimiter | None = None

    @classmethod
    def build(cls, config: ServerConfig) -> ServerState:
        with (config.data or DEFAULT_DATA).open("rb") as fh:
            data = tomllib.load(fh)
        state = cls(
            config=config,
            contracts=contracts.load(
                readings_for(config.faults) | dict(config.readings), patches=validation_patches(config.faults)
            ),
            data=data,
            store=Store(config.db),
        )
        if config.rate_limit:
            state.limiter = RateLimiter(config.rate_limit)
        return state

    def reading(self, ambiguity_id: str) -> Any:
        return self.contracts.reading(ambiguity_id).value

    def offer(self, offer_id: str) -> dict[str, Any] | None:
        return next((o for o in self.data.get("offer", []) if o["id"] == offer_id), None)

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        return next((c for c in self.data.get("customer", []) if c["id"] == customer_id), None)

    def invoice(self, invoice_id: str) -> dict[str, Any] | None:
        return next((i for i in self.data.get("invoice", []) if i["id"] == invoice_id), None)
