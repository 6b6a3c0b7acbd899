"""Secrets kept out of everything the harness writes, at the output boundary only.

Checks see the bytes the target sent; the terminal, logs, results.json, report.html, junit.xml, curl
lines and replay output are scrubbed on the way out. Every form a key can take in text is matched:
raw, JSON-escaped (`\\u0074` or `\\/` for any of its characters), percent-encoded, and the base64 of
`KEY:` and of `KEY` (the Authorization header value), in any mix of those escapes. Nothing that is not
the secret is rewritten.

A key shorter than MIN_KEY_LENGTH cannot be scrubbed without damaging ordinary text (a key `k` would
turn `checkout` into `chec[REDACTED]out`), so such a key is refused for any target but the embedded
server. The embedded server is created in-process with whatever key is given and guards nothing, so
its key is not a secret: a short one is accepted and not scrubbed."""

from __future__ import annotations

import base64
import contextlib
import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

REDACTED = "[REDACTED]"
MIN_KEY_LENGTH = 8
SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie")


class KeyTooShort(ValueError):
    """A key that cannot be scrubbed without damage; the message is one sentence."""


def check_key(key: str, embedded: bool) -> None:
    if key and len(key) < MIN_KEY_LENGTH and not embedded:
        raise KeyTooShort(
            f"The API key is shorter than {MIN_KEY_LENGTH} characters, too short to keep out of the reports "
            "without damaging other text; use the target's real key."
        )


def forms(key: str) -> list[str]:
    """The texts whose escaped or encoded spellings count as the key."""
    if len(key) < MIN_KEY_LENGTH:
        return []
    found = {key}
    for raw in (f"{key}:".encode(), key.encode()):
        encoded = base64.b64encode(raw).decode()
        found.add(encoded)
        found.add(encoded.rstrip("="))
    # The stable prefix of the base64 of KEY, KEY: or KEY:anything.
    whole = len(key.encode()) // 3 * 3
    found.add(base64.b64encode(key.encode()[:whole]).decode())
    return sorted(found, key=len, reverse=True)


def _hex_class(digit: str) -> str:
    return f"[{digit.lower()}{digit.upper()}]" if digit.isalpha() else digit


def _escaped(units: Iterable[int], prefix: str, width: int) -> str:
    return "".join(re.escape(prefix) + "".join(_hex_class(d) for d in f"{u:0{width}x}") for u in units)


def _char_pattern(char: str) -> str:
    utf16 = char.encode("utf-16-be", "surrogatepass")
    units = [int.from_bytes(utf16[i : i + 2], "big") for i in range(0, len(utf16), 2)]
    options = [re.escape(char), _escaped(units, "\\u", 4), _escaped(char.encode("utf-8", "replace"), "%", 2)]
    if char == "/":
        options.append(re.escape("\\/"))
    if char in '"\\':
        options.append(re.escape("\\" + char))
    return "(?:" + "|".join(options) + ")"


class Scrubber:
    def __init__(self, keys: Iterable[str] = ()):
        self.keys = tuple(sorted({k for k in keys if k and len(k) >= MIN_KEY_LENGTH}))
        self._plain = sorted({f for k in self.keys for f in forms(k)}, key=len, reverse=True)
        pattern = "|".join("".join(_char_pattern(c) for c in f) for f in self._plain)
        self._regex = re.compile(pattern) if pattern else None

    def __bool__(self) -> bool:
        return bool(self.keys)

    def text(self, text: str) -> str:
        if not self._plain or not text:
            return text
        for plain in self._plain:
            if plain in text:
                text = text.replace(plain, REDACTED)
        if "\\" in text or "%" in text:
            text = self._regex.sub(REDACTED, text)
        return text

    def value(self, value: Any) -> Any:
        """A copy of a JSON-like value with every string (keys included) scrubbed; iterative."""
        from cbconform.report.safe import clean_value

        return clean_value(value, self.text) if self._plain else value

    def found_in(self, text: str) -> bool:
        return self.text(text) != text

    def file(self, path: Path) -> bool:
        """Scrubs one file in place; True when it held a secret."""
        data = path.read_bytes().decode("utf-8", "surrogateescape")
        clean = self.text(data)
        if clean == data:
            return False
        path.write_bytes(clean.encode("utf-8", "surrogateescape"))
        return True


_ACTIVE: set[str] = set()
_CACHE: dict[frozenset[str], Scrubber] = {}


def register(*keys: str | None) -> None:
    """Adds keys to the process's scrubber (the run's key, registered where the client is built)."""
    _ACTIVE.update(k for k in keys if k and len(k) >= MIN_KEY_LENGTH)


def active() -> Scrubber:
    keys = frozenset(_ACTIVE)
    if keys not in _CACHE:
        _CACHE.clear()
        _CACHE[keys] = Scrubber(keys)
    return _CACHE[keys]


def scrub(text: str) -> str:
    return active().text(text)


def headers(raw: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header names lower-cased, credential headers replaced whole."""
    return {name.lower(): REDACTED if name.lower() in SECRET_HEADERS else value for name, value in raw}


def scrub_files(directory: Path, scrubber: Scrubber | None = None) -> list[str]:
    """The files of `directory` that held a secret, each scrubbed in place."""
    scrubber = scrubber or active()
    if not scrubber or not directory.is_dir():
        return []
    return [str(p) for p in sorted(directory.rglob("*")) if p.is_file() and scrubber.file(p)]


class RedactingStream(io.TextIOBase):
    """A text stream that writes through to another with every secret replaced."""

    def __init__(self, stream: Any, scrubber: Scrubber | None = None):
        self._stream, self._scrubber = stream, scrubber

    def write(self, text: str) -> int:
        from cbconform.report.safe import clean

        self._stream.write((self._scrubber or active()).text(clean(text)))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self._stream, "encoding", "utf-8")


@contextlib.contextmanager
def redacted_streams(scrubber: Scrubber | None = None) -> Iterator[None]:
    import sys

    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingStream(saved[0], scrubber), RedactingStream(saved[1], scrubber)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
