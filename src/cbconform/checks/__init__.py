"""Checks: small functions, each with a public ID (its name) and a human title, that compare one
exchange with the contracts and return the rules it breaks, with what was documented and received.

A test raises ConformanceFailure (the target is wrong); anything else escaping a test is an error of
the harness, never counted against the target."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from cbconform.exchange import Exchange


@dataclass
class Failure:
    rule_id: str
    check: str
    title: str
    documented: str
    received: str
    exchange: Exchange | None = None

    def describe(self) -> str:
        lines = [
            f"[{self.rule_id}] {self.title}",
            f"  documented: {self.documented}",
            f"  received:   {self.received}",
        ]
        if self.exchange is not None:
            lines.append(f"  exchange:   {self.exchange.summary()}")
            lines.append(f"  reproduce:  {self.exchange.curl()}")
        return "\n".join(lines)


class ConformanceFailure(AssertionError):
    def __init__(self, failures: list[Failure]):
        self.failures = failures
        super().__init__("\n".join(f.describe() for f in failures))


class NotApplicable(pytest.skip.Exception):
    """A skip meaning the rule cannot apply to this target or reading (not: could not be examined)."""


def not_applicable(reason: str) -> None:
    raise NotApplicable(reason, allow_module_level=False)


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    fn: Callable[..., list[Failure]]


CHECKS: dict[str, Check] = {}


def check(title: str) -> Callable[[Callable[..., list[Failure]]], Callable[..., list[Failure]]]:
    """Registers a check under its function name, its public ID."""

    def register(fn: Callable[..., list[Failure]]) -> Callable[..., list[Failure]]:
        CHECKS[fn.__name__] = Check(fn.__name__, title, fn)
        return fn

    return register


def failure(name: str, rule_id: str, documented: str, received: str, exchange: Exchange | None) -> Failure:
    return Failure(
        rule_id, name, CHECKS[name].title if name in CHECKS else name, documented, received, exchange
    )


def shorten(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
