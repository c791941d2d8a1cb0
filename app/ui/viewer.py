"""The viewer: up to 9 outputs or takes side by side, frame-locked. Grid, A/B wipe and
difference; shared zoom/pan; play, loop, step, scrub, speed; labelled tiles with "Use this
take"; the focused tile's audio in sync. Frames come from display-resolution proxies decoded
on worker threads, never on the UI thread."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QElapsedTimer, QPointF, QRect, QRectF, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QFont, QImage, QKeySequence, QPainter, QPen, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from app.core.values import Value
from app.ui.proxies import Clip, open_clip

MAX_SOURCES = 9
MODES = ("grid", "wipe", "difference")


@dataclass
class Source:
    value: Value
    node_id: str
    lines: list[str]
    take: int | None = None  # for takes: which one (1-based)
    choosable: bool = False  # the node chooses among its takes (the viewer offers "Use this take")
    clip: Clip | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_audio(self) -> bool:
        return bool(self.clip and self.clip.meta.has_audio)


def describe(node_title: str, value: Value) -> list[str]:
    """Tile label: node; backend and model, seed, take; duration, resolution; cost and time."""
    m = value.meta
    first = node_title
    if m.get("take"):
        first += f" · take {m['take']}/{m.get('takes', '?')}"
    second = []
    if m.get("backend"):
        second.append(f"{m['backend']}/{m.get('model') or 'default'}")
    if "seed" in m:
        second.append(f"seed {m['seed']}")
    third = []
    if m.get("frames") and m.get("fps"):
        third.append(f"{m['frames'] / m['fps']:.2f} s")
    if m.get("width"):
        third.append(f"{m['width']}x{m['height']}")
    cost = m.get("cost")
    if cost is not None:
        third.append(
            f"cost ${float(cost):,.2f}" if isinstance(cost, (int, float)) else f"cost {cost}"
        )
    elif m.get("backend") == "local":
        third.append("free (local)")
    took = m.get("took_s")  # the take's own time; else the node's, from its cache entry
    took = float(took) if isinstance(took, (int, float)) else _took(value.path)
    if took is not None:
        third.append(f"made in {took:.1f} s")
    return [first, "  ".join(second), "  ".join(third)]


def _took(path: Path) -> float | None:
    """How long the node ran, from its cache entry's manifest (None when not from the cache)."""
    for folder in (path.parent, path.parent.parent):
        manifest = folder / "manifest.json"
        if manifest.is_file():
            try:
                return float(json.loads(manifest.read_text()).get("duration_s"))
            except (OSError, ValueError, TypeError):
                return None
    return None


def timecode(seconds: float, fps: float) -> str:
    fr = int(round(fps)) or 24
    total = int(seconds * fps + 1e-6)
    f = total % fr
    s = total // fr
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}:{f:02d}"


class ViewerCanvas(QWidget):
    """Paints every tile itself (one widget, no per-tile widgets): cheap at 9 tiles."""

    def __init__(self, panel: ViewerPanel) -> None:
        super().__init__()
        self.panel = panel
        self.setMinimumSize(160, 40)  # small while its dock shares the bottom with the log
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self._drag: str | None = None
        self._last: QPointF | None = None
        self.paint_ms: list[float] = []
        self.painted_decoded = False  # the last paint had every clip decoded

    def keyPressEvent(self, event) -> None:  # noqa: N802
        # full screen is a window of its own: Esc (or F) brings it back even where the dock's
        # shortcuts do not reach
        p = self.panel
        keys = {
            Qt.Key_J: lambda: p.shuttle(-1),
            Qt.Key_K: p.stop_shuttle,
            Qt.Key_L: lambda: p.shuttle(1),
            Qt.Key_I: p.mark_in,
            Qt.Key_O: p.mark_out,
            Qt.Key_F: p.toggle_fullscreen,
        }
        if p.fullscreen:
            keys[Qt.Key_Escape] = p.toggle_fullscreen
        # the dock's shortcuts answer while its window is active; a key that reaches the canvas
        # anyway (a full-screen window, a window not yet active) does the same
        if event.key() in keys and not event.modifiers():
            keys[event.key()]()
            return
        super().keyPressEvent(event)

    # -- geometry ------------------------------------------------------------------------------------
    def tile_rects(self) -> list[QRect]:
        p = self.panel
        n = len(p.sources)
        if n == 0:
            return []
        if p.mode != "grid":
            return [self.rect().adjusted(2, 2, -2, -2)]
        cols = math.ceil(math.sqrt(n))
        rows = math.ceil(n / cols)
        w, h = self.width() / cols, self.height() / rows
        return [
            QRect(int(c * w) + 2, int(r * h) + 2, int(w) - 4, int(h) - 4)
            for i in range(n)
            for r, c in [divmod(i, cols)]
        ]

    def image_rect(self, tile: QRect, src_w: int, src_h: int) -> QRectF:
        """Where a source's picture goes in a tile, with the viewer's shared zoom and pan."""
        p = self.panel
        scale = min(tile.width() / src_w, tile.height() / src_h) if p.zoom is None else p.zoom
        w, h = src_w * scale, src_h * scale
        cx = tile.center().x() + p.pan[0] * w
        cy = tile.center().y() + p.pan[1] * h
        return QRectF(cx - w / 2, cy - h / 2, w, h)

    def button_rect(self, tile: QRect) -> QRect:
        return QRect(tile.right() - 118, tile.top() + 6, 112, 22)

    # -- painting ------------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802
        t0 = time.perf_counter()
        self.painted_decoded = bool(self.panel.sources) and self.panel.all_decoded()
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(16, 16, 18))
        p = self.panel
        if not p.sources:
            painter.setPen(QColor(130, 130, 135))
            painter.drawText(
                self.rect(),
                Qt.AlignCenter,
                "Right-click a node: View in viewer, or Compare all takes.",
            )
            painter.end()
            return
        painter.setRenderHint(QPainter.SmoothPixmapTransform, True)
        rects = self.tile_rects()
        if p.mode == "grid":
            for i, (src, rect) in enumerate(zip(p.sources, rects, strict=False)):
                self._draw_tile(painter, src, rect, i == p.focus)
        else:
            a, b = p.pair()
            if a is not None and b is not None:
                if p.mode == "wipe":
                    self._draw_wipe(painter, a, b, rects[0])
                else:
                    self._draw_difference(painter, a, b, rects[0])
        painter.end()
        self.paint_ms.append((time.perf_counter() - t0) * 1000)
        if len(self.paint_ms) > 600:
            del self.paint_ms[:300]

    def _qimage(self, src: Source) -> QImage | None:
        clip = src.clip
        if clip is None:
            return None
        arr = clip.frame(clip.index_at(self.panel.t))
        if arr is None:
            return None
        h, w = arr.shape[:2]
        img = QImage(arr.data, w, h, 4 * w, QImage.Format_RGB32)
        img._keep = arr  # type: ignore[attr-defined]  # the buffer lives as long as the image
        return img

    def _draw_picture(
        self,
        painter: QPainter,
        src: Source,
        tile: QRect,
        img: QImage | None,
        clip_rect: QRectF | None = None,
    ) -> QRectF | None:
        if src.clip is None:
            return None
        target = self.image_rect(tile, src.clip.meta.width, src.clip.meta.height)
        painter.save()
        painter.setClipRect(clip_rect if clip_rect is not None else QRectF(tile))
        if img is not None:
            painter.drawImage(target, img)
        else:
            painter.setPen(QColor(140, 140, 145))
            msg = f"cannot show: {src.clip.error}" if src.clip.error else "decoding..."
            painter.drawText(tile, Qt.AlignCenter, msg)
        painter.restore()
        return target

    def _draw_tile(self, painter: QPainter, src: Source, tile: QRect, focused: bool) -> None:
        self._draw_picture(painter, src, tile, self._qimage(src))
        self._draw_label(painter, src, tile)
        if src.choosable and src.take is not None:
            r = self.button_rect(tile)
            selected = self.panel.selected_take(src.node_id) == src.take
            painter.setPen(Qt.NoPen)
            painter.setBrush(QColor(60, 110, 70, 230) if selected else QColor(61, 90, 128, 230))
            painter.drawRoundedRect(r, 4, 4)
            painter.setPen(QColor(240, 240, 240))
            painter.drawText(r, Qt.AlignCenter, "Selected take" if selected else "Use this take")
        pen = QPen(QColor(240, 180, 60) if focused else QColor(50, 50, 55), 2 if focused else 1)
        painter.setPen(pen)
        painter.setBrush(Qt.NoBrush)
        painter.drawRect(tile)

    def _draw_label(self, painter: QPainter, src: Source, tile: QRect, prefix: str = "") -> None:
        lines = [ln for ln in src.lines if ln]
        if prefix:
            lines = [f"{prefix} {lines[0]}", *lines[1:]]
        f = QFont(painter.font())
        f.setPointSizeF(8.5)
        painter.setFont(f)
        fm = painter.fontMetrics()
        w = max(fm.horizontalAdvance(ln) for ln in lines) + 12
        h = fm.height() * len(lines) + 8
        box = QRect(tile.left() + 6, tile.top() + 6, min(w, tile.width() - 12), h)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(QColor(235, 235, 235))
        for i, ln in enumerate(lines):
            painter.drawText(box.left() + 6, box.top() + 4 + fm.ascent() + i * fm.height(), ln)

    def divider_x(self, tile: QRect) -> float:
        p = self.panel
        return (
            tile.left() + p.wipe * tile.width()
            if p.wipe_dir == "horizontal"
            else tile.top() + p.wipe * tile.height()
        )

    def _draw_wipe(self, painter: QPainter, a: Source, b: Source, tile: QRect) -> None:
        d = self.divider_x(tile)
        if self.panel.wipe_dir == "horizontal":
            ra, rb = (
                QRectF(tile.left(), tile.top(), d - tile.left(), tile.height()),
                QRectF(d, tile.top(), tile.right() + 1 - d, tile.height()),
            )
        else:
            ra, rb = (
                QRectF(tile.left(), tile.top(), tile.width(), d - tile.top()),
                QRectF(tile.left(), d, tile.width(), tile.bottom() + 1 - d),
            )
        # both sides use A's geometry, so the same point of the shot lines up across the divider
        target = (
            self.image_rect(tile, a.clip.meta.width, a.clip.meta.height) if a.clip else QRectF(tile)
        )
        for src, r in ((a, ra), (b, rb)):
            img = self._qimage(src)
            painter.save()
            painter.setClipRect(r)
            if img is not None:
                painter.drawImage(target, img)
            painter.restore()
        painter.setPen(QPen(QColor(255, 255, 255), 2))
        if self.panel.wipe_dir == "horizontal":
            painter.drawLine(QPointF(d, tile.top()), QPointF(d, tile.bottom()))
        else:
            painter.drawLine(QPointF(tile.left(), d), QPointF(tile.right(), d))
        self._draw_label(painter, a, tile, "A:")
        right = QRect(
            tile.right() - tile.width() // 2, tile.top(), tile.width() // 2, tile.height()
        )
        self._draw_label(
            painter,
            b,
            right
            if self.panel.wipe_dir == "horizontal"
            else QRect(tile.left(), int(d) + 4, tile.width(), tile.height()),
            "B:",
        )

    def _draw_difference(self, painter: QPainter, a: Source, b: Source, tile: QRect) -> None:
        fa = a.clip.frame(a.clip.index_at(self.panel.t)) if a.clip else None
        fb = b.clip.frame(b.clip.index_at(self.panel.t)) if b.clip else None
        if fa is None or fb is None:
            painter.setPen(QColor(140, 140, 145))
            painter.drawText(tile, Qt.AlignCenter, "decoding...")
            return
        if fb.shape != fa.shape:
            import cv2

            fb = cv2.resize(fb, (fa.shape[1], fa.shape[0]), interpolation=cv2.INTER_AREA)
        diff = np.abs(fa.astype(np.int16) - fb.astype(np.int16)).astype(np.uint8)
        if self.panel.diff_gain != 1:
            diff = np.clip(diff.astype(np.uint16) * self.panel.diff_gain, 0, 255).astype(np.uint8)
        diff[..., 3] = 255
        h, w = diff.shape[:2]
        img = QImage(diff.data, w, h, 4 * w, QImage.Format_RGB32)
        painter.drawImage(self.image_rect(tile, a.clip.meta.width, a.clip.meta.height), img)  # type: ignore[union-attr]
        self._draw_label(
            painter,
            Source(
                a.value,
                a.node_id,
                [f"|A - B| x{self.panel.diff_gain}", f"A: {a.lines[0]}", f"B: {b.lines[0]}"],
            ),
            tile,
        )

    # -- mouse ---------------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:  # noqa: N802
        self.setFocus()
        pos = event.position()
        p = self.panel
        rects = self.tile_rects()
        if p.mode == "grid":
            for i, r in enumerate(rects):
                if r.contains(pos.toPoint()):
                    src = p.sources[i]
                    if (
                        src.choosable
                        and src.take is not None
                        and self.button_rect(r).contains(pos.toPoint())
                    ):
                        p.use_take.emit(src.node_id, src.take)
                        self.update()
                        return
                    p.set_focus(i)
        elif p.mode == "wipe" and rects:
            d = self.divider_x(rects[0])
            along = pos.x() if p.wipe_dir == "horizontal" else pos.y()
            if abs(along - d) < 12:
                self._drag = "wipe"
                return
        if event.button() in (Qt.LeftButton, Qt.MiddleButton) and p.zoom is not None:
            self._drag = "pan"
            self._last = pos

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        p = self.panel
        pos = event.position()
        rects = self.tile_rects()
        if self._drag == "wipe" and rects:
            r = rects[0]
            frac = (
                (pos.x() - r.left()) / r.width()
                if p.wipe_dir == "horizontal"
                else (pos.y() - r.top()) / r.height()
            )
            p.set_wipe(frac)
        elif (
            self._drag == "pan"
            and self._last is not None
            and rects
            and p.sources
            and p.sources[0].clip
        ):
            m = p.sources[0].clip.meta
            target = self.image_rect(rects[0], m.width, m.height)
            d = pos - self._last
            self._last = pos
            p.pan = (p.pan[0] + d.x() / target.width(), p.pan[1] + d.y() / target.height())
            self.update()
        elif p.mode == "wipe" and rects:
            d = self.divider_x(rects[0])
            along = pos.x() if p.wipe_dir == "horizontal" else pos.y()
            shape = Qt.SplitHCursor if p.wipe_dir == "horizontal" else Qt.SplitVCursor
            self.setCursor(shape if abs(along - d) < 12 else Qt.ArrowCursor)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        self._drag = None
        self._last = None

    def wheelEvent(self, event) -> None:  # noqa: N802
        p = self.panel
        rects = self.tile_rects()
        if not rects or not p.sources or p.sources[0].clip is None:
            return
        m = p.sources[0].clip.meta
        current = (
            p.zoom
            if p.zoom is not None
            else min(rects[0].width() / m.width, rects[0].height() / m.height)
        )
        p.set_zoom(current * (1.15 if event.angleDelta().y() > 0 else 1 / 1.15))


class ViewerPanel(QWidget):
    use_take = Signal(str, int)  # node id, take (1-based)

    def __init__(self, selected_take=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._selected_take = selected_take or (lambda node_id: None)
        self.sources: list[Source] = []
        self.mode = "grid"
        self.wipe = 0.5
        self.wipe_dir = "horizontal"
        self.diff_gain = 1
        self.zoom: float | None = None  # None: fit
        self.pan = (0.0, 0.0)
        self.focus = 0
        self.a_index, self.b_index = 0, 1
        self.t = 0.0
        self.speed = 1.0
        self.in_t = 0.0  # the loop's in point (I) and out point (O; None: the end)
        self.out_t: float | None = None
        self.fullscreen = False
        self._dock = None
        self.loop = True
        self.playing = False
        self.shown_index = -1
        self.buffering = False
        self.dropped = 0
        self.late = 0
        self.stalls = 0
        self.shown = 0
        self._t0_media = 0.0
        self._clock = QElapsedTimer()
        self._shown_times: list[float] = []
        self.canvas = ViewerCanvas(self)
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        # while clips decode on their threads the tiles are repainted as frames arrive, so every
        # tile shows its picture before Play (not "decoding..." until something else repaints)
        self._decode_timer = QTimer(self)
        self._decode_timer.setInterval(120)
        self._decode_timer.timeout.connect(self._decoding)
        self._player = None
        self._audio_out = None
        self._build()

    # -- ui --------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.mode_box = QComboBox()
        self.mode_box.addItems(["Grid", "A/B wipe", "Difference"])
        self.mode_box.currentIndexChanged.connect(lambda i: self.set_mode(MODES[i]))
        self.dir_box = QComboBox()
        self.dir_box.addItems(["Wipe left/right", "Wipe top/bottom"])
        self.dir_box.currentIndexChanged.connect(
            lambda i: self.set_wipe_dir("horizontal" if i == 0 else "vertical")
        )
        self.a_box, self.b_box = QComboBox(), QComboBox()
        for box in (self.a_box, self.b_box):
            box.setMinimumWidth(200)
        self.a_box.currentIndexChanged.connect(lambda i: self._set_pair(i, None))
        self.b_box.currentIndexChanged.connect(lambda i: self._set_pair(None, i))
        self.fit_btn = QPushButton("Fit")
        self.fit_btn.clicked.connect(lambda: self.set_zoom(None))
        self.one_btn = QPushButton("1:1")
        self.one_btn.clicked.connect(lambda: self.set_zoom(1.0))
        self.clear_btn = QPushButton("Clear")
        self.clear_btn.clicked.connect(self.clear)
        top = QHBoxLayout()
        for w in (
            QLabel("Mode"),
            self.mode_box,
            self.dir_box,
            QLabel("A"),
            self.a_box,
            QLabel("B"),
            self.b_box,
            self.fit_btn,
            self.one_btn,
        ):
            top.addWidget(w)
        top.addStretch(1)
        top.addWidget(self.clear_btn)
        self.play_btn = QPushButton("Play")
        self.play_btn.clicked.connect(self.toggle)
        start, back, fwd, end = (QPushButton(t) for t in ("|<", "<", ">", ">|"))
        start.clicked.connect(lambda: self.seek(0.0))
        back.clicked.connect(lambda: self.step(-1))
        fwd.clicked.connect(lambda: self.step(1))
        end.clicked.connect(lambda: self.seek(self.duration()))
        for b in (start, back, fwd, end):
            b.setFixedWidth(34)
        self.scrub = QSlider(Qt.Horizontal)
        self.scrub.setRange(0, 0)
        self.scrub.valueChanged.connect(self._scrubbed)
        self.time_label = QLabel("")
        self.time_label.setMinimumWidth(300)
        self.speed_box = QComboBox()
        for s in ("0.25x", "0.5x", "1x", "1.5x", "2x"):
            self.speed_box.addItem(s, float(s[:-1]))
        self.speed_box.setCurrentIndex(2)
        self.speed_box.currentIndexChanged.connect(
            lambda i: self.set_speed(self.speed_box.itemData(i))
        )
        self.loop_box = QCheckBox("Loop")
        self.loop_box.setChecked(True)
        self.loop_box.toggled.connect(lambda on: setattr(self, "loop", on))
        self.mute_box = QCheckBox("Mute")
        self.mute_box.toggled.connect(self._mute)
        self.fps_label = QLabel("")
        self.fps_label.setMinimumWidth(120)
        bottom = QHBoxLayout()
        for w in (self.play_btn, start, back, fwd, end):
            bottom.addWidget(w)
        bottom.addWidget(self.scrub, 1)
        for w in (self.time_label, self.speed_box, self.loop_box, self.mute_box, self.fps_label):
            bottom.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(bottom)
        # an editor's transport: J/K/L shuttle, arrows step a frame, I/O set a loop, F full screen
        for key, slot in (
            (Qt.Key_Space, self.toggle),
            (Qt.Key_Left, lambda: self.step(-1)),
            (Qt.Key_Right, lambda: self.step(1)),
            (Qt.Key_Home, lambda: self.seek(self.in_t)),
            (Qt.Key_End, lambda: self.seek(self.out_point())),
            (Qt.Key_J, lambda: self.shuttle(-1)),
            (Qt.Key_K, self.stop_shuttle),
            (Qt.Key_L, lambda: self.shuttle(1)),
            (Qt.Key_I, self.mark_in),
            (Qt.Key_O, self.mark_out),
            (QKeySequence("Alt+X"), self.clear_marks),
            (Qt.Key_F, self.toggle_fullscreen),
            (Qt.Key_Escape, lambda: self.toggle_fullscreen() if self.fullscreen else None),
        ):
            sc = QShortcut(QKeySequence(key), self, activated=slot)
            sc.setContext(Qt.WidgetWithChildrenShortcut)
        self._sync_controls()

    def _sync_controls(self) -> None:
        pairable = self.mode != "grid"
        for w in (self.a_box, self.b_box):
            w.setEnabled(pairable)
        self.dir_box.setEnabled(self.mode == "wipe")
        names = [f"{i + 1}. {s.lines[0]}" for i, s in enumerate(self.sources)]
        for box, idx in ((self.a_box, self.a_index), (self.b_box, self.b_index)):
            box.blockSignals(True)
            box.clear()
            box.addItems(names)
            box.setCurrentIndex(min(idx, len(names) - 1))
            box.blockSignals(False)
        frames = self.master_frames()
        self.scrub.blockSignals(True)
        self.scrub.setRange(0, max(0, frames - 1))
        self.scrub.setValue(self.frame_index())
        self.scrub.blockSignals(False)
        self._label()

    # -- sources ---------------------------------------------------------------------------------------
    def set_sources(self, sources: list[Source]) -> None:
        self.clear()
        self.add_sources(sources)

    def add_sources(self, sources: list[Source]) -> None:
        sources = sources[: MAX_SOURCES - len(self.sources)]
        n = len(self.sources) + len(sources)
        for s in sources:
            s.clip = open_clip(s.value, n)
        self.sources.extend(sources)
        if len(self.sources) >= 2 and self.b_index >= len(self.sources):
            self.b_index = 1
        self._sync_controls()
        self._audio_for_focus()
        self.canvas.update()
        self._decode_timer.start()

    def all_decoded(self) -> bool:
        return all(s.clip is None or s.clip.done for s in self.sources)

    def _decoding(self) -> None:
        if not self.playing:
            self.canvas.update()
        if self.all_decoded():
            self._decode_timer.stop()
            self.canvas.update()

    def clear(self) -> None:
        self.pause()
        for s in self.sources:
            if s.clip:
                s.clip.stop()
        self.sources = []
        self.focus, self.a_index, self.b_index = 0, 0, 1
        self.seek(0.0)
        self._sync_controls()
        self.canvas.update()

    def wait_decoded(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        return all(
            s.clip.wait(max(0.0, deadline - time.monotonic())) for s in self.sources if s.clip
        )

    def pair(self) -> tuple[Source | None, Source | None]:
        if len(self.sources) < 2:
            return (self.sources[0], self.sources[0]) if self.sources else (None, None)
        return self.sources[self.a_index], self.sources[self.b_index]

    def _set_pair(self, a: int | None, b: int | None) -> None:
        if a is not None and a >= 0:
            self.a_index = a
        if b is not None and b >= 0:
            self.b_index = b
        for box, idx in ((self.a_box, self.a_index), (self.b_box, self.b_index)):
            if box.currentIndex() != idx:
                box.blockSignals(True)
                box.setCurrentIndex(idx)
                box.blockSignals(False)
        self.canvas.update()

    def selected_take(self, node_id: str) -> int | None:
        return self._selected_take(node_id)

    # -- view state ------------------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.mode_box.blockSignals(True)
        self.mode_box.setCurrentIndex(MODES.index(mode))
        self.mode_box.blockSignals(False)
        self._sync_controls()
        self.canvas.update()

    def set_wipe(self, frac: float) -> None:
        self.wipe = min(1.0, max(0.0, frac))
        self.canvas.update()

    def set_wipe_dir(self, d: str) -> None:
        self.wipe_dir = d
        self.canvas.update()

    def set_zoom(self, z: float | None) -> None:
        self.zoom = None if z is None else max(0.05, min(16.0, z))
        if z is None:
            self.pan = (0.0, 0.0)
        self.canvas.update()

    def set_focus(self, i: int) -> None:
        if 0 <= i < len(self.sources) and i != self.focus:
            self.focus = i
            self._audio_for_focus()
        self.canvas.update()

    def set_speed(self, s: float) -> None:
        if self.playing:
            self._t0_media = self.t
            self._clock.restart()
        self.speed = s
        if self._player is not None:
            if s < 0:
                self._player.pause()  # sound does not play backward
            else:
                self._player.setPlaybackRate(s)

    # -- time ------------------------------------------------------------------------------------------
    def master_fps(self) -> float:
        return max((s.clip.fps for s in self.sources if s.clip), default=24.0)

    def duration(self) -> float:
        return max((s.clip.duration for s in self.sources if s.clip), default=0.0)

    def master_frames(self) -> int:
        return max(1, int(round(self.duration() * self.master_fps())))

    def frame_index(self) -> int:
        return min(self.master_frames() - 1, int(self.t * self.master_fps() + 1e-6))

    def tile_indices(self) -> list[int]:
        """The frame each tile shows now."""
        return [s.clip.index_at(self.t) if s.clip else -1 for s in self.sources]

    def seek(self, t: float) -> None:
        last = max(0.0, (self.master_frames() - 1) / self.master_fps()) if self.sources else 0.0
        self.t = min(last, max(0.0, t))
        if self.playing:
            self._t0_media = self.t
            self._clock.restart()
        self.shown_index = self.frame_index()
        self._audio_seek()
        self._show()

    # -- shuttle, in/out, full screen --------------------------------------------------------------------------
    def out_point(self) -> float:
        last = max(0.0, (self.master_frames() - 1) / self.master_fps())
        return min(last, self.out_t) if self.out_t is not None else last

    def shuttle(self, direction: int) -> None:
        """L plays forward, again faster (1x, 2x, 4x, 8x); J the same backward; K stops."""
        if self.playing and (self.speed > 0) == (direction > 0):
            speed = max(-8.0, min(8.0, self.speed * 2))
        else:
            speed = float(direction)
        self.set_speed(speed)
        if not self.playing:
            self.play()

    def stop_shuttle(self) -> None:
        self.pause()
        self.set_speed(1.0)
        self._label()

    def mark_in(self) -> None:
        self.in_t = self.frame_index() / self.master_fps()
        if self.out_t is not None and self.out_t < self.in_t:
            self.out_t = None
        self._label()
        self.canvas.update()

    def mark_out(self) -> None:
        self.out_t = self.frame_index() / self.master_fps()
        if self.out_t < self.in_t:
            self.in_t = 0.0
        self._label()
        self.canvas.update()

    def clear_marks(self) -> None:
        self.in_t, self.out_t = 0.0, None
        self._label()

    def toggle_fullscreen(self) -> None:
        """The player alone on the screen (F or Esc to come back to its dock)."""
        from app.ui.fullscreen import toggle_fullscreen

        toggle_fullscreen(self)
        self.canvas.setFocus()

    def step(self, n: int) -> None:
        self.pause()
        self.seek((self.frame_index() + n) / self.master_fps() + 1e-9)

    def _scrubbed(self, v: int) -> None:
        self.seek(v / self.master_fps() + 1e-9)

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def play(self) -> None:
        if not self.sources or self.playing:
            return
        if self.speed > 0 and self.frame_index() >= round(self.out_point() * self.master_fps()):
            self.t = self.in_t
        elif self.speed < 0 and self.t <= self.in_t + 1e-9:
            self.t = self.out_point()
        self.playing = True
        self.shown_index = self.frame_index()
        self.timer.start(max(2, int(500 / (self.master_fps() * abs(self.speed)))))
        self.play_btn.setText("Pause")
        self._start_clock()

    BUFFER_S = 0.5  # decoded ahead of the playhead before the clock runs

    def _buffered(self) -> bool:
        return all(
            s.clip.ready_for(s.clip.index_at(self.t), int(self.BUFFER_S * s.clip.fps))
            for s in self.sources
            if s.clip
        )

    def _start_clock(self) -> None:
        """Run the clock once every tile has frames ahead; until then the playhead waits (as a
        player buffers) instead of showing tiles out of step."""
        if not self._buffered():
            self.buffering = True
            if self._player is not None:
                self._player.pause()
            return
        self.buffering = False
        self._t0_media = self.t
        self._clock.start()
        if self._player is not None:
            self._audio_seek()
            self._player.play()

    def pause(self) -> None:
        if not self.playing:
            return
        self.playing = False
        self.timer.stop()
        self.play_btn.setText("Play")
        if self._player is not None:
            self._player.pause()

    def _tick(self) -> None:
        if self.buffering:
            self._start_clock()
            self._label()
            return
        t = self._t0_media + self._clock.elapsed() / 1000.0 * self.speed
        start = self.in_t
        end = (
            self.out_point() + 1 / self.master_fps() if self.out_t is not None else self.duration()
        )
        wrapped = False
        if t >= end - 1e-9 or t < start - 1e-9:
            if self.loop:  # round the in/out loop (or the whole clip), either way
                span = max(1e-6, end - start)
                t = start + (t - start) % span
                self._t0_media, wrapped = t, True
                self._clock.restart()
                self._audio_seek()
            else:
                self.t = self.out_point() if self.speed > 0 else start
                self.pause()
                self._show()
                return
        self.t = t
        idx = self.frame_index()
        if idx == self.shown_index:
            return
        if not wrapped and self.speed > 0 and idx > self.shown_index + 1:
            self.dropped += idx - self.shown_index - 1  # the clock moved on more than one frame
        if any(s.clip and s.clip.frame(s.clip.index_at(t)) is None for s in self.sources):
            # a tile's frame is not decoded yet: hold the playhead and buffer, never show tiles
            # out of step
            self.late += 1
            self.stalls += 1
            self.t = max(0.0, self.shown_index / self.master_fps())
            self._start_clock()
            return
        self.shown_index = idx
        self.shown += 1
        now = time.monotonic()
        self._shown_times.append(now)
        while self._shown_times and now - self._shown_times[0] > 1.0:
            self._shown_times.pop(0)
        self._show()
        if self._player is not None and self.shown % 24 == 0:
            drift = abs(self._player.position() - self.t * 1000)
            if drift > 80:
                self._audio_seek()

    def _show(self) -> None:
        self.scrub.blockSignals(True)
        self.scrub.setValue(self.frame_index())
        self.scrub.blockSignals(False)
        self._label()
        self.canvas.update()

    def _label(self) -> None:
        fps = self.master_fps()
        marks = ""
        if self.in_t > 0 or self.out_t is not None:
            marks = (
                f"  loop {int(self.in_t * fps + 1e-6) + 1}-{int(self.out_point() * fps + 1e-6) + 1}"
            )
        rate = (
            f"  {'◀' if self.speed < 0 else '▶'} {abs(self.speed):g}x" if self.speed != 1.0 else ""
        )
        self.time_label.setText(
            f"frame {self.frame_index() + 1}/{self.master_frames()}  {timecode(self.t, fps)}"
            f"{marks}{rate}"
        )
        if self.playing and self.buffering:
            self.fps_label.setText("buffering...")
        elif self.playing:
            self.fps_label.setText(f"{len(self._shown_times)} fps shown / {fps:g}")
        else:
            self.fps_label.setText(f"{fps:g} fps")

    # -- audio of the focused tile ---------------------------------------------------------------------
    def _audio_for_focus(self) -> None:
        src = self.sources[self.focus] if 0 <= self.focus < len(self.sources) else None
        if src is None or not src.has_audio:
            if self._player is not None:
                self._player.stop()
                self._player.setSource(QUrl())
            return
        try:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
        except ImportError:
            return  # no QtMultimedia: pictures only
        if self._player is None:
            self._player = QMediaPlayer(self)
            self._audio_out = QAudioOutput(self)
            self._player.setAudioOutput(self._audio_out)
            self._audio_out.setMuted(self.mute_box.isChecked())
        self._player.setSource(QUrl.fromLocalFile(str(src.value.path)))
        self._player.setPlaybackRate(self.speed)
        self._audio_seek()
        if self.playing:
            self._player.play()

    def audio_source(self) -> Path | None:
        if self._player is None or self._player.source().isEmpty():
            return None
        return Path(self._player.source().toLocalFile())

    def _audio_seek(self) -> None:
        if self._player is not None and not self._player.source().isEmpty():
            self._player.setPosition(int(self.t * 1000))

    def _mute(self, on: bool) -> None:
        if self._audio_out is not None:
            self._audio_out.setMuted(on)
