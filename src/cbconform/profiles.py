"""Hypothesis profiles: `ci` is derandomized and reproducible; `dev` and `thorough` draw from a seed
the run prints, so any run can be repeated with --hypothesis-seed."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, settings

PROFILES = {
    "ci": {"max_examples": 8, "derandomize": True},
    "dev": {"max_examples": 15, "derandomize": False},
    "thorough": {"max_examples": 150, "derandomize": False},
    # a remote target pays for each request: one example, a short state machine (cbconform.planner)
    "sandbox": {"max_examples": 1, "derandomize": True, "stateful_step_count": 12},
}
COMMON = {
    "deadline": None,
    "database": None,
    "print_blob": True,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
}


def register() -> None:
    for name, values in PROFILES.items():
        settings.register_profile(f"cbconform-{name}", **COMMON, **values)


def load(name: str) -> None:
    settings.load_profile(f"cbconform-{name}")


def drawn_seed(name: str) -> str | None:
    """The seed a run of profile `name` draws when none is given (None: the profile is derandomized)."""
    return None if PROFILES[name]["derandomize"] else str(random.SystemRandom().randrange(1 << 32))
