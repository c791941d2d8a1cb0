"""The motion brush editor: paint a freeze mask and up to 6 motion regions on the frame the node
paints on, draw each region's path, preview the motion locally, Apply as one graph edit."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QIcon,
    QImage,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QPolygonF,
    QShortcut,
    QUndoCommand,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QColorDialog,
    QDialog,
    QDialogButtonBox,
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSlider,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core import edits
from app.media import paint
from app.media.images import load_image
from app.media.masks import decode_mask, encode_mask
from app.ui.editors.context import EditorContext, InputUnavailable
from app.ui.editors.view import ZoomView
from app.ui.preview import PreviewPanel
from app.ui.thumbs import to_qimage

MAX_REGIONS = 6
PALETTE = [
    (80, 170, 255),
    (255, 150, 60),
    (120, 220, 120),
    (240, 90, 200),
    (250, 220, 80),
    (90, 220, 220),
]
STATIC_COLOUR = (235, 70, 70)
PREVIEW_WIDTH = 480


@dataclass
class Layer:
    name: str
    mask: np.ndarray  # uint8, 255 where painted
    colour: tuple[int, int, int]
    static: bool = False
    visible: bool = True
    trajectory: list[list[float]] = field(default_factory=list)


# -- undo steps inside the editor --------------------------------------------------------------------


class _Patch(QUndoCommand):
    """A rectangle of one layer's mask, before and after a stroke or a fill."""

    def __init__(
        self,
        ed: BrushEditor,
        layer: Layer,
        box: tuple[int, int, int, int],
        before: np.ndarray,
        after: np.ndarray,
        text: str,
    ) -> None:
        super().__init__(text)
        self.ed, self.layer, self.box, self.before, self.after = ed, layer, box, before, after
        self.first = True

    def _put(self, data: np.ndarray) -> None:
        x0, y0, x1, y1 = self.box
        self.layer.mask[y0:y1, x0:x1] = data
        self.ed.refresh_overlay(self.box)

    def redo(self) -> None:
        if self.first:  # the stroke is already on the mask
            self.first = False
            return
        self._put(self.after)

    def undo(self) -> None:
        self._put(self.before)


class _State(QUndoCommand):
    """Layers and paths as a whole (add/remove/rename/recolour layers, path edits)."""

    def __init__(self, ed: BrushEditor, before: list[Layer], after: list[Layer], text: str) -> None:
        super().__init__(text)
        self.ed, self.before, self.after = ed, before, after

    def redo(self) -> None:
        self.ed.set_layers(self.after)

    def undo(self) -> None:
        self.ed.set_layers(self.before)


def _copy_layers(layers: list[Layer]) -> list[Layer]:
    # masks are shared: only strokes change them, and strokes have their own undo patches
    return [
        Layer(lr.name, lr.mask, lr.colour, lr.static, lr.visible, [list(p) for p in lr.trajectory])
        for lr in layers
    ]


# -- the picture ---------------------------------------------------------------------------------------


class OverlayItem(QGraphicsItem):
    """All layers composited into one ARGB image the size of the frame; strokes recompose only
    the rectangle they touched."""

    def __init__(self, w: int, h: int) -> None:
        super().__init__()
        self.buf = np.zeros((h, w, 4), np.uint8)  # BGRA in memory = Format_ARGB32 on little-endian
        self.image = QImage(self.buf.data, w, h, 4 * w, QImage.Format_ARGB32)
        self.w, self.h = w, h

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(0, 0, self.w, self.h)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        r = option.exposedRect.toAlignedRect().intersected(self.boundingRect().toRect())
        painter.drawImage(r, self.image, r)


class PathItem(QGraphicsPathItem):
    def __init__(self, colour: QColor) -> None:
        super().__init__()
        pen = QPen(colour, 2.5)
        pen.setCosmetic(True)
        self.setPen(pen)
        self.setBrush(QBrush(colour))
        self.setZValue(5)


class Handle(QGraphicsEllipseItem):
    R = 6.0

    def __init__(self, colour: QColor, index: int) -> None:
        super().__init__(-self.R, -self.R, 2 * self.R, 2 * self.R)
        self.index = index
        self.setFlag(QGraphicsItem.ItemIgnoresTransformations)  # same size on screen at any zoom
        self.setBrush(QBrush(colour))
        self.setPen(QPen(QColor(20, 20, 20), 1.5))
        self.setZValue(6)


class Canvas(ZoomView):
    """Mouse handling for the tools; everything it does goes back to the editor."""

    hovered = Signal(QPointF)

    def __init__(self, ed: BrushEditor, scene: QGraphicsScene) -> None:
        super().__init__(scene)
        self.ed = ed
        self.setFocusPolicy(Qt.StrongFocus)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if self.pans(event):
            super().mousePressEvent(event)
            return
        self.ed.press(self.image_pos(event), event.button())

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._panning is not None:
            super().mouseMoveEvent(event)
            return
        pos = self.image_pos(event)
        self.hovered.emit(pos)
        self.ed.move(pos, bool(event.buttons() & Qt.LeftButton))

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._panning is not None:
            super().mouseReleaseEvent(event)
            return
        self.ed.release(self.image_pos(event))

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key_BracketLeft:
            self.ed.set_size(self.ed.size / 1.25)
        elif event.key() == Qt.Key_BracketRight:
            self.ed.set_size(self.ed.size * 1.25)
        elif event.key() in (Qt.Key_Delete, Qt.Key_Backspace):
            self.ed.delete_point()
        else:
            super().keyPressEvent(event)


TOOL_HINTS = {
    "brush": "Paint the region with the left button; [ and ] change the size; space-drag or middle-drag pans.",
    "eraser": "Erase with the left button; [ and ] change the size.",
    "fill": "Click inside a closed outline to fill it.",
    "path": "Click to add points of the region's path (it moves along them, first to last); drag a point to move "
    "it; Delete removes the selected point.",
}


class BrushEditor(QDialog):
    TOOLS = ("brush", "eraser", "fill", "path")
    preview_ready = Signal(list, float, str)

    def __init__(
        self,
        ctx: EditorContext,
        node_id: str,
        frame: np.ndarray,
        params: dict[str, Any],
        duration: float = 3.0,
        fps: float = 24.0,
        frame_rect: tuple[float, float, float, float] | None = None,
    ) -> None:
        super().__init__(ctx.parent)
        self.ctx, self.node_id, self.frame = ctx, node_id, frame
        self.duration, self.fps = duration, fps
        self.setWindowTitle(f"Motion brush - {node_id}")
        self.resize(1400, 860)
        h, w = frame.shape[:2]
        self.w, self.h = w, h
        self.undo = QUndoStack(self)
        self.tool = "brush"
        self.size = max(4.0, round(min(w, h) / 20))
        self.hardness = 0.8
        self.current = 0
        self.loop = bool(params.get("loop"))
        self._stroke: dict[str, Any] | None = None
        self._drag_point: int | None = None
        self._path_before: list[Layer] | None = None
        self.selected_point: int | None = None
        self.layers = self._layers_from(params)

        self.scene = QGraphicsScene(self)
        self.scene.setSceneRect(0, 0, w, h)
        self.picture = QGraphicsPixmapItem(QPixmap.fromImage(to_qimage(frame)))
        self.scene.addItem(self.picture)
        self.overlay = OverlayItem(w, h)
        self.overlay.setOpacity(0.55)
        self.scene.addItem(self.overlay)
        # what the shot shows of the still (its start framing): the rest is dimmed, so no one
        # paints motion that is never seen
        self.frame_rect = frame_rect
        if frame_rect is not None:
            from PySide6.QtCore import QRectF
            from PySide6.QtWidgets import QGraphicsPathItem

            outside = QPainterPath()
            outside.addRect(QRectF(0, 0, w, h))
            inside = QPainterPath()
            inside.addRect(QRectF(*frame_rect))
            self.outside_item = QGraphicsPathItem(outside.subtracted(inside))
            self.outside_item.setBrush(QColor(0, 0, 0, 150))
            self.outside_item.setPen(QPen(Qt.NoPen))
            self.outside_item.setZValue(7)
            self.scene.addItem(self.outside_item)
            edge = QGraphicsRectItem(QRectF(*frame_rect))
            edge_pen = QPen(QColor(255, 200, 60), 1.5, Qt.DashLine)
            edge_pen.setCosmetic(True)
            edge.setPen(edge_pen)
            edge.setZValue(8)
            self.scene.addItem(edge)
        self.cursor_item = QGraphicsEllipseItem()
        pen = QPen(QColor(255, 255, 255), 1.2)
        pen.setCosmetic(True)
        self.cursor_item.setPen(pen)
        self.cursor_item.setZValue(10)
        self.scene.addItem(self.cursor_item)
        self.path_items: list[QGraphicsItem] = []
        self.view = Canvas(self, self.scene)
        self.view.hovered.connect(self._hover)
        self._build_ui()
        self.set_layers(self.layers)
        self.preview_ready.connect(self._preview_done)
        self._auto = QTimer(self)
        self._auto.setSingleShot(True)
        self._auto.setInterval(800)
        self._auto.timeout.connect(self.run_preview)
        self.undo.indexChanged.connect(self._edited)
        QTimer.singleShot(0, self.view.fit)

    # -- state ---------------------------------------------------------------------------------------------
    def _layers_from(self, params: dict[str, Any]) -> list[Layer]:
        blank = np.zeros((self.h, self.w), np.uint8)

        def mask(data: str | None) -> np.ndarray:
            if not data:
                return blank.copy()
            m = decode_mask(data)
            # a mask painted on another image is scaled to this one rather than thrown away
            return (
                m
                if m.shape == blank.shape
                else cv2.resize(m, (self.w, self.h), interpolation=cv2.INTER_NEAREST)
            )

        layers = [
            Layer("Freeze (static)", mask(params.get("static_mask")), STATIC_COLOUR, static=True)
        ]
        for i, r in enumerate(params.get("regions") or []):
            r = r if isinstance(r, dict) else r.model_dump()
            layers.append(
                Layer(
                    r.get("name") or f"region {i + 1}",
                    mask(r.get("mask")),
                    PALETTE[i % len(PALETTE)],
                    trajectory=[list(map(float, p)) for p in r.get("trajectory", [])],
                )
            )
        return layers

    def set_layers(self, layers: list[Layer]) -> None:
        self.layers = layers
        self.current = min(self.current, len(layers) - 1)
        self._fill_list()
        self.refresh_overlay()
        self.refresh_paths()

    def layer(self) -> Layer:
        return self.layers[self.current]

    def params(self) -> dict[str, Any]:
        """The node params this editor's content stands for."""
        static = self.layers[0].mask
        regions = [
            {
                "name": lr.name,
                "mask": encode_mask(lr.mask),
                "trajectory": [[round(x, 2), round(y, 2)] for x, y in lr.trajectory],
            }
            for lr in self.layers[1:]
        ]
        return {
            "static_mask": encode_mask(static) if static.any() else None,
            "regions": regions,
            "loop": self.loop,
        }

    def problems(self) -> list[str]:
        out = []
        for lr in self.layers[1:]:
            if len(lr.trajectory) < 2:
                out.append(
                    f"'{lr.name}' needs a path of at least 2 points (Path tool: click on the frame)"
                )
            elif not lr.mask.any():
                out.append(f"'{lr.name}' has a path but no painted area")
        return out

    # -- ui -------------------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        tools = QHBoxLayout()
        self.tool_buttons = QButtonGroup(self)
        for key, (tool, label) in zip(
            "BEGP",
            (("brush", "Brush"), ("eraser", "Eraser"), ("fill", "Fill"), ("path", "Path")),
            strict=True,
        ):
            b = QToolButton()
            b.setText(f"{label} ({key})")
            b.setCheckable(True)
            b.setObjectName(f"tool_{tool}")
            b.clicked.connect(lambda _=False, t=tool: self.set_tool(t))
            QShortcut(QKeySequence(key), self, activated=lambda t=tool: self.set_tool(t))
            self.tool_buttons.addButton(b)
            tools.addWidget(b)
            if tool == "brush":
                b.setChecked(True)
        self.size_slider = QSlider(Qt.Horizontal)
        self.size_slider.setRange(1, 400)
        self.size_slider.setValue(int(self.size))
        self.size_slider.valueChanged.connect(lambda v: self.set_size(float(v)))
        self.size_label = QLabel()
        self.hard_slider = QSlider(Qt.Horizontal)
        self.hard_slider.setRange(0, 100)
        self.hard_slider.setValue(int(self.hardness * 100))
        self.hard_slider.valueChanged.connect(lambda v: setattr(self, "hardness", v / 100))
        self.hard_slider.setToolTip(
            "Hardness: how soft the brush edge is while painting (masks are stored on/off; "
            "the engine feathers region edges)"
        )
        tools.addWidget(QLabel("Size"))
        tools.addWidget(self.size_slider, 1)
        tools.addWidget(self.size_label)
        tools.addWidget(QLabel("Hardness"))
        tools.addWidget(self.hard_slider)
        for text, slot in (
            ("Invert", self.invert),
            ("Clear", self.clear),
            ("Fit", self.view.fit),
            ("1:1", self.view.one_to_one),
        ):
            b = QPushButton(text)
            b.setObjectName(f"btn_{text.lower()}")
            b.clicked.connect(slot)
            tools.addWidget(b)
        undo_b = QPushButton("Undo")
        undo_b.clicked.connect(self.undo.undo)
        redo_b = QPushButton("Redo")
        redo_b.clicked.connect(self.undo.redo)
        tools.addWidget(undo_b)
        tools.addWidget(redo_b)
        # brush size keys answer wherever the focus is in the editor (after clicking Add region too)
        QShortcut(QKeySequence("["), self, activated=lambda: self.set_size(self.size / 1.25))
        QShortcut(QKeySequence("]"), self, activated=lambda: self.set_size(self.size * 1.25))
        QShortcut(QKeySequence.Undo, self, activated=self.undo.undo)
        QShortcut(QKeySequence("Ctrl+Shift+Z"), self, activated=self.undo.redo)
        QShortcut(QKeySequence.Redo, self, activated=self.undo.redo)

        # layers panel
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._select_layer)
        self.list.itemChanged.connect(self._visibility)
        add_b, rm_b, ren_b, col_b = (
            QPushButton(t) for t in ("Add region", "Remove", "Rename...", "Colour...")
        )
        add_b.clicked.connect(self.add_region)
        add_b.setObjectName("add_region")
        rm_b.clicked.connect(self.remove_region)
        ren_b.clicked.connect(self.rename_region)
        col_b.clicked.connect(self.recolour)
        self.opacity = QSlider(Qt.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(55)
        self.opacity.valueChanged.connect(lambda v: self.overlay.setOpacity(v / 100))
        self.see_through = QCheckBox("See-through (outlines only)")
        self.see_through.toggled.connect(lambda *_: self.refresh_overlay())
        self.loop_box = QCheckBox("Loop seamlessly")
        self.loop_box.setChecked(self.loop)
        self.loop_box.toggled.connect(self._set_loop)
        self.preview_btn = QPushButton("Preview motion")
        self.preview_btn.clicked.connect(self.run_preview)
        self.auto_box = QCheckBox("Auto-refresh")
        self.preview = PreviewPanel()
        self.preview.title.setText("Preview: painted motion, rendered locally at low resolution")
        side = QVBoxLayout()
        side.addWidget(QLabel("Layers"))
        side.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(add_b)
        row.addWidget(rm_b)
        side.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(ren_b)
        row.addWidget(col_b)
        side.addLayout(row)
        side.addWidget(QLabel("Overlay opacity"))
        side.addWidget(self.opacity)
        side.addWidget(self.see_through)
        side.addWidget(self.loop_box)
        row = QHBoxLayout()
        row.addWidget(self.preview_btn)
        row.addWidget(self.auto_box)
        side.addLayout(row)
        side.addWidget(self.preview, 2)
        side_w = QWidget()
        side_w.setLayout(side)
        split = QSplitter()
        split.addWidget(self.view)
        split.addWidget(side_w)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        self.status = QLabel(
            "Paint with the left button; [ and ] change the size; space-drag or middle-drag pans."
        )
        buttons = QDialogButtonBox(QDialogButtonBox.Apply | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Apply).clicked.connect(self.apply)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(tools)
        layout.addWidget(split, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(buttons)
        layout.addLayout(bottom)
        self.set_size(self.size)

    def _fill_list(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for lr in self.layers:
            pm = QPixmap(14, 14)
            pm.fill(QColor(*lr.colour))
            item = QListWidgetItem(
                QIcon(pm), lr.name + ("" if lr.static or len(lr.trajectory) >= 2 else "  (no path)")
            )
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if lr.visible else Qt.Unchecked)
            item.setToolTip("Checked: shown. Uncheck to hide the layer while you paint others.")
            self.list.addItem(item)
        self.list.setCurrentRow(self.current)
        self.list.blockSignals(False)

    def _select_layer(self, row: int) -> None:
        if 0 <= row < len(self.layers):
            self.current = row
            self.selected_point = None
            self.refresh_paths()

    def _visibility(self, item: QListWidgetItem) -> None:
        row = self.list.row(item)
        if 0 <= row < len(self.layers):
            self.layers[row].visible = item.checkState() == Qt.Checked
            self.refresh_overlay()
            self.refresh_paths()

    def _set_loop(self, on: bool) -> None:
        self.loop = on
        self._edited()

    def set_tool(self, tool: str) -> None:
        self.tool = tool
        for b in self.tool_buttons.buttons():
            b.setChecked(b.objectName() == f"tool_{tool}")
        if tool == "path" and self.current == 0 and len(self.layers) > 1:
            self.list.setCurrentRow(1)  # the freeze mask has no path
        self.cursor_item.setVisible(tool in ("brush", "eraser"))
        self.status.setText(TOOL_HINTS[tool])
        self.refresh_paths()
        self.view.setFocus()  # [ and ] answer at once, whatever button was clicked

    def set_size(self, size: float) -> None:
        self.size = float(max(1.0, min(400.0, size)))
        self.size_slider.blockSignals(True)
        self.size_slider.setValue(int(round(self.size)))
        self.size_slider.blockSignals(False)
        self.size_label.setText(f"{self.size:.0f} px")
        r = self.size
        c = (
            self.cursor_item.rect().center()
            if self.cursor_item.rect().width()
            else QPointF(-1000, -1000)
        )
        self.cursor_item.setRect(c.x() - r, c.y() - r, 2 * r, 2 * r)

    def _hover(self, pos: QPointF) -> None:
        r = self.size
        self.cursor_item.setRect(pos.x() - r, pos.y() - r, 2 * r, 2 * r)

    # -- layers ---------------------------------------------------------------------------------------------
    def add_region(self) -> None:
        if len(self.layers) - 1 >= MAX_REGIONS:
            self.status.setText(f"At most {MAX_REGIONS} motion regions.")
            return
        used = {lr.colour for lr in self.layers}
        colour = next((c for c in PALETTE if c not in used), PALETTE[0])
        n = len(self.layers)
        after = _copy_layers(self.layers) + [
            Layer(f"region {n}", np.zeros((self.h, self.w), np.uint8), colour)
        ]
        self.current = len(after) - 1
        self.undo.push(_State(self, _copy_layers(self.layers), after, "add region"))
        self.view.setFocus()  # back to painting: [ and ] work right after Add region

    def remove_region(self) -> None:
        if self.current == 0:
            self.status.setText("The freeze mask stays; clear it instead.")
            return
        after = _copy_layers(self.layers)
        del after[self.current]
        self.undo.push(_State(self, _copy_layers(self.layers), after, "remove region"))

    def rename_region(self, name: str | None = None) -> None:
        if self.current == 0:
            return
        if name is None:
            name, ok = QInputDialog.getText(self, "Rename region", "Name:", text=self.layer().name)
            if not ok:
                return
        after = _copy_layers(self.layers)
        after[self.current].name = name.strip()[:80] or after[self.current].name
        self.undo.push(_State(self, _copy_layers(self.layers), after, "rename region"))

    def recolour(self, colour: QColor | None = None) -> None:
        colour = colour or QColorDialog.getColor(QColor(*self.layer().colour), self, "Layer colour")
        if colour.isValid():
            after = _copy_layers(self.layers)
            after[self.current].colour = (colour.red(), colour.green(), colour.blue())
            self.undo.push(_State(self, _copy_layers(self.layers), after, "recolour"))

    # -- painting -------------------------------------------------------------------------------------------
    def _segment(self, a: QPointF, b: QPointF) -> None:
        st = self._stroke
        assert st is not None
        box = paint.segment(
            self.layer().mask,
            st["stamp"],
            (a.x(), a.y()),
            (b.x(), b.y()),
            self.size / 4,
            st["erase"],
        )
        if box is not None:
            st["box"] = paint.union(st["box"], box)
            self.refresh_overlay(box)

    def press(self, pos: QPointF, button) -> None:
        lr = self.layer()
        if self.tool == "path":
            self._path_press(pos, button)
            return
        if button != Qt.LeftButton:
            return
        if not lr.visible:
            self.status.setText(f"'{lr.name}' is hidden; show it to paint on it.")
            return
        if self.tool == "fill":
            before = lr.mask.copy()
            paint.fill(lr.mask, int(pos.x()), int(pos.y()))
            self._push_patch(lr, before, "fill")
            return
        self._stroke = {
            "before": lr.mask.copy(),
            "stamp": paint.stamp(self.size, self.hardness),
            "erase": self.tool == "eraser",
            "last": pos,
            "box": None,
        }
        self._segment(pos, pos)

    def move(self, pos: QPointF, left_down: bool) -> None:
        if self.tool == "path":
            if self._drag_point is not None and left_down:
                lr = self.layer()
                lr.trajectory[self._drag_point] = [_clamp(pos.x(), self.w), _clamp(pos.y(), self.h)]
                self.refresh_paths()
            return
        if self._stroke is not None and left_down:
            self._segment(self._stroke["last"], pos)
            self._stroke["last"] = pos

    def release(self, pos: QPointF) -> None:
        if self.tool == "path":
            if self._drag_point is not None and self._path_before is not None:
                self.undo.push(
                    _State(self, self._path_before, _copy_layers(self.layers), "move point")
                )
            self._drag_point, self._path_before = None, None
            return
        if self._stroke is not None:
            st, self._stroke = self._stroke, None
            self._push_patch(
                self.layer(), st["before"], "erase" if st["erase"] else "paint", st["box"]
            )

    def _push_patch(
        self, lr: Layer, before: np.ndarray, text: str, box: paint.Box | None = None
    ) -> None:
        box = paint.changed_box(before, lr.mask, box)
        if box is None:
            return
        x0, y0, x1, y1 = box
        self.refresh_overlay(box)
        self.undo.push(
            _Patch(self, lr, box, before[y0:y1, x0:x1].copy(), lr.mask[y0:y1, x0:x1].copy(), text)
        )

    def invert(self) -> None:
        lr = self.layer()
        before = lr.mask.copy()
        np.subtract(255, lr.mask, out=lr.mask)
        self._push_patch(lr, before, "invert", (0, 0, self.w, self.h))

    def clear(self) -> None:
        lr = self.layer()
        before = lr.mask.copy()
        lr.mask[:] = 0
        self._push_patch(lr, before, "clear", (0, 0, self.w, self.h))

    # -- paths ----------------------------------------------------------------------------------------------
    def _point_at(self, pos: QPointF) -> int | None:
        tol = Handle.R * 1.6 / max(1e-6, self.view.zoom())  # handles are a fixed size on screen
        for i, (x, y) in enumerate(self.layer().trajectory):
            if abs(x - pos.x()) <= tol and abs(y - pos.y()) <= tol:
                return i
        return None

    def _path_press(self, pos: QPointF, button) -> None:
        lr = self.layer()
        if lr.static:
            self.status.setText("The freeze mask has no path: pick a motion region (or add one).")
            return
        hit = self._point_at(pos)
        if button == Qt.RightButton:
            if hit is not None:
                self.selected_point = hit
                self.delete_point()
            return
        if button != Qt.LeftButton:
            return
        if hit is not None:
            self.selected_point = hit
            self._drag_point = hit
            self._path_before = _copy_layers(self.layers)
            self.refresh_paths()
            return
        if len(lr.trajectory) >= 77:
            self.status.setText("A path has at most 77 points.")
            return
        after = _copy_layers(self.layers)
        after[self.current].trajectory.append([_clamp(pos.x(), self.w), _clamp(pos.y(), self.h)])
        self.selected_point = len(after[self.current].trajectory) - 1
        self.undo.push(_State(self, _copy_layers(self.layers), after, "add point"))

    def delete_point(self) -> None:
        lr = self.layer()
        if self.selected_point is None or not (0 <= self.selected_point < len(lr.trajectory)):
            return
        after = _copy_layers(self.layers)
        del after[self.current].trajectory[self.selected_point]
        self.selected_point = None
        self.undo.push(_State(self, _copy_layers(self.layers), after, "delete point"))

    def refresh_paths(self) -> None:
        for item in self.path_items:
            self.scene.removeItem(item)
        self.path_items = []
        for idx, lr in enumerate(self.layers):
            if lr.static or not lr.visible or not lr.trajectory:
                continue
            colour = QColor(*lr.colour)
            pts = [QPointF(x, y) for x, y in lr.trajectory]
            path = QPainterPath(pts[0])
            for p in pts[1:]:
                path.lineTo(p)
            head = 10.0 / max(0.05, self.view.zoom())
            if len(pts) >= 2:
                path.addPolygon(_arrow_head(pts[-2], pts[-1], head))
            for a, b in zip(pts, pts[1:], strict=False):  # which way each segment runs
                mid = (a + b) / 2
                if (b - a).manhattanLength() > 3 * head:
                    path.addPolygon(_arrow_head(a, mid, head * 0.7))
            item = PathItem(colour)
            item.setPath(path)
            self.scene.addItem(item)
            self.path_items.append(item)
            if idx == self.current and self.tool == "path":
                for i, p in enumerate(pts):
                    h = Handle(
                        colour.lighter(130) if i != self.selected_point else QColor(255, 255, 255),
                        i,
                    )
                    h.setPos(p)
                    self.scene.addItem(h)
                    self.path_items.append(h)

    # -- overlay -----------------------------------------------------------------------------------------------
    def refresh_overlay(self, box: paint.Box | None = None) -> None:
        x0, y0, x1, y1 = box or (0, 0, self.w, self.h)
        box = (max(0, x0 - 1), max(0, y0 - 1), min(self.w, x1 + 1), min(self.h, y1 + 1))
        outline = self.see_through.isChecked() if hasattr(self, "see_through") else False
        paint.overlay(
            self.overlay.buf,
            [(lr.mask, lr.colour) for lr in self.layers if lr.visible],
            box,
            outline,
        )
        self.overlay.update(QRectF(box[0], box[1], box[2] - box[0], box[3] - box[1]))

    # -- preview ------------------------------------------------------------------------------------------------
    def _edited(self, *_: Any) -> None:
        self._fill_list()
        if self.auto_box.isChecked():
            self._auto.start()

    def run_preview(self) -> None:
        """Render the painted motion with the local engine at a reduced size, on a thread."""
        problems = self.problems()
        if problems:
            self.preview.title.setText("Preview: " + "; ".join(problems))
            return
        scale = min(1.0, PREVIEW_WIDTH / self.w)
        size = (max(2, round(self.w * scale) // 2 * 2), max(2, round(self.h * scale) // 2 * 2))
        small = cv2.resize(self.frame, size, interpolation=cv2.INTER_AREA)
        sx, sy = size[0] / self.w, size[1] / self.h

        def shrink(m: np.ndarray) -> str:
            return encode_mask(cv2.resize(m, size, interpolation=cv2.INTER_NEAREST))

        doc = {
            "width": size[0],
            "height": size[1],
            "loop": self.loop,
            "static_mask": shrink(self.layers[0].mask) if self.layers[0].mask.any() else None,
            "regions": [
                {
                    "name": lr.name,
                    "mask": shrink(lr.mask),
                    "trajectory": [[x * sx, y * sy] for x, y in lr.trajectory],
                }
                for lr in self.layers[1:]
            ],
        }
        count = max(2, round(self.duration * self.fps))
        self.preview_btn.setEnabled(False)
        self.preview.title.setText(f"Preview: rendering {count} frames at {size[0]}x{size[1]}...")
        self._t0 = time.monotonic()

        def work() -> None:
            try:
                from app.media.motion import MotionAnimator

                anim = MotionAnimator.from_document(doc, small, count)
                crop = None
                if self.frame_rect is not None:  # what the shot shows of it, as the brush area dims
                    x, y, w, h = (v * scale for v in self.frame_rect)
                    x0, y0 = max(0, int(round(x))), max(0, int(round(y)))
                    crop = (
                        slice(y0, max(y0 + 2, int(round(y + h)))),
                        slice(x0, max(x0 + 2, int(round(x + w)))),
                    )
                frames = [
                    to_qimage(np.ascontiguousarray(anim(i)[crop] if crop else anim(i)))
                    for i in range(count)
                ]
                self.preview_ready.emit(frames, self.fps, "")
            except Exception as e:  # noqa: BLE001 - shown in the preview
                self.preview_ready.emit([], 0.0, str(e))

        threading.Thread(target=work, daemon=True, name="reelgraph-brush-preview").start()

    def _preview_done(self, frames: list, fps: float, error: str) -> None:
        self.preview_btn.setEnabled(True)
        if error:
            self.preview.title.setText(f"Preview failed: {error}")
            return
        took = time.monotonic() - self._t0
        self.last_preview_seconds = took
        self.preview.show_frames(
            f"Preview ({len(frames)} frames, made in {took:.1f} s)", frames, fps
        )

    # -- finishing -----------------------------------------------------------------------------------------------
    def apply(self) -> bool:
        problems = self.problems()
        if problems:
            QMessageBox.warning(
                self, "Motion brush", "Cannot apply yet:\n- " + "\n- ".join(problems)
            )
            return False
        node = self.ctx.doc.wf.node(self.node_id)
        if node is None:
            self.reject()
            return False
        new = dict(node.params, **self.params())
        if new != node.params:
            self.ctx.doc.push([edits.set_params(self.node_id, new)], "edit motion brush")
        self.accept()
        return True


def _clamp(v: float, n: int) -> float:
    return float(min(max(v, 0.0), n - 1))


def _arrow_head(a: QPointF, b: QPointF, size: float) -> QPolygonF:
    d = b - a
    length = max(1e-6, (d.x() ** 2 + d.y() ** 2) ** 0.5)
    ux, uy = d.x() / length, d.y() / length
    left = QPointF(b.x() - size * ux + size * 0.5 * uy, b.y() - size * uy - size * 0.5 * ux)
    right = QPointF(b.x() - size * ux - size * 0.5 * uy, b.y() - size * uy + size * 0.5 * ux)
    return QPolygonF([b, left, right, b])


def open_brush_editor(ctx: EditorContext, node_id: str, field_name: str, value: Any) -> None:
    """From the motion_brush node's Edit...: the frame comes from its image input."""
    node = ctx.doc.wf.node(node_id)
    if node is None:
        return None
    try:
        image = ctx.input_value(node_id, "image")
    except InputUnavailable as e:
        QMessageBox.warning(
            ctx.parent, "Motion brush", f"The frame to paint on could not be made:\n{e}"
        )
        return None
    if image is None:
        QMessageBox.information(
            ctx.parent,
            "Motion brush",
            "Connect an image to the motion brush's 'image' input "
            "first: the brush paints on that frame.",
        )
        return None
    frame = load_image(image.path)
    duration, fps, rect = 3.0, 24.0, None
    for gen, _ in ctx.downstream(node_id, "generator"):
        p = ctx.params(gen)
        duration, fps = float(getattr(p, "duration", duration)), float(getattr(p, "fps", fps))
        if hasattr(p, "framing"):
            rect = p.framing().rect((p.width, p.height), (frame.shape[1], frame.shape[0]))
        break
    ed = BrushEditor(ctx, node_id, frame, dict(node.params), duration, fps, rect)
    ctx.show(ed)
    return None
