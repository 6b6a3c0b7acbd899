"""The control plane for tests, served only when the server starts with admin on: the event log, the
clock (freeze, set, advance) and a reset. Same Basic auth as the API."""

from __future__ import annotations

import json

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cbconform.server import auth, events, fulfillments
from cbconform.server.errors import ApiError, error_response, invalid
from cbconform.server.ratelimit import RateLimiter

FEATURES = ["event-log", "clock", "reset", "rate-limit"]
MAX_SECONDS = 1 << 40  # far beyond any test's clock, well inside a float and SQLite's integers


def routes(state) -> list[Route]:
    def guarded(handler):
        async def endpoint(request: Request) -> JSONResponse:
            try:
                auth.check(request, state)
                return JSONResponse(await handler(request))
            except ApiError as error:
                return error_response(error)
            except ClientDisconnect:  # nobody left to answer; not an error of the server
                return Response(status_code=400)

        return endpoint

    async def info(request: Request) -> dict:
        return {
            "features": FEATURES,
            "readings": dict(state.contracts.readings),
            "faults": sorted(state.config.faults),
            "rate_limit": state.config.rate_limit,
            "processing_delay": state.config.processing_delay,
        }

    async def event_log(request: Request) -> dict:
        fulfillments.settle_due(state)
        with state.store.transaction() as db:
            return {"events": events.listing(db, request.query_params.get("fulfillment_id"))}

    async def clock(request: Request) -> dict:
        if request.method == "POST":
            _set_clock(state, await request.body())
        return {"now": state.clock.now(), "frozen": state.clock.frozen}

    async def reset(request: Request) -> dict:
        state.store.reset()
        if state.limiter:
            state.limiter.clear()
        return {"reset": True}

    async def rate_limit(request: Request) -> dict:
        command = _json(await request.body())
        limit = command.get("per_minute")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
            raise invalid("per_minute is a positive whole number, or null for no limit.")
        state.limiter = RateLimiter(limit) if limit else None
        return {"per_minute": limit}

    return [
        Route("/__admin", guarded(info), methods=["GET"]),
        Route("/__admin/rate-limit", guarded(rate_limit), methods=["POST"]),
        Route("/__admin/events", guarded(event_log), methods=["GET"]),
        Route("/__admin/clock", guarded(clock), methods=["GET", "POST"]),
        Route("/__admin/reset", guarded(reset), methods=["POST"]),
    ]


def _json(raw: bytes) -> dict:
    try:
        command = json.loads(raw or b"{}")
    except ValueError:
        raise invalid("The admin command is not JSON.") from None
    if not isinstance(command, dict):
        raise invalid("The admin command must be a JSON object.")
    return command


def _set_clock(state, raw: bytes) -> None:
    command = _json(raw)
    now, advance, freeze = command.get("now"), command.get("advance"), command.get("freeze")
    if any(
        v is not None and (not isinstance(v, int) or isinstance(v, bool) or abs(v) > MAX_SECONDS)
        for v in (now, advance)
    ):
        raise invalid(f"now and advance are whole seconds, at most {MAX_SECONDS} either way.")
    if freeze is True or now is not None:
        state.clock.freeze(now)
    elif freeze is False:
        state.clock.unfreeze()
    if advance:
        state.clock.advance(advance)
