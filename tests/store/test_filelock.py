"""file_lock: one holder at a time, threads included."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from headrace.store.filelock import file_lock


def test_a_second_holder_waits_for_the_first(tmp_path: Path) -> None:
    lock = tmp_path / "deep" / "folder" / "x.lock"
    inside: list[str] = []
    first_in = threading.Event()

    def hold(name: str, seconds: float) -> None:
        with file_lock(lock):
            inside.append(f"{name} in")
            first_in.set()
            time.sleep(seconds)
            inside.append(f"{name} out")

    first = threading.Thread(target=hold, args=("first", 0.2))
    first.start()
    first_in.wait()
    second = threading.Thread(target=hold, args=("second", 0.0))
    second.start()
    first.join()
    second.join()

    assert inside == ["first in", "first out", "second in", "second out"]
    assert lock.exists()
