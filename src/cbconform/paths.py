"""Where contracts and suites live: packaged in a wheel, at the repository top in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPO = _PACKAGE.parent.parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"none of {', '.join(map(str, candidates))} exists")


def contracts_dir() -> Path:
    return _first_existing(_REPO / "contracts", _PACKAGE / "_contracts")


def suites_dir() -> Path:
    return _first_existing(_REPO / "suites", _PACKAGE / "_suites")
