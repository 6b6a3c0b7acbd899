"""`cbconform serve`: the reference server on a real socket, for the suites or for your own app."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn

from cbconform import contracts
from cbconform.server import faults
from cbconform.server.app import create_app
from cbconform.server.config import DEFAULT_API_KEY, ServerConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--db", help="SQLite file that keeps state across restarts (default: in memory)")
    parser.add_argument(
        "--data", help="data file of customers, offers and invoices (default: the packaged one)"
    )
    parser.add_argument("--admin", action="store_true", help="serve /__admin: event log, clock, reset")
    parser.add_argument("--rate-limit", type=int, metavar="N", help="answer 429 past N requests a minute")
    parser.add_argument(
        "--processing-delay",
        type=int,
        default=5,
        metavar="S",
        help="seconds before billing_update and checkout fulfillments settle",
    )
    parser.add_argument(
        "--reading",
        action="append",
        default=[],
        metavar="AMB-ID=NAME",
        help="follow another reading of an ambiguity (see `cbconform ambiguities`)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="break one documented rule on purpose (see --list-faults)",
    )
    parser.add_argument("--list-faults", action="store_true", help="print the fault catalogue and exit")


def _readings(pairs: list[str]) -> dict[str, str]:
    readings = {}
    for pair in pairs:
        amb, sep, name = pair.partition("=")
        if not sep:
            raise ValueError(f"--reading takes AMB-ID=NAME, not {pair!r}")
        readings[amb] = name
    contracts.load(readings)  # refuses unknown ambiguities and readings with one sentence
    return readings


def main(args: argparse.Namespace) -> int:
    if args.list_faults:
        try:
            catalogue = faults.catalogue()
        except ValueError as error:
            print(f"cbconform serve: {error}", file=sys.stderr)
            return 2
        try:
            for fault in catalogue.values():
                needs = "".join(f" (under {a}={r})" for a, r in (fault.readings or {}).items())
                print(f"{fault.name:<36} breaks {fault.rule:<40} {fault.description}{needs}")
            sys.stdout.flush()
        except BrokenPipeError:  # the reader stopped early (`| head`): not an error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    try:
        config = ServerConfig(
            api_key=args.api_key,
            db=args.db,
            data=Path(args.data) if args.data else None,
            admin=args.admin,
            rate_limit=args.rate_limit,
            readings=_readings(args.reading),
            faults=frozenset(args.fault),
            processing_delay=args.processing_delay,
        )
        app = create_app(config)
    except (ValueError, OSError) as error:
        print(f"cbconform serve: {error}", file=sys.stderr)
        return 2
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and without
    # it every keep-alive answer waits ~40 ms for a delayed ACK (Nagle).
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as error:
        print(
            f"cbconform serve: cannot listen on {args.host}:{args.port}: {error.strerror}.", file=sys.stderr
        )
        return 2
    sock.listen(2048)  # before the banner: a client that reads the URL may connect at once, and waits
    host, port = sock.getsockname()[:2]
    if not getattr(args, "quiet", False):
        print("\n".join(banner(config, f"http://{host}:{port}")), flush=True)
    verbose = bool(getattr(args, "verbose", False))
    served = uvicorn.Config(
        app,
        http=_http_protocol(),
        proxy_headers=False,  # nothing reads the client address; spare every request a middleware
        log_level="info" if verbose else "warning",
        access_log=verbose,
    )
    uvicorn.Server(served).run(sockets=[sock])
    return 0


def _http_protocol() -> Any:
    """uvicorn's httptools protocol with one write per answer; uvicorn's own choice without httptools."""
    try:
        from cbconform.server.wire import JoinedWritesProtocol
    except ImportError:
        return "auto"
    return JoinedWritesProtocol


def banner(config: ServerConfig, base: str) -> list[str]:
    """What is served, so a person can tell a broken-on-purpose server from a clean one at a glance."""
    key, limit = config.api_key, config.rate_limit
    hint = f"{key} (the default)" if key == DEFAULT_API_KEY else f"{key[:4]}… ({len(key)} characters)"
    catalogue = faults.catalogue()
    broken = [f"{n} (breaks {catalogue[n].rule})" if n in catalogue else n for n in sorted(config.faults)]
    readings = ", ".join(f"{a}={r}" for a, r in sorted(config.readings.items()))
    admin = f"{base}/__admin: event log, clock, reset, rate limit" if config.admin else "off (--admin)"
    return [
        f"Reference server on {base}/api/v2",
        f"  API key   {hint}",
        f"  readings  {readings or 'the register defaults'} (see `cbconform ambiguities`)",
        f"  faults    {', '.join(broken) or 'none: the server follows the documentation'}",
        f"  admin     {admin}",
        f"  throttle  {f'429 past {limit} requests a minute' if limit else 'none (--rate-limit N)'}",
        f"  state     {config.db or 'in memory'}; data: {config.data or 'packaged'}",
        "Ctrl-C stops it.",
    ]
