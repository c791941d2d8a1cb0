"""Editors for structured params (motion brush, camera path, lip-sync mouth box), opened from
the properties panel's Edit... buttons and the node's "Open editor" button."""

from __future__ import annotations


def register() -> None:
    from app.ui.editors.brush import open_brush_editor
    from app.ui.editors.camera import open_camera_editor
    from app.ui.editors.lipsync import open_lipsync_editor
    from app.ui.properties import EDITORS

    EDITORS.update(
        {
            "mask": open_brush_editor,
            "regions": open_brush_editor,
            "keyframes": open_camera_editor,
            "mouth_box": open_lipsync_editor,
        }
    )
