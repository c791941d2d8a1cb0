"""The preview dock: a node's output at a watchable size. Images are shown fitted; videos play
in a loop with a scrub bar; prompts and other JSON values are shown as text."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSlider,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.ports import PortType
from app.core.values import Value
from app.ui.thumbs import FrameLoader

MAX_FRAMES = 360  # a preview holds at most this many frames (sampled evenly over longer clips)


class _Picture(QLabel):
    def __init__(self) -> None:
        super().__init__()
        self.setAlignment(Qt.AlignCenter)
        self.setMinimumSize(160, 90)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Ignored)
        self.setStyleSheet("background: #121214; color: #777;")
        self._pm: QPixmap | None = None

    def show_pixmap(self, pm: QPixmap | None) -> None:
        self._pm = pm
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._fit()  # a picture set while the dock was hidden or not laid out yet

    def _fit(self) -> None:
        if self._pm is None:
            self.setPixmap(QPixmap())
            return
        if self.width() < 8 or self.height() < 8:  # not laid out yet: fit once it is
            QTimer.singleShot(0, self._fit)
            return
        self.setPixmap(self._pm.scaled(self.size(), Qt.KeepAspectRatio, Qt.SmoothTransformation))


class PreviewPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader = FrameLoader(MAX_FRAMES, (960, 540), memory=4, parent=self)
        self.loader.ready.connect(self._ready)
        self.title = QLabel("Select a node to preview its output.")
        self.title.setStyleSheet("color: #aaa; padding: 2px;")
        self.title.setWordWrap(True)
        self.node_id: str | None = None  # whose output is shown
        self.stale = False
        self.picture = _Picture()
        self.text = QPlainTextEdit(readOnly=True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.picture)
        self.stack.addWidget(self.text)
        self.play = QPushButton("Pause")
        self.play.setFixedWidth(64)
        self.play.clicked.connect(self.toggle)
        self.slider = QSlider(Qt.Horizontal)
        self.slider.valueChanged.connect(self._seek)
        self.slider.sliderPressed.connect(self._scrub_start)
        self.slider.sliderReleased.connect(self._scrub_end)
        self.counter = QLabel("")
        self.counter.setMinimumWidth(150)
        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(self.play)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.counter)
        self.controls = QWidget()
        self.controls.setLayout(controls)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.controls)
        self.controls.hide()
        self.frames: list[QPixmap] = []
        self.fps = 24.0
        self.index = 0
        self._was_playing = False
        self._label = ""
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        # the same transport as the Viewer: J/K/L, arrows step, I/O loop, F full screen
        self.speed = 1.0
        self.in_i, self.out_i = 0, None
        self.fullscreen = False
        self._dock = None
        from PySide6.QtGui import QKeySequence, QShortcut

        for key, slot in (
            (Qt.Key_Space, self.toggle),
            (Qt.Key_Left, lambda: self.step(-1)),
            (Qt.Key_Right, lambda: self.step(1)),
            (Qt.Key_J, lambda: self.shuttle(-1)),
            (Qt.Key_K, self.stop_shuttle),
            (Qt.Key_L, lambda: self.shuttle(1)),
            (Qt.Key_I, self.mark_in),
            (Qt.Key_O, self.mark_out),
            (Qt.Key_F, self.toggle_fullscreen),
        ):
            sc = QShortcut(QKeySequence(key), self, activated=slot)
            sc.setContext(Qt.WidgetWithChildrenShortcut)
        self.setFocusPolicy(Qt.StrongFocus)

    def clear(self) -> None:
        self.node_id = None
        self.show_value("", None)
        self.title.setText("Select a node to preview its output.")

    def set_stale(self, stale: bool) -> None:
        """After an edit: the last result stays visible, dimmed and marked, until the next run."""
        from PySide6.QtWidgets import QGraphicsOpacityEffect

        if stale == self.stale:
            return
        self.stale = stale
        if stale:
            effect = QGraphicsOpacityEffect(self.stack)
            effect.setOpacity(0.45)
            self.stack.setGraphicsEffect(effect)
            self.title.setText(
                self._label + "  <span style='color:#e0b050'>changed: run to update</span>"
            )
        else:
            self.stack.setGraphicsEffect(None)
            self.title.setText(self._label)

    def show_value(self, label: str, value: Value | None, node_id: str | None = None) -> None:
        self.timer.stop()
        self.frames = []
        self.controls.hide()
        self.node_id = node_id
        self.stale = True
        self.set_stale(False)
        self._label = label
        if value is None:
            self._label = f"{label}: no output to show yet (run it first)"
            self.title.setText(self._label)
            self.picture.show_pixmap(None)
            self.stack.setCurrentWidget(self.picture)
            return
        self._label = f"{label}: {value.meta.get('source') or value.path.name}"  # the user's file, not the cache's
        self.title.setText(self._label)
        if value.type in (PortType.IMAGE, PortType.MASK, PortType.VIDEO):
            self.stack.setCurrentWidget(self.picture)
            self.picture.show_pixmap(None)
            self.picture.setText("loading...")
            self.loader.request("preview", value)
        elif value.type == PortType.AUDIO:
            self.stack.setCurrentWidget(self.text)
            self.text.setPlainText(f"Audio: {value.path}\n{json.dumps(value.meta, indent=2)}")
        else:
            self.stack.setCurrentWidget(self.text)
            try:
                self.text.setPlainText(json.dumps(value.read_json(), indent=2, ensure_ascii=False))
            except (OSError, ValueError) as e:
                self.text.setPlainText(f"cannot read {value.path}: {e}")

    def show_frames(self, label: str, images: list, fps: float) -> None:
        """Play frames made elsewhere (an editor's local preview)."""
        self.timer.stop()
        self.title.setText(label)
        self.stack.setCurrentWidget(self.picture)
        self._ready("frames", images, fps, "")

    def _ready(self, key: str, images: list, fps: float, error: str) -> None:
        if error:
            self.picture.show_pixmap(None)
            self.picture.setText(f"cannot preview: {error}")
            return
        self.picture.setText("")
        self.frames = [QPixmap.fromImage(im) for im in images]
        self.fps = fps or 24.0
        self.index = 0
        self.in_i, self.out_i, self.speed = 0, None, 1.0
        self.picture.show_pixmap(self.frames[0] if self.frames else None)
        if len(self.frames) > 1:
            self.controls.show()
            self.slider.blockSignals(True)
            self.slider.setRange(0, len(self.frames) - 1)
            self.slider.setValue(0)
            self.slider.blockSignals(False)
            self.timer.start(self._interval())
            self.play.setText("Pause")
            self._counter()

    def toggle(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
            self.play.setText("Play")
        elif len(self.frames) > 1:
            self.timer.start(self._interval())
            self.play.setText("Pause")

    def playing(self) -> bool:
        return self.timer.isActive()

    def _tick(self) -> None:
        if self.frames:
            lo, hi = self.in_i, self.out_i if self.out_i is not None else len(self.frames) - 1
            i = self.index + (1 if self.speed > 0 else -1)
            if i > hi or i < lo:  # round the in/out loop, either way
                i = lo if self.speed > 0 else hi
            self._show(i)

    def _interval(self) -> int:
        return max(5, round(1000 / (self.fps * abs(self.speed))))

    def step(self, n: int) -> None:
        if self.frames:
            self.timer.stop()
            self.play.setText("Play")
            self._show(max(0, min(len(self.frames) - 1, self.index + n)))

    def shuttle(self, direction: int) -> None:
        if self.timer.isActive() and (self.speed > 0) == (direction > 0):
            self.speed = max(-8.0, min(8.0, self.speed * 2))
        else:
            self.speed = float(direction)
        if len(self.frames) > 1:
            self.timer.start(self._interval())
            self.play.setText("Pause")
        self._counter()

    def stop_shuttle(self) -> None:
        self.timer.stop()
        self.speed = 1.0
        self.play.setText("Play")
        self._counter()

    def mark_in(self) -> None:
        self.in_i = self.index
        if self.out_i is not None and self.out_i < self.in_i:
            self.out_i = None
        self._counter()

    def mark_out(self) -> None:
        self.out_i = self.index
        if self.out_i < self.in_i:
            self.in_i = 0
        self._counter()

    def toggle_fullscreen(self) -> None:
        """The player alone on the screen (F or Esc to come back to its dock)."""
        from app.ui.fullscreen import toggle_fullscreen

        toggle_fullscreen(self)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        keys = {
            Qt.Key_J: lambda: self.shuttle(-1),
            Qt.Key_K: self.stop_shuttle,
            Qt.Key_L: lambda: self.shuttle(1),
            Qt.Key_I: self.mark_in,
            Qt.Key_O: self.mark_out,
            Qt.Key_F: self.toggle_fullscreen,
        }
        if self.fullscreen:
            keys[Qt.Key_Escape] = self.toggle_fullscreen
        if event.key() in keys and not event.modifiers():  # where the dock's shortcuts do not reach
            keys[event.key()]()
            return
        super().keyPressEvent(event)

    def _show(self, i: int) -> None:
        self.index = i
        self.picture.show_pixmap(self.frames[i])
        self.slider.blockSignals(True)
        self.slider.setValue(i)
        self.slider.blockSignals(False)
        self._counter()

    def _counter(self) -> None:
        marks = (
            f"  [{self.in_i + 1}-{(self.out_i if self.out_i is not None else len(self.frames) - 1) + 1}]"
            if self.in_i or self.out_i is not None
            else ""
        )
        rate = (
            f"  {'◀' if self.speed < 0 else '▶'}{abs(self.speed):g}x" if self.speed != 1.0 else ""
        )
        self.counter.setText(f"{self.index + 1} / {len(self.frames)}{marks}{rate}")

    def _seek(self, i: int) -> None:
        if self.frames and 0 <= i < len(self.frames):
            self._show(i)

    def _scrub_start(self) -> None:
        self._was_playing = self.timer.isActive()
        self.timer.stop()

    def _scrub_end(self) -> None:
        if self._was_playing:
            self.timer.start(max(10, round(1000 / self.fps)))
