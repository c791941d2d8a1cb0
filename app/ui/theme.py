"""A dark theme that sits with NodeGraphQt's canvas colours."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

STYLE = """
QMainWindow::separator { background: #2c2c31; width: 6px; height: 6px; }
QMainWindow::separator:hover { background: #4a6a8a; }
QSplitter::handle { background: #2c2c31; }
QSplitter::handle:hover { background: #4a6a8a; }
QDockWidget { color: #ccc; }
QDockWidget::title { background: #2a2a2e; padding: 4px 6px; }
QToolBar { background: #26262a; border: none; spacing: 4px; padding: 2px; }
QToolButton { color: #ddd; padding: 4px 10px; border-radius: 3px; }
QToolButton:hover { background: #3a3a40; }
QToolButton:checked { background: #3d5a80; color: #fff; }
QToolButton:disabled { color: #666; }
QStatusBar { background: #202023; color: #bbb; }
QLineEdit, QPlainTextEdit, QSpinBox, QDoubleSpinBox, QComboBox {
    background: #1c1c1f; color: #ddd; border: 1px solid #3a3a40; border-radius: 3px; padding: 2px 4px; }
QLineEdit:focus, QPlainTextEdit:focus, QSpinBox:focus, QDoubleSpinBox:focus { border-color: #5a7fb0; }
QTreeWidget, QListWidget { background: #1f1f22; color: #ddd; border: none; }
QTreeWidget::item:selected, QListWidget::item:selected { background: #3d5a80; }
QPushButton { background: #34343a; color: #ddd; border: 1px solid #44444b; border-radius: 3px; padding: 3px 10px; }
QPushButton:hover { background: #3f3f46; }
QProgressBar { background: #1c1c1f; border: 1px solid #3a3a40; border-radius: 3px; color: #ddd; text-align: center; }
QProgressBar::chunk { background: #c8962c; }
QMenu { background: #2a2a2e; color: #ddd; }
QMenu::item:selected { background: #3d5a80; }
QMenuBar { background: #26262a; color: #ddd; }
QMenuBar::item:selected { background: #3a3a40; }
QToolTip { background: #2e2e33; color: #eee; border: 1px solid #555; }
"""


def apply_dark(app: QApplication) -> None:
    """Idempotent: setting a style again replaces the QStyle object and re-polishes every live
    widget, which crashed under a long test run with widgets still being torn down."""
    if app.property("reelgraph_theme") == "dark":
        return
    app.setProperty("reelgraph_theme", "dark")
    app.setStyle("Fusion")
    p = QPalette()
    roles = {
        QPalette.Window: (38, 38, 42),
        QPalette.WindowText: (220, 220, 220),
        QPalette.Base: (28, 28, 31),
        QPalette.AlternateBase: (44, 44, 48),
        QPalette.ToolTipBase: (46, 46, 51),
        QPalette.ToolTipText: (235, 235, 235),
        QPalette.Text: (220, 220, 220),
        QPalette.Button: (50, 50, 55),
        QPalette.ButtonText: (220, 220, 220),
        QPalette.Highlight: (61, 90, 128),
        QPalette.HighlightedText: (255, 255, 255),
        QPalette.Link: (110, 160, 230),
        QPalette.PlaceholderText: (120, 120, 125),
    }
    for role, rgb in roles.items():
        p.setColor(role, QColor(*rgb))
    p.setColor(QPalette.Disabled, QPalette.Text, QColor(110, 110, 110))
    p.setColor(QPalette.Disabled, QPalette.ButtonText, QColor(110, 110, 110))
    app.setPalette(p)
    app.setStyleSheet(STYLE)
