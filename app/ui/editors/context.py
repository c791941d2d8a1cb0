"""What an editor needs from the main window: the document, the engine to compute a node's
input on demand (through the cache), and the nodes around the one being edited."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from app.core.context import CancelToken
from app.core.errors import WorkflowError
from app.core.executor import Executor
from app.core.registry import Registry
from app.core.values import Value
from app.core.workflow import NodeModel
from app.ui.document import Document


class InputUnavailable(Exception):
    """The input could not be computed; the message says why, for the user."""


@dataclass
class EditorContext:
    parent: QWidget
    doc: Document
    registry: Registry
    executor: Executor
    out_dir: Callable[[], Path]  # where output nodes publish (follows the document's folder)

    def upstream(self, node_id: str, port: str) -> tuple[str, str] | None:
        link = next((lk for lk in self.doc.wf.links if lk.dst == (node_id, port)), None)
        return tuple(link.src) if link else None  # type: ignore[return-value]

    def downstream(self, node_id: str, type_id: str) -> list[tuple[NodeModel, str]]:
        """Nodes of ``type_id`` fed by ``node_id``, with the input port they take it on."""
        out = []
        for lk in self.doc.wf.links:
            if lk.src[0] == node_id:
                n = self.doc.wf.node(lk.dst[0])
                if n is not None and n.type == type_id:
                    out.append((n, lk.dst[1]))
        return out

    def params(self, node: NodeModel) -> Any:
        """The node's params with defaults filled in (the raw dict if they do not validate)."""
        nt = self.registry.get(node.type)
        try:
            return nt.params.model_validate(node.params) if nt else node.params
        except Exception:  # noqa: BLE001 - an editor still opens on a node with a bad param
            return nt.params.model_construct(**node.params) if nt else node.params

    def compute(self, node_id: str, port: str, label: str = "") -> Value:
        """The value on output ``port`` of ``node_id``, computed through the engine (a cached
        result comes back at once). Runs on a worker thread with a cancellable progress dialog."""
        token = CancelToken()
        box: dict[str, Any] = {}
        snapshot = self.doc.wf.clone()

        def work() -> None:
            try:
                box["result"] = self.executor.run(
                    snapshot,
                    base_dir=self.doc.base_dir,
                    out_dir=self.out_dir(),
                    targets=[node_id],
                    cancel=token,
                )
            except WorkflowError as e:
                box["error"] = str(e)
            except Exception as e:  # noqa: BLE001 - shown to the user, never a crash
                box["error"] = f"{type(e).__name__}: {e}"

        t = threading.Thread(target=work, daemon=True, name="reelgraph-editor-input")
        t.start()
        t.join(0.3)  # a cached input returns before any dialog is worth showing
        if t.is_alive():
            dlg = QProgressDialog(label or f"Computing {node_id}...", "Cancel", 0, 0, self.parent)
            dlg.setWindowModality(Qt.WindowModal)
            dlg.setMinimumDuration(0)
            dlg.canceled.connect(token.cancel)
            dlg.show()
            while t.is_alive():
                QCoreApplication.processEvents(QEventLoop.AllEvents, 50)
                t.join(0.02)
            dlg.close()
        if "error" in box:
            raise InputUnavailable(box["error"])
        result = box["result"]
        if result.status != "ok" or node_id not in result.outputs:
            why = result.errors.get(node_id) or next(iter(result.errors.values()), result.status)
            raise InputUnavailable(f"{node_id} could not be computed: {why}")
        value = result.outputs[node_id].get(port)
        if value is None:
            raise InputUnavailable(f"{node_id} has no output {port!r}")
        return value

    def show(self, editor: QWidget) -> None:
        """Open an editor window-modal without blocking the event loop; the window keeps it
        as ``open_editor`` (tests and screenshots reach it there)."""
        editor.setAttribute(Qt.WA_DeleteOnClose)
        self.parent.open_editor = editor  # type: ignore[attr-defined]
        editor.open()  # type: ignore[attr-defined]

    def input_value(self, node_id: str, port: str) -> Value | None:
        """The value arriving on ``node_id``'s input ``port`` (None when nothing is connected)."""
        src = self.upstream(node_id, port)
        return self.compute(*src) if src else None
