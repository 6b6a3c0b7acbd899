"""The ASGI application: one pipeline for the five operations, answering both the grow and core paths.

request guard -> auth -> rate limit -> body -> headers -> parameters -> idempotency -> handler -> answer.
Every failure on the way is a Chargebee-shaped error; nothing escapes as a 500 with a trace. Faults,
when any are active, are applied around this pipeline (fault_middleware.py) and at the named points of
hooks.py; the handlers themselves only do what the documentation says."""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from cbconform.contracts import Operation
from cbconform.server import admin, auth, fulfillments, idempotency, offers, orders
from cbconform.server.config import ServerConfig
from cbconform.server.encoding import check_headers, check_params, read_body
from cbconform.server.errors import ApiError, error_body
from cbconform.server.faulty import OPERATION
from cbconform.server.guard import RequestGuard
from cbconform.server.jsonio import JSONAnswer
from cbconform.server.state import ServerState

log = logging.getLogger("cbconform.server")
PREFIX = "/api/v2"

HANDLERS = {
    "personalized_offers": lambda s, p, path, r: offers.personalized_offers(s, p, r),
    "create_offer_fulfillment": lambda s, p, path, r: fulfillments.create(s, p, r),
    "retrieve_offer_fulfillment": lambda s, p, path, r: fulfillments.retrieve(s, path, r),
    "update_offer_fulfillment": lambda s, p, path, r: fulfillments.update(s, path, p, r),
    "create_order": lambda s, p, path, r: orders.create(s, p, r),
}


def create_app(config: ServerConfig | None = None) -> Starlette:
    """The server; raises ValueError with one sentence for an unknown fault or a bad data file."""
    config = config or ServerConfig()
    state = ServerState.build(config)
    routes = _api_routes(state) + (admin.routes(state) if config.admin else [])
    middleware = [Middleware(RequestGuard)]
    if config.faults:
        from cbconform.server.fault_middleware import FaultMiddleware

        middleware.append(Middleware(FaultMiddleware, names=config.faults, api_key=config.api_key))
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: _http_error})
    app.state.server = state
    return app


def _api_routes(state: ServerState) -> list[Route]:
    by_path: dict[str, dict[str, Operation]] = {}
    for op in state.contracts.operations.values():
        by_path.setdefault(op.path, {})[op.method] = op
    routes = []
    for path, methods in by_path.items():
        starlette_path = PREFIX + path.replace("{offer-fulfillment-id}", "{fulfillment_id}")
        routes.append(Route(starlette_path, _Endpoint(state, methods), methods=list(methods)))
    return routes


class IndexedHeaders(Headers):
    """Starlette's Headers, looked up in a dict built once: a request reads a dozen headers, and
    Headers scans its whole list for each. ASGI header names are lower case; the first of a name wins."""

    def __init__(self, scope: Scope):
        super().__init__(scope=scope)
        self._index = {k.decode("latin-1"): v.decode("latin-1") for k, v in reversed(self._list)}

    def __getitem__(self, key: str) -> str:
        return self._index[key.lower()]

    def __contains__(self, key: Any) -> bool:
        return key.lower() in self._index

    def get(self, key: str, default: Any = None) -> Any:
        return self._index.get(key.lower(), default)


class ServerRequest(Request):
    @property
    def headers(self) -> Headers:
        if not hasattr(self, "_headers"):
            self._headers = IndexedHeaders(self.scope)
        return self._headers


class _Endpoint:
    """The ASGI app of one path (an object, not a function, so Starlette runs it as it is)."""

    def __init__(self, state: ServerState, methods: dict[str, Operation]):
        self.state, self.methods = state, methods

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = ServerRequest(scope, receive, send)
        op = self.methods[request.method]
        scope[OPERATION] = op.id
        try:
            status, body, headers = await _handle(self.state, op, request)
        except ApiError as error:
            status, body, headers = (
                error.status,
                error_body(error.status, error.code, error.message, error.param),
                error.headers,
            )
        except ClientDisconnect:  # the client went away mid-body: nobody to answer, nothing went wrong
            log.info("client disconnected during %s %s", request.method, request.url.path)
            await Response(status_code=400)(scope, receive, send)
            return
        except Exception:  # a bug in the server: still a Chargebee-shaped answer, never a trace
            log.exception("internal error on %s %s", request.method, request.url.path)
            status, body, headers = 500, error_body(500, "internal_error", "Sorry, something went wrong."), {}
        await JSONAnswer(body, status, headers=headers)(scope, receive, send)


async def _handle(state: ServerState, op: Operation, request: Request) -> tuple[int, dict[str, Any], dict]:
    contracts, hooks = state.contracts, state.hooks
    auth.check(request, state)
    if state.limiter and (refused := state.limiter.admit(state.clock.now())):
        hooks.refuse("rate-limit", refused)
    params: dict[str, Any] = {}
    if op.method == "POST":
        json_allowed = hooks.decide("json-allowed", state.reading("AMB-REQUEST-ENCODING") == "both")
        params = await read_body(request, contracts, json_allowed, hooks, op.id)
    check_headers(request, contracts, op.headers)
    if op.request_body:
        check_params(params, contracts, op.request_body)
    params = hooks.decide("parameters", params, operation=op.id)
    key = request.headers.get(idempotency.HEADER) if op.method == "POST" else None
    if key:
        print_ = idempotency.fingerprint(op.method, request.url.path, params)
        replay = idempotency.lookup(state, key, print_)
        if replay:
            return replay[0], replay[1], {idempotency.REPLAYED: "true"}
    status, body = HANDLERS[op.id](state, params, request.path_params.get("fulfillment_id"), request)
    if key:
        idempotency.remember(state, key, print_, status, body)
    return status, body, {}


async def _http_error(request: Request, exc: HTTPException) -> JSONAnswer:
    if exc.status_code == 405:
        body = error_body(
            405, "http_method_not_supported", f"{request.method} is not supported on {request.url.path}."
        )
    else:
        body = error_body(404, "resource_not_found", f"There is no endpoint at {request.url.path}.")
    if exc.status_code == 405:
        return JSONAnswer(body, 405, headers=exc.headers)  # Starlette's exception names the Allow header
    return JSONAnswer(body, 404)
