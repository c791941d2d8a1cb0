"""Side-by-side grids of several clips, frame-synchronised by time, shorter clips holding
their last frame."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from app.media.video import VideoMeta, iter_frames, probe

MAX_WIDTH = 1920
LABEL_BG = (24, 24, 24)


class HeldStream:
    """Frames of one clip by time: advances its decoder as needed, holds the last frame."""

    def __init__(self, path: Path, meta: VideoMeta) -> None:
        self.meta = meta
        self._it: Iterator[np.ndarray] | None = iter_frames(path)
        self._index = -1
        self._frame: np.ndarray | None = None

    def at(self, seconds: float) -> np.ndarray:
        want = min(self.meta.frames - 1, int(math.floor(seconds * self.meta.fps + 1e-6)))
        while self._index < want and self._it is not None:
            try:
                self._frame = next(self._it)
                self._index += 1
            except StopIteration:
                self._it = None
        assert self._frame is not None
        return self._frame

    def close(self) -> None:
        if self._it is not None:
            self._it.close()  # type: ignore[attr-defined]


def layout(n: int) -> tuple[int, int]:
    cols = math.ceil(math.sqrt(n))
    return cols, math.ceil(n / cols)


def tile_size(metas: list[VideoMeta], cols: int) -> tuple[int, int]:
    w, h = metas[0].width, metas[0].height
    scale = min(1.0, MAX_WIDTH / (w * cols))
    return max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2)


def fit(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Letterbox a frame into a tile, keeping its aspect."""
    tw, th = size
    h, w = frame.shape[:2]
    s = min(tw / w, th / h)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    small = (
        frame if (nw, nh) == (w, h) else cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_AREA)
    )
    out = np.zeros((th, tw, 3), np.uint8)
    y0, x0 = (th - nh) // 2, (tw - nw) // 2
    out[y0 : y0 + nh, x0 : x0 + nw] = small
    return out


def label(tile: np.ndarray, text: str) -> None:
    if not text:
        return
    scale = max(0.45, tile.shape[1] / 1400)
    thick = max(1, int(scale * 2))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    cv2.rectangle(tile, (0, 0), (tw + 16, th + base + 12), LABEL_BG, -1)
    cv2.putText(
        tile,
        text,
        (8, th + 6),
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        (240, 240, 240),
        thick,
        cv2.LINE_AA,
    )


def grid_frames(
    paths: list[Path], labels: list[str]
) -> tuple[Iterator[np.ndarray], tuple[int, int], float, int]:
    metas = [probe(p) for p in paths]
    cols, rows = layout(len(paths))
    tw, th = tile_size(metas, cols)
    fps = max(m.fps for m in metas)
    duration = max(m.duration for m in metas)
    count = max(1, int(round(duration * fps)))

    def frames() -> Iterator[np.ndarray]:
        streams = [HeldStream(p, m) for p, m in zip(paths, metas, strict=True)]
        try:
            for i in range(count):
                t = i / fps
                canvas = np.zeros((th * rows, tw * cols, 3), np.uint8)
                for k, s in enumerate(streams):
                    tile = fit(s.at(t), (tw, th))
                    label(tile, labels[k] if k < len(labels) else "")
                    r, c = divmod(k, cols)
                    canvas[r * th : (r + 1) * th, c * tw : (c + 1) * tw] = tile
                yield canvas
        finally:
            for s in streams:
                s.close()

    return frames(), (tw * cols, th * rows), fps, count
