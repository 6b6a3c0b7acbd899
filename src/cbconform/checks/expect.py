"""`expect`: what a suite asserts about an exchange, phrased as rules. Each call runs the checks that
apply, counts the rules it exercised, and raises ConformanceFailure naming the rules broken."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from cbconform.checks import ConformanceFailure, Failure, failure, shorten
from cbconform.checks.responses import REPLAYED, conformance
from cbconform.contracts import Contracts
from cbconform.exchange import Exchange


class Expect:
    def __init__(self, contracts: Contracts, exercised: Counter):
        self.contracts, self.exercised = contracts, exercised
        self._gathering: list[Failure] | None = None
        self._seen: set[int] = set()  # the exchanges a check has looked at

    def sweep(self, exchanges: Iterable[Exchange]) -> None:
        """Every answer of an operation that no expectation looked at still goes through the response
        checks that apply to it (a replay, flagged by its header, is judged as one)."""
        found = []
        for ex in exchanges:
            if ex.operation and id(ex) not in self._seen:
                found += self._conformance(ex, replay=REPLAYED in ex.response_headers)
        self._raise(found)

    @contextmanager
    def gathered(self) -> Iterator[None]:
        """Every rule the expectations inside break is reported, not only the first one's."""
        self._gathering = []
        try:
            yield
        finally:
            found, self._gathering = self._gathering, None
        self._raise(found)

    def conforms(self, ex: Exchange, replay: bool = False) -> Exchange:
        self._raise(self._conformance(ex, replay))
        return ex

    def accepted(self, ex: Exchange, *rules: str) -> Exchange:
        """A 2xx answer that conforms; otherwise `rules` (the ones that promise acceptance) are broken."""
        self._count(rules)
        found = self._conformance(ex)
        if not 200 <= ex.status < 300:
            found += [
                failure("accepted", rule, "the request is accepted (2xx)", _answer(ex), ex) for rule in rules
            ]
        self._raise(found)
        return ex

    def rejected(
        self, ex: Exchange, rule: str, statuses: Iterable[int] = (400,), param: str | None = None
    ) -> Exchange:
        """Refused with one of `statuses`, a conforming error body, and `param` naming the field."""
        statuses = tuple(statuses)
        self._count((rule, "ERR-PARAM-NAMES-FIELD") if param else (rule,))
        found = self._conformance(ex)
        if ex.status not in statuses:
            documented = f"refused with HTTP {' or '.join(map(str, statuses))}"
            found.append(failure("rejected", rule, documented, _answer(ex), ex))
        elif param and ex.status == 400:
            named = (ex.json() or {}).get("param") if isinstance(ex.json(), dict) else None
            if named != param:
                found.append(
                    failure(
                        "param_names_field",
                        "ERR-PARAM-NAMES-FIELD",
                        f"param = {param!r}",
                        f"param = {named!r}",
                        ex,
                    )
                )
        self._raise(found)
        return ex

    def that(
        self, condition: bool, rule: str, documented: str, received: object, ex: Exchange | None
    ) -> None:
        self._count((rule,))
        if not condition:
            self._raise([failure("expect_that", rule, documented, shorten(received), ex)])

    def _conformance(self, ex: Exchange, replay: bool = False) -> list[Failure]:
        examined: set[str] = set()
        self._seen.add(id(ex))
        found = conformance(self.contracts, ex, replay, examined)
        self._count(examined)
        return found

    def _count(self, rules: Iterable[str]) -> None:
        self.exercised.update(rules)

    def _raise(self, found: list[Failure]) -> None:
        if found and self._gathering is not None:
            self._gathering.extend(found)
        elif found:
            raise ConformanceFailure(_unique(found))


def _answer(ex: Exchange) -> str:
    body = ex.json()
    code = body.get("api_error_code") if isinstance(body, dict) else None
    return (
        f"HTTP {ex.status}"
        + (f" {code}" if code else "")
        + (f": {shorten(body.get('message'))}" if isinstance(body, dict) and body.get("message") else "")
    )


def _unique(found: list[Failure]) -> list[Failure]:
    seen, unique = set(), []
    for f in found:
        key = (f.rule_id, f.received)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique
