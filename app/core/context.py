"""What node code receives: where to write, how to report progress, and the cancel token."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.core.errors import Cancelled
from app.core.ports import PortType
from app.core.values import Value


class CancelToken:
    """One per run. Node code checks it in long loops and while polling remote jobs."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def wait(self, seconds: float) -> None:
        """Sleep that wakes up at once on cancel (for polling loops)."""
        if self._event.wait(seconds):
            raise Cancelled()


class NodeContext:
    def __init__(
        self,
        *,
        node_id: str,
        node_type: str,
        work_dir: Path,
        base_dir: Path,
        out_dir: Path,
        cancel: CancelToken,
        emit_progress: Callable[[float, str | None], None],
        cache_dir: Path | None = None,
        workflow: dict[str, Any] | None = None,
        key: str = "",
    ) -> None:
        self.node_id = node_id
        self.node_type = node_type
        self.work_dir = work_dir  # this node's output files go here; it becomes the cache entry
        self.base_dir = base_dir  # the workflow file's folder: relative asset paths resolve here
        self.out_dir = out_dir  # the run's output folder (renders/)
        self.cancel = cancel
        self.cache_dir = cache_dir
        self.workflow = workflow or {}  # the document being run (export embeds it)
        self.key = key  # this node's cache key: a remote job is journaled under it
        self.deliveries: list[dict[str, str]] = []
        self._emit = emit_progress
        self._last = 0.0

    def resolve(self, path: str | Path) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    def check_cancelled(self) -> None:
        self.cancel.check()

    def progress(self, fraction: float, message: str | None = None) -> None:
        """Report progress (0..1); throttled so a per-frame call costs nothing. Checks cancel."""
        self.cancel.check()
        now = time.monotonic()
        if fraction >= 1.0 or now - self._last >= 0.1:
            self._last = now
            self._emit(max(0.0, min(1.0, float(fraction))), message)

    def path(self, name: str) -> Path:
        return self.work_dir / name

    def json_value(self, type_: PortType, name: str, data: Any, **meta: Any) -> Value:
        p = self.path(name)
        p.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        return Value(type_, p, meta)

    def deliver(self, file: Path, name: str) -> None:
        """Publish ``file`` (inside work_dir) into the output folder as ``name`` after the run.

        The copy is made on every run, cached or not, and never overwrites a different file.
        """
        self.deliveries.append({"file": file.relative_to(self.work_dir).as_posix(), "name": name})
