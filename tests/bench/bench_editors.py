"""Brush and camera editor figures (make bench), offscreen Qt:

1. Brush stroke latency on a 1920x1080 frame: ms from a mouse move event to the repainted view
   (the dab on the mask, the overlay recomposed for the touched rectangle, the repaint), at a
   few brush sizes.
2. Motion preview turnaround: seconds from Preview to frames ready, for a 1080p frame with a
   painted region and path, 3 s at 24 fps (rendered at the preview size).
3. Camera editor: ms to move the playhead (framing + live low-res render).
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    import cv2
    import numpy as np
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication.instance() or QApplication([])
    from app.core.registry import default_registry
    from app.media.camera import CameraPath
    from app.ui.document import Document
    from app.ui.editors.brush import BrushEditor
    from app.ui.editors.camera import CameraEditor
    from app.ui.editors.context import EditorContext

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    frame = cv2.resize(
        cv2.imread(os.path.join(root, "resources", "media", "coffee.png")), (1920, 1080)
    )
    parent = QWidget()
    reg = default_registry()
    ctx = EditorContext(parent, Document(reg), reg, None, lambda: None)  # type: ignore[arg-type]
    ed = BrushEditor(ctx, "mb", frame, {}, duration=3.0, fps=24.0)
    ed.resize(1600, 1000)
    ed.show()
    app.processEvents()
    ed.view.fit()
    ed.hard_slider.setValue(80)
    vp = ed.view.viewport()
    for size in (10, 40, 120):
        ed.set_size(size)
        times = []
        start = ed.view.mapFromScene(QPointF(300, 540))
        QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, start)
        for i in range(1, 121):
            p = ed.view.mapFromScene(QPointF(300 + i * 10, 540 + 200 * np.sin(i / 12)))
            t0 = time.perf_counter()
            QTest.mouseMove(vp, p)
            vp.repaint()
            times.append(time.perf_counter() - t0)
        QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, p)
        print(
            f"brush stroke at 1080p, radius {size:3d} px: median {statistics.median(times) * 1000:.1f} ms, "
            f"95th percentile {np.percentile(times, 95) * 1000:.1f} ms from mouse move to repaint"
        )

    # a region and a path, then the preview
    ed.add_region()
    ed.set_size(150)
    vp_pt = [ed.view.mapFromScene(QPointF(x, 300)) for x in (300, 900, 1500)]
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, vp_pt[0])
    for p in vp_pt[1:]:
        QTest.mouseMove(vp, p)
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, vp_pt[-1])
    ed.layers[1].trajectory = [[300.0, 420.0], [900.0, 380.0], [1500.0, 420.0]]
    turnarounds = []
    for _ in range(3):
        ed.last_preview_seconds = None
        t0 = time.perf_counter()
        ed.run_preview()
        while getattr(ed, "last_preview_seconds", None) is None:
            app.processEvents()
            time.sleep(0.005)
        turnarounds.append(time.perf_counter() - t0)
    first, last = ed.preview.frames[0].toImage(), ed.preview.frames[36].toImage()
    moving = ed.layers[1].mask.mean() / 255
    assert first != last, "the preview should move"
    print(f"   (painted region covers {moving:.0%} of the frame; the preview frames move)")
    print(
        f"motion preview, 1080p frame, 3 s at 24 fps (72 frames at {ed.preview.frames[0].width()} px wide): "
        f"best {min(turnarounds):.2f} s, median {statistics.median(turnarounds):.2f} s (target about 2 s)"
    )
    ed.close()

    params = type(
        "P",
        (),
        {
            "preset": "custom",
            "intensity": 1.0,
            "fov_deg": 50.0,
            "keyframes": CameraPath.model_validate(
                {"keyframes": [{"t": 0}, {"t": 1, "zoom": 1.4, "pan": 4}]}
            ).keyframes,
        },
    )()
    cam = CameraEditor(ctx, "cam", params, frame, (1920, 1080), 5.0, 24.0)
    cam.show()
    app.processEvents()
    times = []
    for i in range(120):
        t0 = time.perf_counter()
        cam.set_playhead(i / 119)
        app.processEvents()
        times.append(time.perf_counter() - t0)
    print(
        f"camera editor playhead (framing + {cam.live.pixmap().width()} px live render): "
        f"median {statistics.median(times) * 1000:.1f} ms per step"
    )
    cam.close()
