"""Viewer figures (make bench), offscreen Qt: four 1080p H.264 clips at 24 fps played
frame-locked from the moment they are added (proxies decoding on worker threads while it plays):
dropped frames (the clock passed a frame), late frames (a proxy not decoded in time), frames
shown per second, and paint time per frame."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def make_clip(path: Path, seed: int, seconds: float = 5.0) -> Path:
    import av
    import cv2
    import numpy as np

    root = Path(__file__).resolve().parents[2]
    base = cv2.resize(cv2.imread(str(root / "resources" / "media" / "coffee.png")), (2200, 1240))
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=24, options={"crf": "20", "preset": "ultrafast"})
        s.width, s.height, s.pix_fmt = 1920, 1080, "yuv420p"
        for i in range(int(seconds * 24)):
            x = int(140 * (1 - np.cos(np.pi * i / (seconds * 24))) + seed * 20)
            frame = np.ascontiguousarray(base[80:1160, x : x + 1920])
            for p in s.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def run_for(app, seconds: float) -> None:
    """Let the real event loop run (no busy polling stealing a core)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def main() -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from app.core.ports import PortType
    from app.core.values import Value
    from app.ui.viewer import Source, ViewerPanel

    with tempfile.TemporaryDirectory() as d:
        clips = [make_clip(Path(d) / f"take{i}.mp4", i) for i in range(4)]
        v = ViewerPanel()
        v.resize(1600, 950)
        v.show()
        app.processEvents()
        t0 = time.perf_counter()
        v.set_sources(
            [
                Source(Value(PortType.VIDEO, p), f"take {i + 1}", [f"take {i + 1}"])
                for i, p in enumerate(clips)
            ]
        )
        v.play()
        shown_per_s: list[int] = []
        sampler = QTimer()
        sampler.timeout.connect(lambda: shown_per_s.append(len(v._shown_times)))
        sampler.start(1000)
        started = []
        watch = QTimer()
        decoded: list[float] = []

        def check() -> None:
            if not v.buffering and not started:
                started.append(time.perf_counter())
            if not decoded and all(src.clip.done for src in v.sources):
                decoded.append(time.perf_counter())

        watch.timeout.connect(check)
        watch.start(5)
        run_for(app, 6.0)
        sampler.stop()
        watch.stop()
        v.pause()
        buffered_s = started[0] - t0 if started else float("nan")
        decode_s = decoded[0] - t0 if decoded else None
        paint = v.canvas.paint_ms
        size = v.sources[0].clip.size
        print(
            f"4 x 1080p H.264 24 fps, 5 s, played from the moment they were added (proxies {size[0]}x{size[1]}):"
        )
        print(
            f"  buffered {buffered_s:.2f} s before the clock started; then frames shown {v.shown}, dropped "
            f"{v.dropped} (the clock skipped a frame), stalls {v.stalls} (a tile not decoded in time), "
            f"shown per second {shown_per_s}"
        )
        print(
            f"  paint per frame (4 tiles): median {statistics.median(paint):.1f} ms, "
            f"95th percentile {sorted(paint)[int(len(paint) * 0.95)]:.1f} ms"
        )
        print(
            f"  all proxies decoded {decode_s:.1f} s after the clips were added (while playing)"
            if decode_s
            else "  proxies still decoding after 6 s"
        )
        v.wait_decoded(60)
        # a second pass, proxies in memory
        v.dropped = v.late = v.shown = 0
        v.canvas.paint_ms.clear()
        v.seek(0.0)
        v.play()
        run_for(app, 4.0)
        v.pause()
        print(
            f"  second pass from memory: shown {v.shown}, dropped {v.dropped}, stalls {v.stalls}, paint median "
            f"{statistics.median(v.canvas.paint_ms):.1f} ms"
        )
        v.clear()
