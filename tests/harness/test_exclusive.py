"""Exclusive tests run alone on a shared target (cbconform.exclusive): a writer waits for the readers
in progress, and readers arriving while it waits queue behind it."""

from __future__ import annotations

import fcntl
import threading
import time
from pathlib import Path

from cbconform import exclusive


def test_a_waiting_writer_goes_before_later_readers(tmp_path) -> None:
    log: list[str] = []
    first_in = threading.Event()

    def reader(name: str, hold_for: float) -> None:
        with exclusive.hold(str(tmp_path), exclusive=False):
            first_in.set()
            time.sleep(hold_for)
            log.append(name)

    def writer() -> None:
        with exclusive.hold(str(tmp_path), exclusive=True):
            log.append("writer")

    threads = [threading.Thread(target=reader, args=("first reader", 1.0))]
    threads[0].start()
    first_in.wait(5)
    threads.append(threading.Thread(target=writer))
    threads[1].start()
    deadline = time.monotonic() + 10
    while not _taken(tmp_path / "gate") and time.monotonic() < deadline:
        time.sleep(0.01)  # until the writer holds the gate, waiting for the first reader
    threads.append(threading.Thread(target=reader, args=("later reader", 0)))
    threads[2].start()
    for thread in threads:
        thread.join(10)
    assert log == ["first reader", "writer", "later reader"]


def _taken(path: Path) -> bool:
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
