"""Editor figures (make bench), offscreen Qt (raster):

1. A 300-node workflow: open (load + validate + model + scene) - target under 1.5 s.
2. Save it - target under 0.2 s.
3. Canvas repaint while panning and zooming: ms per frame over the whole graph in view and
   zoomed in on part of it.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CHAIN = ["prompt", "reference_image", "camera_path", "generator", "upscale", "export"]


def big_workflow(path: Path, nodes: int = 300) -> Path:
    """Shots of prompt + still + camera -> generator -> upscale -> export, plus compares."""
    doc_nodes, links = [], []
    shots = nodes // 6
    for s in range(shots):
        ids = {t: f"{t}_{s}" for t in CHAIN}
        for col, t in enumerate(CHAIN):
            doc_nodes.append(
                {
                    "id": ids[t],
                    "type": t,
                    "params": {"subject": f"shot {s}"} if t == "prompt" else {},
                    "ui": {"pos": [col * 340.0, s * 300.0]},
                }
            )
        links += [
            {"from": [ids["prompt"], "prompt"], "to": [ids["generator"], "prompt"]},
            {"from": [ids["reference_image"], "image"], "to": [ids["generator"], "image"]},
            {"from": [ids["camera_path"], "camera"], "to": [ids["generator"], "camera"]},
            {"from": [ids["generator"], "video"], "to": [ids["upscale"], "media"]},
            {"from": [ids["upscale"], "media"], "to": [ids["export"], "video"]},
        ]
    path.write_text(
        json.dumps(
            {
                "schema": "reelgraph/workflow",
                "version": 1,
                "name": "big",
                "nodes": doc_nodes,
                "links": links,
            }
        )
    )
    return path


def main() -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from app.core.registry import default_registry
    from app.ui.main_window import MainWindow
    from app.ui.theme import apply_dark

    apply_dark(app)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        os.environ["REELGRAPH_STATE_DIR"] = str(tmp / "state")
        os.environ["REELGRAPH_CACHE_DIR"] = str(tmp / "cache")
        wf = big_workflow(tmp / "big.json")
        default_registry()  # node discovery happens once per process, at start-up
        win = MainWindow()
        win.resize(1600, 1000)
        win.show()
        app.processEvents()
        n = len(json.loads(wf.read_text())["nodes"])
        opens = []
        for _ in range(3):
            t0 = time.perf_counter()
            win.open_path(wf)
            app.processEvents()
            opens.append(time.perf_counter() - t0)
            win.doc.set_workflow(win.doc.wf.__class__(), None)
            app.processEvents()
        win.open_path(wf)
        app.processEvents()
        print(
            f"open {n} nodes (file + validate + model + scene + cache lookup): "
            f"best {min(opens) * 1000:.0f} ms, median {statistics.median(opens) * 1000:.0f} ms "
            f"(target < 1500 ms: {'ok' if min(opens) < 1.5 else 'MISSED'})"
        )
        win.doc.set_param("generator_0", "seed", 1)
        saves = []
        for i in range(5):
            win.doc.set_param("generator_0", "seed", i + 2)
            t0 = time.perf_counter()
            win.doc.save(tmp / "saved.json")
            saves.append(time.perf_counter() - t0)
        print(
            f"save {n} nodes (atomic, fsync): best {min(saves) * 1000:.1f} ms, median "
            f"{statistics.median(saves) * 1000:.1f} ms (target < 200 ms: {'ok' if min(saves) < 0.2 else 'MISSED'})"
        )

        viewer = win.bridge.viewer
        vp = viewer.viewport()

        def frames(label: str, step) -> None:
            times = []
            for i in range(60):
                step(i)
                t0 = time.perf_counter()
                vp.repaint()
                times.append(time.perf_counter() - t0)
            print(
                f"repaint while {label}: median {statistics.median(times) * 1000:.1f} ms/frame, "
                f"worst {max(times) * 1000:.1f} ms"
            )

        win.bridge.frame_all()
        app.processEvents()
        frames(
            f"panning with all {n} nodes in view",
            lambda i: viewer.translate(4 if i % 20 < 10 else -4, 3),
        )
        viewer.resetTransform()
        viewer.centerOn(900, 900)
        app.processEvents()
        frames("panning at 100% zoom (a few shots in view)", lambda i: viewer.translate(-6, -4))
        frames(
            "zooming in and out",
            lambda i: viewer.scale(
                1.05 if i % 30 < 15 else 1 / 1.05, 1.05 if i % 30 < 15 else 1 / 1.05
            ),
        )
        win.doc.undo.setClean()
        win.close()
