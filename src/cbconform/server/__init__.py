"""The reference server: a stateful emulator of the five operations.

Public surface: `create_app(ServerConfig(...))` returns the ASGI application; `cbconform serve` runs it."""

from cbconform.server.app import create_app
from cbconform.server.config import DEFAULT_API_KEY, ServerConfig

__all__ = ["DEFAULT_API_KEY", "ServerConfig", "create_app"]
