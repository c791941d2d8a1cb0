"""The lip-sync helper: the audio's waveform with the mouth-open envelope over it, and the mouth
box on the video's first frame, detected or set by dragging and resizing it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from app.core import edits
from app.media.lipsync import detect_mouth, envelope
from app.media.video import probe, read_audio, read_frame
from app.ui.editors.context import EditorContext, InputUnavailable

RATE = 16000


class LipSyncEditor(QDialog):
    def __init__(
        self,
        ctx: EditorContext,
        node_id: str,
        frame: np.ndarray,
        fps: float,
        samples: np.ndarray | None,
        box: tuple[int, int, int, int] | None,
    ) -> None:
        super().__init__(ctx.parent)
        self.ctx, self.node_id, self.frame = ctx, node_id, frame
        self.setWindowTitle(f"Lip-sync - {node_id}")
        self.resize(1200, 800)
        h, w = frame.shape[:2]
        self.auto = box is None
        self.detected = detect_mouth(frame)
        box = box or self.detected
        pg.setConfigOptions(antialias=True)
        self.image_plot = pg.PlotWidget()
        self.image_plot.setAspectLocked(True)
        self.image_plot.invertY(True)
        self.image_plot.hideAxis("left")
        self.image_plot.hideAxis("bottom")
        self.image_plot.setMenuEnabled(False)
        img = pg.ImageItem(frame[:, :, ::-1].copy(), axisOrder="row-major")
        self.image_plot.addItem(img)
        self.roi = pg.RectROI(
            (box[0], box[1]),
            (box[2], box[3]),
            pen=pg.mkPen((255, 200, 60), width=2),
            maxBounds=pg.QtCore.QRectF(0, 0, w, h),
            removable=False,
        )
        self.roi.addScaleHandle((0, 0), (1, 1))
        self.roi.sigRegionChanged.connect(self._moved)
        self.image_plot.addItem(self.roi)
        self.wave = pg.PlotWidget()
        self.wave.setLabel("bottom", "time (s)")
        self.wave.setMenuEnabled(False)
        self.wave.showGrid(x=True, alpha=0.15)
        self.samples = samples
        if samples is not None and len(samples):
            step = max(1, len(samples) // 4000)
            env_src = np.abs(samples[: len(samples) // step * step].reshape(-1, step)).max(axis=1)
            t = np.arange(len(env_src)) * step / RATE
            self.wave.plot(
                t, env_src, pen=pg.mkPen((90, 150, 220)), fillLevel=0, brush=(90, 150, 220, 60)
            )
            self.wave.plot(
                t, -env_src, pen=pg.mkPen((90, 150, 220)), fillLevel=0, brush=(90, 150, 220, 60)
            )
            frames = max(1, int(np.ceil(len(samples) / RATE * fps)))
            self.env = envelope(samples, fps, frames)
            peak = float(np.abs(samples).max()) or 1.0
            self.wave.plot(
                np.arange(frames) / fps,
                self.env * peak,
                pen=pg.mkPen((255, 200, 60), width=2),
                name="mouth open",
            )
        else:
            self.env = np.zeros(0)
            self.wave.addItem(pg.TextItem("connect the audio input to see the waveform"))
        self.label = QLabel()
        detect = QPushButton("Detect mouth")
        detect.clicked.connect(self.use_detected)
        auto = QPushButton("Automatic (clear the box)")
        auto.clicked.connect(self.use_auto)
        buttons = QDialogButtonBox(QDialogButtonBox.Apply | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Apply).clicked.connect(self.apply)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.image_plot, 3)
        row = QHBoxLayout()
        row.addWidget(self.label, 1)
        row.addWidget(detect)
        row.addWidget(auto)
        layout.addLayout(row)
        layout.addWidget(QLabel("Audio (blue) and how far the mouth opens per frame (yellow)"))
        layout.addWidget(self.wave, 2)
        layout.addWidget(buttons)
        self._moved()

    def box(self) -> tuple[int, int, int, int]:
        x, y = self.roi.pos()
        w, h = self.roi.size()
        return (int(round(x)), int(round(y)), max(2, int(round(w))), max(2, int(round(h))))

    def _moved(self, *_: Any) -> None:
        if self.sender() is self.roi:
            self.auto = False
        x, y, w, h = self.box()
        how = "found automatically" if self.auto else "set by hand"
        self.label.setText(
            f"Mouth box: x {x}, y {y}, {w} x {h} px ({how}). Drag it, or its corner to resize."
        )

    def use_detected(self) -> None:
        x, y, w, h = self.detected
        self.roi.setPos((x, y), update=False)
        self.roi.setSize((w, h))
        self.auto = False
        self._moved()

    def use_auto(self) -> None:
        self.use_detected()
        self.auto = True
        self._moved()

    def apply(self) -> bool:
        node = self.ctx.doc.wf.node(self.node_id)
        if node is None:
            self.reject()
            return False
        new = dict(node.params, mouth_box=None if self.auto else list(self.box()))
        if new != node.params:
            self.ctx.doc.push([edits.set_params(self.node_id, new)], "edit mouth box")
        self.accept()
        return True


def open_lipsync_editor(ctx: EditorContext, node_id: str, field_name: str, value: Any) -> None:
    node = ctx.doc.wf.node(node_id)
    if node is None:
        return None
    try:
        video = ctx.input_value(node_id, "video")
        audio = ctx.input_value(node_id, "audio")
    except InputUnavailable as e:
        QMessageBox.warning(ctx.parent, "Lip-sync", f"The inputs could not be made:\n{e}")
        return None
    if video is None:
        QMessageBox.information(ctx.parent, "Lip-sync", "Connect the video to lip-sync first.")
        return None
    frame = read_frame(video.path, 0)
    fps = probe(video.path).fps
    samples = read_audio(audio.path, RATE) if audio is not None else None
    box = tuple(value) if value else None
    ed = LipSyncEditor(ctx, node_id, frame, fps, samples, box)  # type: ignore[arg-type]
    ctx.show(ed)
    return None
