"""The reference server: a stateful emulator of the five operations.

Public surface: `create_app(ServerConfig(...))` returns the ASGI application; `cbconform serve` runs it.
`fault_requirements(names)` tells a harness what named faults need, without reading the catalogue."""

from __future__ import annotations

from collections.abc import Iterable

from cbconform.server.app import create_app
from cbconform.server.config import DEFAULT_API_KEY, ServerConfig

__all__ = ["DEFAULT_API_KEY", "ServerConfig", "create_app", "fault_requirements"]


def fault_requirements(names: Iterable[str]) -> tuple[dict[str, str], set[str]]:
    """The ambiguity readings (id -> reading name) these faults need in order to show, and the ids of the
    operations where they show. Raises ValueError, with one sentence, for a name not in the catalogue."""
    from cbconform import contracts
    from cbconform.server import faults

    names = list(names)
    faults.check_known(names)
    every = contracts.load().operations
    operations: set[str] = set()
    for name in names:
        fault = faults.catalogue()[name]
        scope = fault.operations or contracts.load().rules[fault.rule].operations
        operations |= set(every) if "*" in scope else set(scope)
    return faults.readings_for(names), operations
