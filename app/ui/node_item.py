"""How a node looks on the canvas: NodeGraphQt's node body plus our run state (coloured border,
progress bar, message) and an inline preview of its output, painted from a cached pixmap (no
proxy widget per node: cheap to pan and zoom with hundreds of nodes)."""

from __future__ import annotations

from NodeGraphQt.qgraphics.node_base import NodeItem
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPixmap

THUMB_W, THUMB_H = 208, 117  # 16:9
STATUS_H = 16

STATE_COLOURS = {
    "queued": QColor(140, 140, 150),
    "running": QColor(240, 180, 60),
    "cached": QColor(80, 190, 200),
    "finished": QColor(90, 200, 110),
    "failed": QColor(230, 70, 70),
    "skipped": QColor(120, 110, 100),
    "cancelled": QColor(200, 130, 60),
    "unknown": QColor(230, 70, 70),
    "outdated": QColor(110, 110, 118),
    "idle": QColor(110, 110, 118),
    "recipe": QColor(230, 190, 90),
}
STATE_LABELS = {
    "finished": "done",
    "outdated": "changed since its last run",
    "idle": "not run",
    "recipe": "recipe changed",
}
MODE_LABELS = {"bypass": "BYPASSED (Ctrl+B)", "mute": "MUTED (Ctrl+M)"}


class RGNodeItem(NodeItem):
    """Node body with a status strip and, for nodes that output pictures, a preview area."""

    def __init__(self, name: str = "node", parent=None) -> None:
        super().__init__(name, parent)
        self.has_preview = False
        self.state: str | None = None
        self.progress: float | None = None
        self.message = ""
        self.frames: list[QPixmap] = []
        self.frame_index = 0
        self.hovered = False
        self.help_text = ""  # the node type's description (NodeGraphQt would show its class name)
        self.mode: str | None = None  # "bypass" / "mute": drawn dimmed and labelled
        self.setAcceptHoverEvents(True)

    def _tooltip_disable(self, state: bool) -> None:
        if self.help_text:
            self.setToolTip(self.help_text)
        else:
            super()._tooltip_disable(state)

    def set_help(self, text: str) -> None:
        self.help_text = text
        self.setToolTip(text)

    # -- size ----------------------------------------------------------------------------------
    def _calc_size_horizontal(self):
        w, h = super()._calc_size_horizontal()
        w = max(w, THUMB_W + 16 if self.has_preview else 150)
        extra = STATUS_H + 4 + (THUMB_H + 8 if self.has_preview else 0)
        return w, h + extra

    def _preview_rect(self) -> QRectF:
        return QRectF(8, self._height - STATUS_H - THUMB_H - 8, self._width - 16, THUMB_H)

    def _status_rect(self) -> QRectF:
        return QRectF(8, self._height - STATUS_H - 3, self._width - 16, STATUS_H - 4)

    # -- state -----------------------------------------------------------------------------------
    def set_state(
        self, state: str | None, progress: float | None = None, message: str = ""
    ) -> None:
        self.state, self.progress, self.message = state, progress, message
        self.update()

    def set_mode(self, mode: str | None) -> None:
        self.mode = mode
        self.setOpacity(0.45 if mode else 1.0)
        self.update()

    def set_frames(self, frames: list[QPixmap]) -> None:
        self.frames, self.frame_index = frames, 0
        self.update()

    def advance(self) -> None:
        if len(self.frames) > 1:
            self.frame_index = (self.frame_index + 1) % len(self.frames)
            self.update(self._preview_rect())

    def animating(self) -> bool:
        return len(self.frames) > 1 and (self.hovered or self.selected)

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.hovered = True
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.hovered = False
        self.frame_index = 0
        self.update()
        super().hoverLeaveEvent(event)

    # -- painting --------------------------------------------------------------------------------
    def paint(self, painter: QPainter, option, widget) -> None:
        super().paint(painter, option, widget)
        if self._proxy_mode:  # zoomed far out: NodeGraphQt draws a plain box, so do we
            return
        painter.save()
        painter.setRenderHint(QPainter.Antialiasing, True)
        colour = STATE_COLOURS.get(self.state or "")
        if colour is not None:
            pen = QPen(colour, 2.2 if self.state in ("running", "failed", "unknown") else 1.6)
            painter.setPen(pen)
            painter.setBrush(Qt.NoBrush)
            painter.drawRoundedRect(QRectF(0.5, 0.5, self._width - 1, self._height - 1), 5, 5)
        if self.has_preview:
            self._paint_preview(painter)
        self._paint_status(painter, colour)
        painter.restore()

    def _paint_preview(self, painter: QPainter) -> None:
        r = self._preview_rect()
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(18, 18, 20))
        painter.drawRoundedRect(r, 3, 3)
        if self.frames:
            pm = self.frames[self.frame_index if self.animating() else 0]
            size = pm.size().scaled(int(r.width()), int(r.height()), Qt.KeepAspectRatio)
            target = QRectF(
                r.x() + (r.width() - size.width()) / 2,
                r.y() + (r.height() - size.height()) / 2,
                size.width(),
                size.height(),
            )
            painter.setRenderHint(QPainter.SmoothPixmapTransform, True)
            if self.state == "outdated":  # the last result, kept in sight but marked as not current
                painter.setOpacity(0.4)
            painter.drawPixmap(target, pm, QRectF(pm.rect()))
            painter.setOpacity(1.0)
            if self.state == "outdated":
                f = QFont(painter.font())
                f.setPointSizeF(7.5)
                painter.setFont(f)
                painter.setPen(QColor(230, 190, 90))
                painter.drawText(r.adjusted(4, 2, -4, -2), Qt.AlignTop | Qt.AlignRight, "changed")
        else:
            painter.setPen(QColor(95, 95, 100))
            f = QFont(painter.font())
            f.setPointSizeF(8)
            painter.setFont(f)
            painter.drawText(r, Qt.AlignCenter, "no preview yet - run to see it")

    def _paint_status(self, painter: QPainter, colour: QColor | None) -> None:
        r = self._status_rect()
        f = QFont(painter.font())
        f.setPointSizeF(7.5)
        painter.setFont(f)
        if self.state == "running" and self.progress is not None:
            painter.setPen(Qt.NoPen)
            painter.setBrush(QColor(40, 40, 44))
            painter.drawRoundedRect(r, 2, 2)
            done = QRectF(r.x(), r.y(), r.width() * max(0.0, min(1.0, self.progress)), r.height())
            painter.setBrush(QColor(240, 180, 60, 170))
            painter.drawRoundedRect(done, 2, 2)
        label = MODE_LABELS.get(self.mode or "") or STATE_LABELS.get(
            self.state or "", self.state or ""
        )
        text = (
            f"{label}: {self.message}"
            if self.message and self.state in ("running", "failed", "skipped", "unknown", "recipe")
            else label
        )
        painter.setPen(colour.lighter(120) if colour is not None else QColor(120, 120, 125))
        metrics = painter.fontMetrics()
        painter.drawText(
            r.adjusted(3, 0, -3, 0),
            Qt.AlignVCenter | Qt.AlignLeft,
            metrics.elidedText(text, Qt.ElideRight, int(r.width() - 6)),
        )


class RerouteItem(RGNodeItem):
    """A reroute point: a dot the pipes pass through (no title, no preview, no status strip)."""

    SIZE = (34.0, 26.0)

    def _calc_size_horizontal(self):
        return self.SIZE

    def _set_base_size(self, add_w=0.0, add_h=0.0) -> None:
        self._width, self._height = self.SIZE  # NodeGraphQt's minimum node size does not apply

    def draw_node(self) -> None:
        super().draw_node()
        self._text_item.setVisible(False)
        # both ports on the dot's middle line, at its left and right ends
        w, h = self.SIZE
        for port, x in (
            (next(iter(self._input_items), None), 0.0),
            (next(iter(self._output_items), None), w),
        ):
            if port is not None:
                r = port.boundingRect()
                port.setPos(x - r.width() / 2, (h - r.height()) / 2)

    def paint(self, painter: QPainter, option, widget) -> None:
        painter.save()
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setPen(QPen(QColor(230, 190, 90) if self.selected else QColor(120, 120, 130), 1.5))
        painter.setBrush(QColor(58, 58, 64))
        painter.drawRoundedRect(QRectF(3, 4, self._width - 6, self._height - 8), 9, 9)
        painter.restore()
