"""Runs the executor on a worker thread and hands its events to the GUI thread as signals.

The run works on a copy of the workflow taken when it starts, so editing while it runs is safe;
Stop sets the cancel token, which nodes check between frames and remote nodes while polling.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.core.cache import Cache
from app.core.context import CancelToken
from app.core.errors import WorkflowError
from app.core.events import Event
from app.core.executor import Executor, RunResult
from app.core.registry import Registry
from app.core.workflow import Workflow


class RunController(QObject):
    event = Signal(object)  # app.core.events.Event
    finished = Signal(object)  # RunResult
    refused = Signal(object)  # WorkflowError: the run could not start
    crashed = Signal(str)

    def __init__(
        self, registry: Registry, cache: Cache | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.executor = Executor(registry, cache or Cache())
        self._thread: threading.Thread | None = None
        self._cancel: CancelToken | None = None

    @property
    def cache(self) -> Cache:
        return self.executor.cache

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(
        self, wf: Workflow, base_dir: Path, out_dir: Path, targets: list[str] | None = None
    ) -> bool:
        if self.running():
            return False
        snapshot = wf.clone()
        self._cancel = CancelToken()
        cancel = self._cancel

        def work() -> None:
            try:
                result = self.executor.run(
                    snapshot,
                    base_dir=base_dir,
                    out_dir=out_dir,
                    targets=targets,
                    on_event=self._emit,
                    cancel=cancel,
                )
            except WorkflowError as e:
                self.refused.emit(e)
                return
            except Exception as e:
                import logging

                logging.getLogger("reelgraph.ui").exception("run crashed")
                self.crashed.emit(f"{type(e).__name__}: {e}")
                return
            self.finished.emit(result)

        self._thread = threading.Thread(target=work, daemon=True, name="reelgraph-run")
        self._thread.start()
        return True

    def _emit(self, ev: Event) -> None:
        self.event.emit(ev)

    def stop(self) -> None:
        if self._cancel is not None:
            self._cancel.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True


__all__ = ["RunController", "RunResult"]
