"""The Sequence view: the film's shots as a strip in order (each with its picture, length and
state), reordered by dragging, opened by double-click, rendered with progress per shot, and the
cut played in the viewer. The bible's style is edited here, for every shot at once."""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.cache import Cache
from app.core.context import CancelToken
from app.core.errors import WorkflowError
from app.core.executor import Executor
from app.core.fileio import load_workflow, save_workflow
from app.core.registry import Registry
from app.core.sequence import Sequence, apply_bible, load_sequence, save_sequence
from app.film.render import file_stem
from app.ui.session import state_dir

THUMB = QSize(192, 108)
STATES = {
    "not rendered": "#8a8a90",
    "rendered": "#5ac878",
    "changed since render": "#e6be5a",
    "failed": "#e64646",
    "rendering": "#f0b43c",
    "cancelled": "#c8823c",
}


def _records() -> Path:
    return state_dir() / "sequence_renders.json"


def _load_records() -> dict[str, Any]:
    try:
        data = json.loads(_records().read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


class SequencePanel(QWidget):
    open_shot = Signal(str)  # a shot's workflow file
    play_cut = Signal(str)  # the cut's MP4
    _shot_state = Signal(str, str, str)  # from the render thread: name, state, message
    _render_done = Signal(object)

    def __init__(self, registry: Registry, cache: Cache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.registry, self.cache = registry, cache
        self.path: Path | None = None
        self.seq: Sequence | None = None
        self.cut: Path | None = None
        self.states: dict[str, str] = {}
        self.cancel: CancelToken | None = None
        # asked before a render whose cloud shots cost more than the settings' threshold: the
        # window's paid-run confirmation (total, {shot: price}) -> go on?
        self.confirm_cost: Callable[[float, dict[str, float]], bool] = lambda total, costs: True
        self.title = QLabel(
            "No sequence open: File > Open a sequence (reelgraph/sequence), or "
            "`reelgraph sequence import SCRIPT.fountain -o FILM.json`."
        )
        self.title.setWordWrap(True)
        self.strip = QListWidget()
        self.strip.setObjectName("sequence_strip")
        # a list laid out left to right (icon mode's free placement does not reorder on a drop)
        self.strip.setViewMode(QListWidget.ListMode)
        self.strip.setFlow(QListWidget.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setIconSize(THUMB)
        self.strip.setSpacing(6)
        self.strip.setMinimumHeight(THUMB.height() + 40)  # a whole card beside its name and state
        self.strip.setDragDropMode(QAbstractItemView.InternalMove)
        self.strip.setDefaultDropAction(Qt.MoveAction)
        self.strip.model().rowsMoved.connect(self._reordered)
        self.strip.itemDoubleClicked.connect(self._open)
        self.strip.itemActivated.connect(self._open)  # Enter on the selected shot, too
        self.style_edit = QLineEdit()
        self.style_edit.setObjectName("bible_style")
        self.style_edit.setPlaceholderText(
            "the film's style, for every shot's prompt (e.g. '35mm film still, muted palette')"
        )
        self.style_edit.editingFinished.connect(self._style_changed)
        self.render_btn = QPushButton("Render sequence")
        self.render_btn.setObjectName("render_sequence")
        self.render_btn.clicked.connect(self.render)
        self.play_btn = QPushButton("Play the cut")
        self.play_btn.setObjectName("play_cut")
        self.play_btn.clicked.connect(lambda: self.cut and self.play_cut.emit(str(self.cut)))
        self.play_btn.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(200)
        self.progress.hide()
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.progress)
        top.addWidget(self.render_btn)
        top.addWidget(self.play_btn)
        bible = QHBoxLayout()
        bible.addWidget(QLabel("Bible: style"))
        bible.addWidget(self.style_edit, 1)
        col = QVBoxLayout(self)
        col.setContentsMargins(4, 4, 4, 4)
        col.addLayout(top)
        col.addWidget(self.strip, 1)
        col.addLayout(bible)
        self._shot_state.connect(self._set_state, Qt.QueuedConnection)
        self._render_done.connect(self._rendered, Qt.QueuedConnection)

    # -- showing -------------------------------------------------------------------------------
    def open(self, path: Path) -> None:
        if self.cancel is not None:
            raise WorkflowError(
                "a sequence is rendering: Stop it (or let it finish) before opening another"
            )
        self.seq = load_sequence(path)
        self.states = {}
        self.path = path.resolve()
        cut = self.path.parent / "renders" / f"{file_stem(self.path.stem)}_cut.mp4"
        self.cut = cut if cut.is_file() else None  # the last cut, playable at once
        self.play_btn.setEnabled(self.cut is not None)
        self.style_edit.setText(self.seq.bible.style)
        self.refresh()

    def refresh(self) -> None:
        assert self.seq is not None and self.path is not None
        total = 0.0
        self.strip.blockSignals(True)
        self.strip.clear()
        records = _load_records().get(str(self.path), {})
        ex = Executor(self.registry, self.cache)
        for shot in self.seq.shots:
            item = QListWidgetItem()
            item.setData(Qt.UserRole, shot.name)
            pic, seconds, state = self._look(ex, shot, records)
            total += seconds
            self.states.setdefault(shot.name, state)
            if self.states[shot.name] in ("not rendered", "rendered", "changed since render"):
                self.states[shot.name] = state
            item.setIcon(QIcon(pic))
            item.setToolTip(html.escape(shot.notes or shot.name).replace("\n", "<br>"))
            self.strip.addItem(item)
            self._label(item)
        self.strip.blockSignals(False)
        length = f", {total:.1f} s rendered" if total else ""
        self.title.setText(
            f"<b>{html.escape(self.seq.name)}</b> &nbsp; {len(self.seq.shots)} shots{length}"
            f" &nbsp; <span style='color:#999'>{html.escape(str(self.path))}</span>"
        )

    def _look(self, ex: Executor, shot, records: dict[str, Any]) -> tuple[QPixmap, float, str]:
        """The shot's picture (its rendered first frame, else its still), length and state."""
        from app.film.render import shot_video
        from app.media.video import probe, read_frame
        from app.ui.thumbs import to_qimage

        assert self.path is not None
        pic = QPixmap(THUMB)
        pic.fill(Qt.black)
        seconds, state = 0.0, "not rendered"
        try:
            wf, folder = shot.load(self.path.parent)
            wf = apply_bible(wf, self.seq.bible if self.seq else None, self.registry)  # type: ignore[arg-type]
            video = shot_video(wf, ex.peek(wf, folder), shot.output, self.registry, folder)
            if video is not None:
                meta = probe(video.path)
                seconds = meta.duration
                img = to_qimage(read_frame(video.path, 0))
                pic = QPixmap.fromImage(
                    img.scaled(THUMB, Qt.KeepAspectRatio, Qt.SmoothTransformation)
                )
                state = "rendered"
            elif shot.name in records:
                state = "changed since render"
            if video is None:
                still = next((n for n in wf.nodes if n.type == "reference_image"), None)
                path = Path(str(still.params.get("path", ""))) if still else None
                if path is not None and not path.is_absolute():
                    path = folder / path
                if path is not None and path.is_file():
                    pic = QPixmap.fromImage(QImage(str(path)).scaled(THUMB, Qt.KeepAspectRatio))
        except (WorkflowError, Exception):  # noqa: BLE001 - a shot that cannot be read says so
            state = "failed"
        return pic, seconds, state

    def _label(self, item: QListWidgetItem) -> None:
        name = item.data(Qt.UserRole)
        state = self.states.get(name, "not rendered")
        item.setText(f"{name}\n{state}")
        item.setForeground(QColor(STATES.get(state, "#ddd")))

    def items(self) -> list[QListWidgetItem]:
        return [self.strip.item(i) for i in range(self.strip.count())]

    # -- editing ---------------------------------------------------------------------------------
    def _reordered(self, *_: Any) -> None:
        if self.seq is None or self.path is None:
            return
        order = [it.data(Qt.UserRole) for it in self.items()]
        by_name = {s.name: s for s in self.seq.shots}
        self.seq.shots = [by_name[n] for n in order if n in by_name]
        self._save()

    def _style_changed(self) -> None:
        """The film's style, into the bible and into every shot that took the old one (or none),
        so a shot opened from here is the film's version of it."""
        if self.seq is None or self.path is None or self.style_edit.text() == self.seq.bible.style:
            return
        old, new = self.seq.bible.style, self.style_edit.text()
        self.seq.bible.style = new
        if not self._save():
            return
        for shot in self.seq.shots:
            if not isinstance(shot.workflow, str):
                continue
            wf_path = self.path.parent / shot.workflow
            try:
                wf = load_workflow(wf_path)
            except WorkflowError:
                continue
            changed = False
            for n in wf.nodes:
                nt = self.registry.get(n.type)
                takes_style = nt is not None and "style" in nt.params.model_fields
                if takes_style and n.params.get("style", "") in ("", old):
                    n.params["style"] = new
                    changed = True
            if changed:
                try:
                    save_workflow(wf, wf_path)
                except OSError as e:
                    self.title.setText(
                        f"<span style='color:#f08080'>Cannot save {html.escape(str(wf_path))}: "
                        f"{html.escape(e.strerror or str(e))}</span>"
                    )
        self.refresh()

    def _save(self) -> bool:
        assert self.seq is not None and self.path is not None
        try:
            save_sequence(self.seq, self.path)
            return True
        except OSError as e:  # said where it is seen; the change stays on screen to retry
            self.title.setText(
                f"<span style='color:#f08080'>Cannot save {html.escape(str(self.path))}: "
                f"{html.escape(e.strerror or str(e))}</span>"
            )
            return False

    def _open(self, item: QListWidgetItem) -> None:
        if self.seq is None or self.path is None or getattr(self, "_opening", False):
            return
        self._opening = True  # a double-click also activates: open once
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, lambda: setattr(self, "_opening", False))
        shot = next(s for s in self.seq.shots if s.name == item.data(Qt.UserRole))
        if isinstance(shot.workflow, str):
            self.open_shot.emit(str(self.path.parent / shot.workflow))

    # -- rendering -------------------------------------------------------------------------------
    def render(self, on_done: Callable[[Any], None] | None = None) -> None:
        if self.seq is None or self.path is None or self.cancel is not None:
            return
        from app.film.render import render_film
        from app.providers.settings import load_settings

        seq, path = self.seq, self.path
        costs = self._estimate()
        total = sum(costs.values())
        if total > float(load_settings().get("confirm_above", 5.0)) and not self.confirm_cost(
            total, costs
        ):
            return
        out = path.parent / "renders"
        self.cancel = CancelToken()
        self.render_btn.setText("Stop")
        self.render_btn.clicked.disconnect()
        self.render_btn.clicked.connect(self.stop)
        self.progress.setRange(0, len(seq.shots))
        self.progress.setValue(0)
        self.progress.show()
        token = self.cancel

        def work() -> None:
            try:
                film = render_film(
                    seq,
                    path,
                    self.registry,
                    self.cache,
                    out,
                    progress=lambda n, st, m: self._shot_state.emit(n, st, m),
                    cancel=token,
                )
            except Exception as e:  # noqa: BLE001 - shown on the strip, never raised into Qt
                film = e
            self._render_done.emit(film)

        threading.Thread(target=work, name="reelgraph-sequence", daemon=True).start()

    def _estimate(self) -> dict[str, float]:
        """Each shot's price before it runs (cached work is free)."""
        assert self.seq is not None and self.path is not None
        ex = Executor(self.registry, self.cache)
        out: dict[str, float] = {}
        for shot in self.seq.shots:
            try:
                wf, folder = shot.load(self.path.parent)
                costs = ex.estimate(
                    apply_bible(wf, self.seq.bible, self.registry),
                    base_dir=folder,
                    targets=[shot.output],
                )
            except WorkflowError:
                continue  # the render says why it cannot run
            out[shot.name] = sum(costs.values())
        return out

    def stop(self) -> None:
        if self.cancel is not None:
            self.cancel.cancel()

    def _set_state(self, name: str, state: str, message: str) -> None:
        shown = {"running": "rendering", "ok": "rendered", "cutting": "rendered"}.get(state, state)
        self.states[name] = shown
        for it in self.items():
            if it.data(Qt.UserRole) == name:
                self._label(it)
                if message:
                    it.setToolTip(message)
        self.progress.setValue(
            sum(s in ("rendered", "failed", "cancelled") for s in self.states.values())
        )

    def _rendered(self, film: Any) -> None:
        self.cancel = None
        self.progress.hide()
        self.render_btn.setText("Render sequence")
        self.render_btn.clicked.disconnect()
        self.render_btn.clicked.connect(self.render)
        if isinstance(film, Exception):
            reason = html.escape(str(film))
            self.title.setText(f"<span style='color:#f08080'>The render stopped: {reason}</span>")
            return
        failed = [s for s in film.shots if s.status not in ("ok", "cancelled")]
        self.failures = {s.name: s.error for s in failed}  # kept on the shots' tooltips
        self.cut = film.cut
        self.play_btn.setEnabled(film.cut is not None)
        records = _load_records()
        if self.path is not None:
            records[str(self.path)] = {s.name: str(s.video) for s in film.shots if s.status == "ok"}
            try:
                _records().parent.mkdir(parents=True, exist_ok=True)
                _records().write_text(json.dumps(records))
            except OSError:
                pass
        for s in film.shots:
            self.states[s.name] = {"ok": "rendered"}.get(s.status, s.status)
        self.refresh()
        for it in self.items():
            reason = self.failures.get(it.data(Qt.UserRole))
            if reason:
                it.setToolTip(f"failed: {reason}")
        if failed:
            names = html.escape(", ".join(s.name for s in failed))
            self.title.setText(
                f"<span style='color:#f08080'>{len(failed)} shot(s) failed ({names}): no cut was "
                "written (hover a shot for why)</span>"
            )
        self.last_render = film
