"""The camera path editor: each axis as a curve over the shot with draggable keyframes, easing
per segment, presets; the reference frame with the camera's framing at the playhead, a scrub
bar, play, and a live low-resolution render of the move."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QKeySequence,
    QPen,
    QPixmap,
    QPolygonF,
    QShortcut,
    QUndoCommand,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QGraphicsPixmapItem,
    QGraphicsPolygonItem,
    QGraphicsScene,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core import edits
from app.media.camera import ASPECTS, AXES, PRESETS, CameraPath, Framing, Keyframe, preset_keyframes
from app.media.images import load_image
from app.media.render import camera_renderer
from app.ui.editors.context import EditorContext, InputUnavailable
from app.ui.editors.view import ZoomView
from app.ui.thumbs import to_qimage

EASES = ["linear", "ease_in", "ease_out", "ease_in_out", "hold"]
UNITS = {
    "pan": "°",
    "tilt": "°",
    "roll": "°",
    "zoom": "x",
    "truck": "fr",
    "pedestal": "fr",
    "dolly": "fr",
}
PREVIEW_SIZE = 384


def _limits(axis: str) -> tuple[float, float]:
    lo, hi = -1e9, 1e9
    for m in Keyframe.model_fields[axis].metadata:
        for name in ("ge", "gt"):
            if hasattr(m, name):
                lo = float(getattr(m, name)) + (1e-3 if name == "gt" else 0)
        for name in ("le", "lt"):
            if hasattr(m, name):
                hi = float(getattr(m, name)) - (1e-3 if name == "lt" else 0)
    return lo, hi


class _Swap(QUndoCommand):
    """An edit made in the editor (keyframes, framing), undoable there: ``apply`` puts a state back."""

    def __init__(self, apply, before: Any, after: Any, text: str) -> None:
        super().__init__(text)
        self.apply, self.before, self.after = apply, before, after
        self.first = True

    def redo(self) -> None:
        if self.first:  # pushed after the edit was made
            self.first = False
            return
        self.apply(self.after)

    def undo(self) -> None:
        self.apply(self.before)


class CameraEditor(QDialog):
    def __init__(
        self,
        ctx: EditorContext,
        node_id: str,
        params: Any,
        frame: np.ndarray | None,
        out_size: tuple[int, int],
        duration: float,
        fps: float,
        generator: str | None = None,
        framing: Framing | None = None,
    ) -> None:
        super().__init__(ctx.parent)
        self.ctx, self.node_id = ctx, node_id
        # the shot this camera films: its start framing and frame size are edited here too
        self.generator = generator
        self.framing_value = framing or Framing()
        self.original_framing = (self.framing_value, tuple(out_size))
        self.setWindowTitle(f"Camera path - {node_id}")
        self.resize(1400, 860)
        self.fov = float(getattr(params, "fov_deg", 50.0))
        preset = getattr(params, "preset", "custom")
        kfs = params.keyframes if preset == "custom" else preset_keyframes(preset, params.intensity)
        self.keys: list[dict] = [k.model_dump(mode="json") for k in kfs]
        self._opened_preset, self._opened_intensity = (
            preset,
            float(getattr(params, "intensity", 1.0)),
        )
        self.original = {"preset": preset, "keys": [dict(k) for k in self.keys]}
        self.out_size, self.duration, self.fps = out_size, duration, fps
        self.has_frame = frame is not None
        self.frame = frame if frame is not None else _grid_frame(out_size)
        self.undo = QUndoStack(self)
        self.t = 0.0
        self.selected = 0
        self._drag_before: list[dict] | None = None
        self._syncing = False
        h, w = self.frame.shape[:2]
        scale = min(1.0, PREVIEW_SIZE * 2 / max(w, h))
        self.small = (
            cv2.resize(
                self.frame,
                (max(2, round(w * scale)), max(2, round(h * scale))),
                interpolation=cv2.INTER_AREA,
            )
            if scale < 1
            else self.frame
        )
        self._build_ui()
        self.set_keys(self.keys)
        self.set_framing(self.framing_value)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)

    # -- model ---------------------------------------------------------------------------------------------
    def path(self) -> CameraPath:
        return CameraPath(
            keyframes=[Keyframe(**k) for k in self.keys],
            fov_deg=self.fov,
            framing=self.framing_value,
        )

    # -- framing -------------------------------------------------------------------------------------------
    def set_framing(
        self, framing: Framing | None = None, out_size: tuple[int, int] | None = None
    ) -> None:
        """A new start framing or frame shape: the whole path moves with it."""
        if framing is not None:
            self.framing_value = framing
        if out_size is not None:
            self.out_size = out_size
        self._syncing = True
        self.fit_box.setCurrentText(self.framing_value.fit)
        self.scale_box.setValue(self.framing_value.scale)
        W, H = self.out_size
        self.aspect_label.setText(f"{W}x{H}")
        self._syncing = False
        self.set_playhead(self.t)

    def frame_edit(
        self,
        framing: Framing,
        out_size: tuple[int, int] | None = None,
        text: str = "framing",
        before: tuple | None = None,
    ) -> None:
        before = before or (self.framing_value, tuple(self.out_size))
        self.set_framing(framing, out_size)
        after = (self.framing_value, tuple(self.out_size))
        if after != before:
            self.undo.push(_Swap(lambda state: self.set_framing(*state), before, after, text))

    def set_aspect(self, name: str) -> None:
        """An aspect preset: the frame's long side kept, the other from the ratio (even pixels)."""
        ratio = ASPECTS[name]
        long_side = max(self.out_size)
        if ratio >= 1:
            size = (long_side, max(16, round(long_side / ratio / 2) * 2))
        else:
            size = (max(16, round(long_side * ratio / 2) * 2), long_side)
        self.frame_edit(self.framing_value, size, f"frame {name}")

    def drag_framing(self, dx: float, dy: float) -> None:
        """The framing rectangle dragged by (dx, dy) pixels of the still."""
        h, w = self.frame.shape[:2]
        f = self.framing_value
        cx, cy = f.centre(self.out_size, (w, h))
        moved = f.model_copy(
            update={
                "x": min(1.0, max(0.0, (cx + dx) / max(1, w - 1))),
                "y": min(1.0, max(0.0, (cy + dy) / max(1, h - 1))),
            }
        )
        # kept where the frame really is (a fill stays on the still, so dragging back answers at
        # once); an axis with no room to move keeps its value for other frame shapes
        mx, my = moved.centre(self.out_size, (w, h))
        x = round(mx / max(1, w - 1), 4) if abs(dx) > 0 and (w - 1) else f.x
        y = round(my / max(1, h - 1), 4) if abs(dy) > 0 and (h - 1) else f.y
        self.set_framing(
            f.model_copy(update={"x": min(1.0, max(0.0, x)), "y": min(1.0, max(0.0, y))})
        )

    def set_keys(self, keys: list[dict]) -> None:
        self.keys = sorted((dict(k) for k in keys), key=lambda k: k["t"])
        self.selected = min(self.selected, len(self.keys) - 1)
        self._redraw_curves()
        self._fill_list()
        self.set_playhead(self.t)

    def _push(self, before: list[dict], text: str) -> None:
        if before != self.keys:
            self.undo.push(_Swap(self.set_keys, before, [dict(k) for k in self.keys], text))

    def add_key(self) -> None:
        before = [dict(k) for k in self.keys]
        v = self.path().sample(self.t)
        idx = next((i for i, k in enumerate(self.keys) if k["t"] > self.t), len(self.keys))
        ease = self.keys[max(0, idx - 1)]["ease"] if self.keys else "ease_in_out"
        if any(abs(k["t"] - self.t) < 1e-3 for k in self.keys):
            return
        self.keys.insert(
            idx, {"t": round(self.t, 4), **{a: round(v[a], 4) for a in AXES}, "ease": ease}
        )
        self.selected = idx
        self.set_keys(self.keys)
        self._push(before, "add keyframe")

    def delete_key(self) -> None:
        if len(self.keys) <= 1:
            return
        before = [dict(k) for k in self.keys]
        del self.keys[self.selected]
        self.set_keys(self.keys)
        self._push(before, "delete keyframe")

    def set_ease(self, ease: str) -> None:
        if self._syncing or not self.keys or self.keys[self.selected]["ease"] == ease:
            return
        before = [dict(k) for k in self.keys]
        self.keys[self.selected]["ease"] = ease
        self.set_keys(self.keys)
        self._push(before, "easing")

    def use_preset(self, preset: str | None = None, intensity: float | None = None) -> None:
        preset = preset or self.preset_box.currentText()
        intensity = self.intensity.value() if intensity is None else intensity
        before = [dict(k) for k in self.keys]
        self.selected = 0
        self.set_keys([k.model_dump(mode="json") for k in preset_keyframes(preset, intensity)])
        self._push(before, f"preset {preset}")

    def move_key(self, index: int, axis: str, t_seconds: float, value: float) -> None:
        """A keyframe dragged on an axis curve: its time (all axes) and this axis' value."""
        lo = self.keys[index - 1]["t"] + 1e-3 if index > 0 else 0.0
        hi = self.keys[index + 1]["t"] - 1e-3 if index < len(self.keys) - 1 else 1.0
        if index == 0 and len(self.keys) > 1:
            lo = 0.0
        t = min(hi, max(lo, t_seconds / max(1e-6, self.duration)))
        vlo, vhi = _limits(axis)
        self.keys[index]["t"] = round(t, 4)
        self.keys[index][axis] = round(min(vhi, max(vlo, value)), 4)
        self.selected = index
        self._redraw_curves(skip_targets=True)
        self._fill_list()
        self.set_playhead(self.t)

    # -- ui ----------------------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        pg.setConfigOptions(antialias=True)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground((24, 24, 27))
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.targets: dict[str, list[pg.TargetItem]] = {a: [] for a in AXES}
        self.playheads: list[pg.InfiniteLine] = []
        self.plot_items: dict[str, pg.PlotItem] = {}
        first = None
        for row, axis in enumerate(AXES):
            p = self.plots.addPlot(row=row, col=0)
            p.setMenuEnabled(False)
            p.setMouseEnabled(x=False, y=False)
            p.hideButtons()
            p.setLabel("left", f"{axis} ({UNITS[axis]})")
            p.getAxis("left").enableAutoSIPrefix(False)
            p.getAxis("left").setWidth(54)
            p.showGrid(x=True, y=True, alpha=0.15)
            if first is None:
                first = p
            else:
                p.setXLink(first)
            if row < len(AXES) - 1:
                p.getAxis("bottom").setStyle(showValues=False)
            else:
                p.setLabel("bottom", "time (s)")
            p.setXRange(0, self.duration, padding=0.04)
            self.curves[axis] = p.plot(pen=pg.mkPen((230, 180, 70), width=2))
            line = pg.InfiniteLine(0, movable=True, pen=pg.mkPen((240, 240, 240, 160), width=1))
            line.sigPositionChanged.connect(self._playhead_dragged)
            p.addItem(line)
            self.playheads.append(line)
            self.plot_items[axis] = p
        # right side: framing on the reference frame, live render, scrub and play
        self.scene = QGraphicsScene(self)
        h, w = self.frame.shape[:2]
        self.scene.setSceneRect(0, 0, w, h)
        self.scene.addItem(QGraphicsPixmapItem(QPixmap.fromImage(to_qimage(self.frame))))
        self.framing = QGraphicsPolygonItem()
        pen = QPen(QColor(255, 200, 60), 2.5)
        pen.setCosmetic(True)
        self.framing.setPen(pen)
        self.scene.addItem(self.framing)
        self.ref_view = ZoomView(self.scene)
        self.ref_view.viewport().installEventFilter(self)
        self._drag_from: QPointF | None = None
        self.fit_box = QComboBox()
        self.fit_box.addItems(["fill", "fit"])
        self.fit_box.setToolTip(
            "fill: the still covers the frame (cropped); fit: the whole still, with black bars"
        )
        self.fit_box.currentTextChanged.connect(
            lambda v: (
                None
                if self._syncing
                else self.frame_edit(
                    self.framing_value.model_copy(update={"fit": v}), text=f"framing {v}"
                )
            )
        )
        self.scale_box = QDoubleSpinBox()
        self.scale_box.setRange(0.25, 8.0)
        self.scale_box.setSingleStep(0.05)
        self.scale_box.setPrefix("scale ")
        self.scale_box.setToolTip(
            "how close the start framing is: 1 just fills (or fits) the frame"
        )
        self.scale_box.valueChanged.connect(
            lambda v: (
                None
                if self._syncing
                else self.frame_edit(
                    self.framing_value.model_copy(update={"scale": v}), text="framing scale"
                )
            )
        )
        self.aspect_label = QLabel()
        self.aspect_buttons: dict[str, QPushButton] = {}
        for name in ASPECTS:
            b = QPushButton(name)
            b.setObjectName(f"aspect_{name}")
            b.setToolTip(f"frame the shot {name} (sets the generator's width and height)")
            b.clicked.connect(lambda *_, n=name: self.set_aspect(n))
            self.aspect_buttons[name] = b
        centre_b = QPushButton("Centre")
        centre_b.clicked.connect(
            lambda: self.frame_edit(
                self.framing_value.model_copy(update={"x": 0.5, "y": 0.5}),
                text="centre the framing",
            )
        )
        self.centre_button = centre_b
        self.live = QLabel()
        self.live.setAlignment(Qt.AlignCenter)
        self.live.setMinimumHeight(200)
        self.live.setStyleSheet("background: #101012;")
        self.scrub = QSlider(Qt.Horizontal)
        self.scrub.setRange(0, 1000)
        self.scrub.valueChanged.connect(lambda v: self.set_playhead(v / 1000))
        self.play_btn = QPushButton("Play")
        self.play_btn.clicked.connect(self.toggle_play)
        self.time_label = QLabel()
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._select)
        self.ease_box = QComboBox()
        self.ease_box.addItems(EASES)
        self.ease_box.currentTextChanged.connect(self.set_ease)
        add_b, del_b = QPushButton("Add keyframe at playhead"), QPushButton("Delete keyframe")
        add_b.clicked.connect(self.add_key)
        del_b.clicked.connect(self.delete_key)
        self.preset_box = QComboBox()
        self.preset_box.addItems(list(PRESETS))
        self.intensity = QDoubleSpinBox()
        self.intensity.setRange(0.0, 3.0)
        self.intensity.setSingleStep(0.1)
        self.intensity.setValue(1.0)
        preset_b = QPushButton("Use preset")
        preset_b.clicked.connect(lambda: self.use_preset())
        self.dur = QDoubleSpinBox()
        self.dur.setRange(0.5, 60)
        self.dur.setValue(self.duration)
        self.dur.setSuffix(" s")
        self.dur.valueChanged.connect(self._set_duration)
        self.fps_box = QDoubleSpinBox()
        self.fps_box.setRange(1, 120)
        self.fps_box.setValue(self.fps)
        self.fps_box.setSuffix(" fps")
        self.fps_box.valueChanged.connect(lambda v: setattr(self, "fps", v))
        undo_b, redo_b = QPushButton("Undo"), QPushButton("Redo")
        undo_b.clicked.connect(self.undo.undo)
        redo_b.clicked.connect(self.undo.redo)
        QShortcut(QKeySequence.Undo, self, activated=self.undo.undo)
        QShortcut(QKeySequence("Ctrl+Shift+Z"), self, activated=self.undo.redo)

        side = QVBoxLayout()
        note = (
            ""
            if self.has_frame
            else " (no start frame connected to the generator: a grid stands in)"
        )
        how = (
            "drag the frame to move it"
            if self.generator
            else "connect this camera to a generator to frame the shot"
        )
        side.addWidget(QLabel(f"Framing at the playhead: {how}{note}"))
        side.addWidget(self.ref_view, 3)
        row = QHBoxLayout()
        row.addWidget(QLabel("Frame"))
        for b in self.aspect_buttons.values():
            b.setEnabled(self.generator is not None)
            row.addWidget(b)
        row.addWidget(self.aspect_label)
        row.addStretch(1)
        side.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(self.fit_box)
        row.addWidget(self.scale_box)
        row.addWidget(self.centre_button)
        row.addStretch(1)
        for w_ in (self.fit_box, self.scale_box, self.centre_button):
            w_.setEnabled(self.generator is not None)
        side.addLayout(row)
        side.addWidget(QLabel("Live preview (low resolution)"))
        side.addWidget(self.live, 2)
        row = QHBoxLayout()
        row.addWidget(self.play_btn)
        row.addWidget(self.scrub, 1)
        row.addWidget(self.time_label)
        side.addLayout(row)
        side_w = QWidget()
        side_w.setLayout(side)

        keys = QVBoxLayout()
        keys.addWidget(QLabel("Keyframes"))
        keys.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("Easing of the segment from the selected keyframe"))
        row.addWidget(self.ease_box)
        keys.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(add_b)
        row.addWidget(del_b)
        keys.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(QLabel("Preset"))
        row.addWidget(self.preset_box, 1)
        row.addWidget(QLabel("intensity"))
        row.addWidget(self.intensity)
        row.addWidget(preset_b)
        keys.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(QLabel("Shot (for the preview)"))
        row.addWidget(self.dur)
        row.addWidget(self.fps_box)
        row.addWidget(undo_b)
        row.addWidget(redo_b)
        keys.addLayout(row)
        keys_w = QWidget()
        keys_w.setLayout(keys)

        left = QSplitter(Qt.Vertical)
        left.addWidget(self.plots)
        left.addWidget(keys_w)
        left.setStretchFactor(0, 4)
        left.setStretchFactor(1, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(side_w)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        buttons = QDialogButtonBox(QDialogButtonBox.Apply | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Apply).clicked.connect(self.apply)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        QTimer.singleShot(0, self.ref_view.fit)
        # what the node says, shown as it is: a preset node opens on its preset
        preset = getattr(self, "_opened_preset", "custom")
        if preset in PRESETS:
            self.preset_box.setCurrentText(preset)
        self.intensity.setValue(float(getattr(self, "_opened_intensity", 1.0)))

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        """Dragging inside the framing rectangle moves the start framing (and the path with it)."""
        from PySide6.QtCore import QEvent

        if self.generator is None or obj is not self.ref_view.viewport():
            return False
        kind = event.type()
        if kind == QEvent.MouseButtonPress and event.button() == Qt.LeftButton:
            pos = self.ref_view.mapToScene(event.position().toPoint())
            if self.framing.polygon().containsPoint(pos, Qt.OddEvenFill):
                self._drag_from = pos
                self._framing_before = (self.framing_value, tuple(self.out_size))
                self.ref_view.viewport().setCursor(Qt.ClosedHandCursor)
                return True
        elif kind == QEvent.MouseMove and self._drag_from is not None:
            pos = self.ref_view.mapToScene(event.position().toPoint())
            delta = pos - self._drag_from
            self._drag_from = pos
            self.drag_framing(delta.x(), delta.y())
            return True
        elif kind == QEvent.MouseButtonRelease and self._drag_from is not None:
            self._drag_from = None
            self.ref_view.viewport().unsetCursor()
            self.frame_edit(
                self.framing_value, text="move the framing", before=self._framing_before
            )
            return True
        return False

    def _redraw_curves(self, skip_targets: bool = False) -> None:
        path = self.path()
        ts = np.linspace(0, 1, 241)
        samples = [path.sample(float(t)) for t in ts]
        for axis in AXES:
            self.curves[axis].setData(ts * self.duration, [s[axis] for s in samples])
            if skip_targets:
                for i, tgt in enumerate(self.targets[axis]):
                    if i != self.selected or tgt is not self._dragging:
                        tgt.blockSignals(True)
                        tgt.setPos(self.keys[i]["t"] * self.duration, self.keys[i][axis])
                        tgt.blockSignals(False)
                continue
            plot = self.plot_items[axis]
            for tgt in self.targets[axis]:
                plot.removeItem(tgt)
            self.targets[axis] = []
            for i, k in enumerate(self.keys):
                tgt = pg.TargetItem(
                    pos=(k["t"] * self.duration, k[axis]),
                    size=11,
                    movable=True,
                    symbol="o",
                    pen=pg.mkPen((20, 20, 20)),
                    brush=pg.mkBrush(250, 210, 90),
                )
                tgt.sigPositionChanged.connect(
                    lambda item, i=i, axis=axis: self._target_moved(i, axis, item)
                )
                tgt.sigPositionChangeFinished.connect(self._target_done)
                plot.addItem(tgt)
                self.targets[axis].append(tgt)
            lo = min(s[axis] for s in samples)
            hi = max(s[axis] for s in samples)
            pad = max(
                0.05 if axis in ("truck", "pedestal", "dolly", "zoom") else 2.0, (hi - lo) * 0.25
            )
            plot.setYRange(lo - pad, hi + pad, padding=0)

    _dragging: pg.TargetItem | None = None

    def _target_moved(self, index: int, axis: str, item: pg.TargetItem) -> None:
        if self._drag_before is None:
            self._drag_before = [dict(k) for k in self.keys]
        self._dragging = item
        pos = item.pos()
        self.move_key(index, axis, pos.x(), pos.y())

    def _target_done(self, *_: Any) -> None:
        self._dragging = None
        if self._drag_before is not None:
            before, self._drag_before = self._drag_before, None
            self._redraw_curves()
            self._push(before, "move keyframe")

    def _fill_list(self) -> None:
        self._syncing = True
        self.list.clear()
        for k in self.keys:
            moved = ", ".join(
                f"{a} {k[a]:g}" for a in AXES if k[a] != Keyframe.model_fields[a].default
            )
            self.list.addItem(
                f"{k['t'] * self.duration:5.2f} s   {k['ease']:<11}  {moved or 'neutral'}"
            )
        self.list.setCurrentRow(self.selected)
        if self.keys:
            self.ease_box.setCurrentText(self.keys[self.selected]["ease"])
        self._syncing = False

    def _select(self, row: int) -> None:
        if not self._syncing and 0 <= row < len(self.keys):
            self.selected = row
            self._syncing = True
            self.ease_box.setCurrentText(self.keys[row]["ease"])
            self._syncing = False

    def _set_duration(self, seconds: float) -> None:
        self.duration = seconds
        for p in self.plot_items.values():
            p.setXRange(0, seconds, padding=0.04)
        self._redraw_curves()
        self.set_playhead(self.t)

    # -- playhead --------------------------------------------------------------------------------------------------
    def _playhead_dragged(self, line: pg.InfiniteLine) -> None:
        if not self._syncing:
            self.set_playhead(line.value() / max(1e-6, self.duration))

    def set_playhead(self, t: float) -> None:
        self.t = min(1.0, max(0.0, t))
        self._syncing = True
        for line in self.playheads:
            line.setValue(self.t * self.duration)
        self.scrub.setValue(round(self.t * 1000))
        self._syncing = False
        count = max(2, round(self.duration * self.fps))
        frame_no = round(self.t * (count - 1))
        self.time_label.setText(f"{self.t * self.duration:5.2f} s  frame {frame_no + 1}/{count}")
        path = self.path()
        h, w = self.frame.shape[:2]
        overscan = path.overscan(self.out_size, (w, h)) or 1.0
        M = path.homography(self.t, self.out_size, (w, h), overscan)
        W, H = self.out_size
        corners = np.array([[0, 0, 1], [W - 1, 0, 1], [W - 1, H - 1, 1], [0, H - 1, 1]], float).T
        p = M @ corners
        self.framing.setPolygon(QPolygonF([QPointF(x / z, y / z) for x, y, z in p.T]))
        self.render_live(frame_no, count)

    def render_live(self, frame_no: int, count: int) -> np.ndarray:
        W, H = self.out_size
        s = PREVIEW_SIZE / max(W, H)
        size = (max(2, round(W * s) // 2 * 2), max(2, round(H * s) // 2 * 2))
        frame = camera_renderer(self.small, self.path(), size, count)(frame_no)
        self.live.setPixmap(QPixmap.fromImage(to_qimage(frame)))
        self.last_live = frame
        return frame

    def toggle_play(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
            self.play_btn.setText("Play")
        else:
            self.timer.start(max(10, round(1000 / self.fps)))
            self.play_btn.setText("Pause")

    def _tick(self) -> None:
        count = max(2, round(self.duration * self.fps))
        step = 1 / (count - 1)
        self.set_playhead(0.0 if self.t >= 1.0 - 1e-9 else self.t + step)

    # -- finishing ---------------------------------------------------------------------------------------------------
    def apply(self) -> bool:
        node = self.ctx.doc.wf.node(self.node_id)
        if node is None:
            self.reject()
            return False
        ops = []
        if self.keys != self.original["keys"]:  # else a preset stays a preset
            try:
                keys = [Keyframe(**k).model_dump(mode="json") for k in self.keys]
            except ValueError as e:
                QMessageBox.warning(self, "Camera path", f"A keyframe is out of range: {e}")
                return False
            ops.append(
                edits.set_params(self.node_id, dict(node.params, preset="custom", keyframes=keys))
            )
        gen = self.ctx.doc.wf.node(self.generator) if self.generator else None
        if gen is not None and (self.framing_value, tuple(self.out_size)) != self.original_framing:
            f = self.framing_value
            ops.append(
                edits.set_params(
                    gen.id,
                    dict(
                        gen.params,
                        fit=f.fit,
                        frame_x=f.x,
                        frame_y=f.y,
                        frame_scale=f.scale,
                        width=self.out_size[0],
                        height=self.out_size[1],
                    ),
                )
            )
        if ops:
            what = (
                "camera path and framing"
                if len(ops) == 2
                else ("framing" if ops[0].node_id != self.node_id else "camera path")
            )
            self.ctx.doc.push(ops, f"edit {what}")
        self.accept()
        return True


def _grid_frame(size: tuple[int, int]) -> np.ndarray:
    W, H = size
    img = np.full((H, W, 3), 46, np.uint8)
    step = max(8, W // 16)
    for x in range(0, W, step):
        cv2.line(img, (x, 0), (x, H - 1), (80, 80, 80), 1)
    for y in range(0, H, step):
        cv2.line(img, (0, y), (W - 1, y), (80, 80, 80), 1)
    cv2.circle(img, (W // 2, H // 2), min(W, H) // 6, (120, 120, 160), 2)
    return img


def open_camera_editor(ctx: EditorContext, node_id: str, field_name: str, value: Any) -> None:
    node = ctx.doc.wf.node(node_id)
    if node is None:
        return None
    params = ctx.params(node)
    frame, size, duration, fps = None, (1280, 720), 5.0, 24.0
    generator, framing = None, None
    for gen, _ in ctx.downstream(node_id, "generator"):
        gp = ctx.params(gen)
        generator = gen.id
        framing = gp.framing() if hasattr(gp, "framing") else None
        size = (int(getattr(gp, "width", 1280)), int(getattr(gp, "height", 720)))
        duration, fps = float(getattr(gp, "duration", 5.0)), float(getattr(gp, "fps", 24.0))
        try:
            image = ctx.input_value(gen.id, "image")
            frame = load_image(image.path) if image is not None else None
        except InputUnavailable as e:
            QMessageBox.information(
                ctx.parent,
                "Camera path",
                f"The start frame could not be made ({e}); a grid stands in for it.",
            )
        break
    ed = CameraEditor(ctx, node_id, params, frame, size, duration, fps, generator, framing)
    ctx.show(ed)
    return None
