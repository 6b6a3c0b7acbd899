"""The reference server: a stateful emulator of the five operations.

Public surface: `create_app(ServerConfig(...))` returns the ASGI application; `cbconform serve` runs it;
`fault_requirements(names)` says what named faults need from a run (the readings they show under)."""

from collections.abc import Iterable

from cbconform.server.app import create_app
from cbconform.server.config import DEFAULT_API_KEY, ServerConfig

__all__ = ["DEFAULT_API_KEY", "ServerConfig", "create_app", "fault_requirements"]


def fault_requirements(names: Iterable[str]) -> tuple[dict[str, str], set[str]]:
    """The readings and operations these faults need; ValueError (one sentence) for an unknown name."""
    from cbconform.server import faults

    names = list(names)
    bad = faults.unknown(names)
    if bad:
        raise ValueError(f"Unknown fault(s) {', '.join(bad)}: see `cbconform serve --list-faults`.")
    known = faults.catalogue()
    operations = {op for n in names for op in (known[n].operations or ())}
    return faults.readings_for(names), operations
