"""The Qt binding must not leak references to None: PySide6 6.12.0 under Python 3.11 dropped
one on every void method call, which aborted the editor ("deallocating None") after a few
minutes of painting. pyproject pins a version without it; this keeps the pin honest."""

import sys

from PySide6 import QtCore, QtGui


def test_void_methods_keep_the_reference_count_of_none(qapp):
    img = QtGui.QImage(32, 32, QtGui.QImage.Format_ARGB32)
    painter = QtGui.QPainter(img)
    pen = QtGui.QPen(QtGui.QColor(1, 2, 3), 1.0)
    before = sys.getrefcount(None)
    for _ in range(2000):
        pen.setCosmetic(False)
        painter.setPen(pen)
        painter.setBrush(QtCore.Qt.NoBrush)
    after = sys.getrefcount(None)
    painter.end()
    assert abs(after - before) < 50, (
        f"PySide6 {QtCore.__version__} leaks None references ({after - before})"
    )
