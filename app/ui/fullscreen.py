"""Full screen for a dock's player (the Preview, the Viewer) and back into its dock."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QWidget


def toggle_fullscreen(widget: QWidget) -> bool:
    """The widget alone on the screen, or back in the dock it came from; True when now full screen.
    The widget keeps ``fullscreen`` (bool) and ``_dock`` (the dock to return to)."""
    if not getattr(widget, "fullscreen", False):
        dock = widget.parentWidget()
        while dock is not None and not isinstance(dock, QDockWidget):
            dock = dock.parentWidget()
        widget._dock = dock  # type: ignore[attr-defined]
        widget.setParent(None)
        widget.setWindowFlags(Qt.Window)
        widget.showFullScreen()
        widget.fullscreen = True  # type: ignore[attr-defined]
    else:
        widget.fullscreen = False  # type: ignore[attr-defined]
        widget.showNormal()
        if getattr(widget, "_dock", None) is not None:
            widget._dock.setWidget(widget)  # type: ignore[attr-defined]
        widget.show()
    return widget.fullscreen  # type: ignore[attr-defined]
