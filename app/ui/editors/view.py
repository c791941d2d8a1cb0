"""A zoomable, pannable view of an image scene: wheel zooms at the cursor, space-drag or
middle-drag pans, fit and 1:1. Subclasses get image-pixel coordinates for their tools."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView


class ZoomView(QGraphicsView):
    zoom_changed = Signal(float)

    def __init__(self, scene: QGraphicsScene, parent=None) -> None:
        super().__init__(scene, parent)
        self.setRenderHint(QPainter.SmoothPixmapTransform, False)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setBackgroundBrush(Qt.black)
        self.setMouseTracking(True)
        self._space = False
        self._panning: QPointF | None = None

    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, z: float) -> None:
        z = max(0.05, min(32.0, z))
        self.setTransform(self.transform().fromScale(z, z))
        self.zoom_changed.emit(z)

    def fit(self) -> None:
        rect = self.sceneRect()
        if rect.width() > 0:
            self.fitInView(rect, Qt.KeepAspectRatio)
            self.zoom_changed.emit(self.zoom())

    def one_to_one(self) -> None:
        self.set_zoom(1.0)

    def wheelEvent(self, event) -> None:  # noqa: N802
        factor = 1.15 if event.angleDelta().y() > 0 else 1 / 1.15
        self.set_zoom(self.zoom() * factor)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.OpenHandCursor)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
            return
        super().keyReleaseEvent(event)

    def pans(self, event) -> bool:
        return event.button() == Qt.MiddleButton or (
            self._space and event.button() == Qt.LeftButton
        )

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if self.pans(event):
            self._panning = event.position()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._panning is not None:
            d = event.position() - self._panning
            self._panning = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(d.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(d.y()))
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._panning is not None and event.button() in (Qt.MiddleButton, Qt.LeftButton):
            self._panning = None
            return
        super().mouseReleaseEvent(event)

    def image_pos(self, event) -> QPointF:
        """The event's position in image pixels (the scene is in image pixels)."""
        return self.mapToScene(event.position().toPoint())
