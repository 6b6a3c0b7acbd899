"""Text made safe for the medium it is written to, whatever a target sent.

- `clean`: any string made encodable as UTF-8 (lone surrogates shown as `\\udXXX`); for results.json.
- `xml`: also without the characters XML 1.0 forbids (control characters, U+FFFE/U+FFFF), for junit.xml.
- `visible`: also with control and bidi-override characters shown as `\\xNN`/`\\uXXXX`, for HTML and the
  terminal, where they would otherwise move the cursor, recolour, or reorder the text.
- `pretty_json`: a JSON value pretty-printed without recursion, compact beyond a depth, cut at a size.
- `parse_json`: a body parsed, or None when it is not JSON or nested too deep to parse."""

from __future__ import annotations

import json
import re
from typing import Any

SURROGATE = re.compile(r"[\ud800-\udfff]")
XML_ILLEGAL = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# C0 but tab, newline and carriage return, DEL, C1, and the bidirectional overrides and isolates.
INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
TERMINAL_INVISIBLE = re.compile(INVISIBLE.pattern[:-1] + r"\r]")
MAX_DEPTH = 64  # levels pretty-printed; deeper values are written compact on one line
MAX_PARSE_DEPTH = 500  # deeper documents are not parsed at all: shown raw


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str) -> str:
    """Encodable as UTF-8: surrogate pairs joined, lone surrogates written as visible escapes."""
    if not SURROGATE.search(text):
        return text
    joined = text.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
    return SURROGATE.sub(_escape, joined)


def xml(text: str) -> str:
    return XML_ILLEGAL.sub(_escape, clean(text))


def visible(text: str) -> str:
    return INVISIBLE.sub(_escape, clean(text))


def terminal(text: str) -> str:
    """As `visible`, and a carriage return shown too: it would rewrite the line it is on."""
    return TERMINAL_INVISIBLE.sub(_escape, clean(text))


def clean_value(value: Any, fix=clean) -> Any:
    """A copy of a JSON-like value with `fix` applied to every string, keys included; iterative."""
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(value, root, 0)]
    while stack:
        item, parent, slot = stack.pop()
        if isinstance(item, dict):
            copy: Any = {}
            for k, v in item.items():
                name = fix(k) if isinstance(k, str) else k
                copy[name] = None
                stack.append((v, copy, name))
        elif isinstance(item, (list, tuple)):
            copy = [None] * len(item)
            stack.extend((v, copy, i) for i, v in enumerate(item))
        else:
            copy = fix(item) if isinstance(item, str) else item
        parent[slot] = copy
    return root[0]


def nesting(text: str) -> int:
    """An upper bound of the nesting depth of a JSON text (brackets inside strings count too)."""
    depth = deepest = 0
    for match in re.finditer(r"[\[{\]}]", text):
        depth += 1 if match.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def parse_json(text: str) -> tuple[bool, Any]:
    """(True, value) when `text` is JSON that can be shown; (False, None) otherwise."""
    if not text or (("[" in text or "{" in text) and nesting(text) > MAX_PARSE_DEPTH):
        return False, None
    try:
        return True, json.loads(text)
    except (ValueError, RecursionError):
        return False, None


def pretty_json(value: Any, indent: int = 2, limit: int | None = None, max_depth: int = MAX_DEPTH) -> str:
    """Indented JSON, built with an explicit stack; compact past `max_depth`; stops near `limit`."""
    out: list[str] = []
    size = 0
    # Each entry is a value to write at a depth, or a literal string (a closing bracket, a separator).
    stack: list[tuple[Any, int, bool]] = [(value, 0, False)]
    while stack:
        item, depth, literal = stack.pop()
        if literal:
            piece = item
        elif isinstance(item, dict) and item:
            piece = _open(item, depth, indent, max_depth, stack, "{", "}")
        elif isinstance(item, list) and item:
            piece = _open(item, depth, indent, max_depth, stack, "[", "]")
        else:
            piece = json.dumps(item, ensure_ascii=False)
        out.append(piece)
        size += len(piece)
        if limit is not None and size > limit:
            break
    return "".join(out)


def _open(item, depth: int, indent: int, max_depth: int, stack, opening: str, closing: str) -> str:
    inline = depth >= max_depth
    pad, inner = ("", "") if inline else ("\n" + " " * (indent * depth), "\n" + " " * (indent * (depth + 1)))
    entries = list(item.items()) if isinstance(item, dict) else [(None, v) for v in item]
    stack.append((pad + closing, depth, True))
    for position in range(len(entries) - 1, -1, -1):
        name, child = entries[position]
        stack.append((child, depth + 1, False))
        prefix = inner + (json.dumps(str(name), ensure_ascii=False) + ": " if name is not None else "")
        stack.append((("," if position else "") + prefix, depth, True))
    return opening
