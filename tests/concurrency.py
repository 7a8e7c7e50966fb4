"""Requests sent all at once: real threads, each with its own client and database connection,
released together by a barrier, as simultaneous scans and resent offline records arrive."""

from __future__ import annotations

import threading
from collections.abc import Callable


def all_at_once(
    n: int, request: Callable[[int, object], object], prepare: Callable[[int], object] | None = None
) -> list:
    """``request(i, prepare(i))`` in ``n`` threads released at the same moment (``prepare``, say a
    login, runs before the barrier); their results, in no order, a thread's exception among them."""
    barrier = threading.Barrier(n)
    results: list = []

    def run(i: int) -> None:
        try:
            prepared = prepare(i) if prepare else None
            barrier.wait()
            results.append(request(i, prepared))
        except Exception as exc:  # a thread's failure must reach the assertions, not vanish
            results.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
