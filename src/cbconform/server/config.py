"""How a reference server is set up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_API_KEY = "test_conformance_key"
DEFAULT_DATA = Path(__file__).parent / "data" / "default.toml"


@dataclass(frozen=True)
class ServerConfig:
    api_key: str = DEFAULT_API_KEY
    db: str | None = None  # a file path; None keeps everything in memory
    data: Path | None = None  # the data file; None uses the packaged default
    admin: bool = False  # serve the /__admin control plane (clock, event log, reset)
    rate_limit: int | None = None  # requests per minute; None for no limit
    readings: Mapping[str, str] = field(default_factory=dict)
    faults: frozenset[str] = frozenset()
    processing_delay: int = 5  # seconds of server clock before billing_update and checkout settle
