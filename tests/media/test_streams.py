"""The producer thread behind ``ahead`` ends when the consumer stops early, whatever it was
about to hand over (an item, the end, or an error)."""

import threading
import time

import pytest

from app.core.errors import NodeError
from app.media.streams import ahead


def _err(e: BaseException) -> NodeError:
    return NodeError(str(e))


def _threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name]


@pytest.mark.parametrize("ending", ["end", "error"])
def test_producer_ends_when_the_consumer_stops_early(ending):
    name = f"streams-test-{ending}"

    def produce(put):
        for i in range(3):  # fills the queue (prefetch 1) and finishes while nobody reads
            put(i)
        if ending == "error":
            raise RuntimeError("boom")

    it = ahead(produce, prefetch=1, name=name, error=_err)
    assert next(it) == 0
    time.sleep(0.3)  # the producer is now blocked handing over its last item
    t0 = time.monotonic()
    it.close()
    assert time.monotonic() - t0 < 2  # before: join waited its 5 s and the thread stayed
    assert not _threads(name)


def test_items_end_and_errors_arrive_in_order():
    def produce(put):
        for i in range(5):
            assert put(i)
        raise ValueError("bad frame")

    got = []
    with pytest.raises(NodeError, match="bad frame"):
        for x in ahead(produce, prefetch=2, name="streams-order", error=_err):
            got.append(x)
    assert got == [0, 1, 2, 3, 4]
