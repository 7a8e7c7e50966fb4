"""What a serving process keeps in memory between requests: a bounded map, the least used dropped first.

Each process keeps its own (kept pages, which unit a printed code names, a unit's counters): nothing
is shared between processes, so there is nothing to invalidate across servers. Every value carries
the moment it was stored, and every reader says how old a value it accepts, so each use bounds its
own staleness where it is read.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, Protocol, TypeVar


class Aged(Protocol):
    stored_at: float  # time.monotonic() when stored


V = TypeVar("V", bound=Aged)


def now() -> float:
    return time.monotonic()


class Kept(Generic[V]):
    """At most ``size`` values by key, safe to share between a process's threads."""

    def __init__(self, size: int):
        self._size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, max_age: float) -> V | None:
        """The value under ``key`` if stored less than ``max_age`` seconds ago."""
        with self._lock:
            value = self._values.get(key)
            if value is None or now() - value.stored_at >= max_age:
                return None
            self._values.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self._size:
                self._values.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._values.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
