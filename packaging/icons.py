"""Draws the app icon (a film frame holding three connected nodes) at the sizes desktops use.
Run once after changing it: python packaging/icons.py; the PNGs are committed in resources/icons."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen

SIZES = (16, 32, 48, 64, 128, 256, 512)
OUT = Path(__file__).resolve().parents[1] / "resources" / "icons"


def draw(size: int) -> QImage:
    img = QImage(size, size, QImage.Format_ARGB32)
    img.fill(Qt.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.Antialiasing)
    s = size / 256
    p.scale(s, s)
    p.setPen(Qt.NoPen)
    p.setBrush(QColor(34, 36, 44))
    p.drawRoundedRect(QRectF(8, 8, 240, 240), 48, 48)
    p.setBrush(QColor(58, 62, 76))
    for y in (22, 214):  # film perforations
        for x in range(34, 230, 36):
            p.drawRoundedRect(QRectF(x, y, 20, 20), 5, 5)
    wire = QPen(QColor(236, 196, 84), 10, Qt.SolidLine, Qt.RoundCap)
    p.setPen(wire)
    path = QPainterPath(QPointF(74, 92))
    path.cubicTo(QPointF(120, 92), QPointF(110, 128), QPointF(150, 128))
    p.drawPath(path)
    path = QPainterPath(QPointF(74, 166))
    path.cubicTo(QPointF(120, 166), QPointF(110, 128), QPointF(150, 128))
    p.drawPath(path)
    p.setPen(Qt.NoPen)
    for (x, y), c in (((44, 70), (88, 170, 230)), ((44, 144), (150, 120, 236)), ((146, 98), (96, 204, 120))):
        p.setBrush(QColor(*c))
        p.drawRoundedRect(QRectF(x, y, 66 if x > 100 else 40, 44 if x < 100 else 60), 10, 10)
    p.end()
    return img


def main() -> int:
    QGuiApplication.instance() or QGuiApplication(sys.argv)
    OUT.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        draw(size).save(str(OUT / f"reelgraph_{size}.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
