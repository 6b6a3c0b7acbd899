"""SQLite storage: in memory by default, a file with --db that survives a restart.

Documents are stored as JSON beside the columns the server queries on. One connection guarded by a
lock: every handler does its reads and writes in one locked block, so concurrent requests serialise
and none is lost."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cbconform.server import jsonio

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS personalized_offers (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fulfillments (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, due_at INTEGER, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS fulfillments_due ON fulfillments (status, due_at);
CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, fulfillment_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL);
"""
TABLES = ("counters", "personalized_offers", "fulfillments", "orders", "events", "idempotency")
SELECT_DOC = {
    t: f"SELECT doc FROM {t} WHERE id = ?" for t in ("personalized_offers", "fulfillments", "orders")
}


class Store:
    def __init__(self, path: str | None = None):
        # sqlite3 keeps each distinct statement prepared in a per-connection cache; every query here is a
        # constant string with ? parameters, so each is compiled once.
        self._conn = sqlite3.connect(
            path or ":memory:", check_same_thread=False, isolation_level=None, cached_statements=64
        )
        if path:  # WAL: readers never wait for the writer; NORMAL sync is durable across crashes with WAL
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        else:
            self._conn.execute("PRAGMA journal_mode=MEMORY")
            self._conn.execute("PRAGMA synchronous=OFF")
        self._conn.executescript(SCHEMA)
        self._lock = threading.RLock()
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic block; a nested block joins the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0
            self._conn.execute("COMMIT")

    def next_id(self, prefix: str) -> str:
        with self._lock:  # one statement is atomic on its own: no BEGIN/COMMIT round trip
            (value,) = self._conn.execute(
                "INSERT INTO counters VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1"
                " RETURNING value",
                (prefix,),
            ).fetchall()[0]  # stepped to the end, so the autocommit write is committed at once
        return f"{prefix}_{value:06d}"

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(SELECT_DOC[table], (key,)).fetchone()
        return jsonio.loads(row[0]) if row else None

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """The rows of one read, outside any transaction (a read that finds nothing to do costs no
        BEGIN/COMMIT); inside one, it sees the transaction's writes."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def reset(self) -> None:
        with self.transaction() as db:
            for table in TABLES:
                db.execute(f"DELETE FROM {table}")


dumps = jsonio.dumps
