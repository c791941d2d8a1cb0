"""Producing items on a thread ahead of the consumer, with a small bounded queue: decoding and
rendering overlap with whatever uses the frames, and memory stays flat."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from app.core.errors import NodeError


def ahead(
    produce: Callable[[Callable[[Any], bool]], None],
    *,
    prefetch: int,
    name: str,
    error: Callable[[BaseException], NodeError],
) -> Iterator[Any]:
    """Run ``produce(put)`` on a thread and yield what it puts, in order. ``put`` returns False
    once the consumer has gone (the producer should stop); an exception in the producer is
    raised in the consumer as ``error(exc)`` (a NodeError passes through as it is)."""
    q: queue.Queue[Any] = queue.Queue(maxsize=prefetch)
    stop = threading.Event()
    done = object()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        # the last item goes through ``put`` too: a consumer that stopped early must not leave
        # this thread blocked on a full queue for ever
        try:
            produce(put)
            put(done)
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            put(e if isinstance(e, NodeError) else error(e))

    t = threading.Thread(target=run, daemon=True, name=name)
    t.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        t.join(timeout=5)
