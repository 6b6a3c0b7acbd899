"""The run profiles, declared once: each profile's hypothesis settings and how many examples
schemathesis generates per operation beside its coverage phase. `ci` is derandomized and reproducible;
`dev` and `thorough` draw from a seed the run prints, so any run can be repeated with --hypothesis-seed.
Their names are the choices of the `profile` setting (cbconform.settings, checked equal in tests)."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, settings

PROFILES = {
    "ci": {"hypothesis": {"max_examples": 8, "derandomize": True}, "schemathesis_examples": 6},
    "dev": {"hypothesis": {"max_examples": 15, "derandomize": False}, "schemathesis_examples": 12},
    "thorough": {"hypothesis": {"max_examples": 150, "derandomize": False}, "schemathesis_examples": 100},
    # a remote target pays for each request: one example, a short state machine (cbconform.planner);
    # schemathesis skips its coverage phase there (cbconform.schemathesis_support)
    "sandbox": {
        "hypothesis": {"max_examples": 1, "derandomize": True, "stateful_step_count": 12},
        "schemathesis_examples": 1,
    },
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
    for name, profile in PROFILES.items():
        settings.register_profile(f"cbconform-{name}", **COMMON, **profile["hypothesis"])


def load(name: str) -> None:
    settings.load_profile(f"cbconform-{name}")


def drawn_seed(name: str) -> str | None:
    """The seed a run of profile `name` draws when none is given (None: the profile is derandomized)."""
    if PROFILES[name]["hypothesis"]["derandomize"]:
        return None
    return str(random.SystemRandom().randrange(1 << 32))


def schemathesis_examples(name: str) -> int:
    return PROFILES[name]["schemathesis_examples"]
