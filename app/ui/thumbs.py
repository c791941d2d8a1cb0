"""Frames for node thumbnails and the preview dock, decoded off the GUI thread.

Workers produce QImages (safe to build on any thread); the GUI thread turns them into pixmaps.
Results are remembered per file, so undo/redo and reopening a workflow show previews at once.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage

from app.core.ports import PortType
from app.core.values import Value


def _emit(signal, *args) -> None:
    """A worker's answer; the window may have closed meanwhile (its signal source is gone)."""
    try:
        signal.emit(*args)
    except RuntimeError:
        pass


def to_qimage(bgr: np.ndarray) -> QImage:
    if bgr.ndim == 2:
        h, w = bgr.shape
        return QImage(np.ascontiguousarray(bgr).data, w, h, w, QImage.Format_Grayscale8).copy()
    h, w = bgr.shape[:2]
    if bgr.shape[2] == 4:
        return QImage(np.ascontiguousarray(bgr).data, w, h, 4 * w, QImage.Format_ARGB32).copy()
    return QImage(np.ascontiguousarray(bgr).data, w, h, 3 * w, QImage.Format_BGR888).copy()


def load_frames(value: Value, count: int, max_size: tuple[int, int]) -> tuple[list[QImage], float]:
    """(frames, fps) for an IMAGE/MASK (one frame) or a VIDEO (``count`` spread over it)."""
    if value.type in (PortType.IMAGE, PortType.MASK):
        import cv2

        from app.media.images import load_image

        img = load_image(value.path)
        scale = min(max_size[0] / img.shape[1], max_size[1] / img.shape[0], 1.0)
        if scale < 1.0:
            img = cv2.resize(
                img,
                (max(1, round(img.shape[1] * scale)), max(1, round(img.shape[0] * scale))),
                interpolation=cv2.INTER_AREA,
            )
        return [to_qimage(img)], 0.0
    from app.media.video import sample_frames

    frames, meta = sample_frames(value.path, count, max_size)
    fps = (
        meta.fps * len(frames) / max(1, meta.frames)
    )  # the sampled frames span the clip's duration
    return [to_qimage(f) for f in frames], fps


class _Job(QRunnable):
    def __init__(
        self, loader: FrameLoader, key: str, value: Value, count: int, size: tuple[int, int]
    ) -> None:
        super().__init__()
        self.loader, self.key, self.value, self.count, self.size = loader, key, value, count, size

    def run(self) -> None:
        try:
            frames, fps = load_frames(self.value, self.count, self.size)
            _emit(self.loader.done, self.key, _memo_key(self.value), frames, fps, "")
        except Exception as e:  # noqa: BLE001 - a preview that cannot be made is a message, not a crash
            _emit(self.loader.done, self.key, _memo_key(self.value), [], 0.0, str(e))


def _memo_key(value: Value) -> str:
    return f"{value.type.value}:{value.path}"


class FrameLoader(QObject):
    """ready(key, frames, fps, error) for each request; a file already loaded answers from
    memory. ``done`` is the workers' internal hand-over to the GUI thread."""

    done = Signal(str, str, list, float, str)
    ready = Signal(str, list, float, str)

    def __init__(
        self, count: int, size: tuple[int, int], memory: int = 256, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.count, self.size = count, size
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self._memo: OrderedDict[str, tuple[list[QImage], float]] = OrderedDict()
        self._memory = memory
        self._wanted: dict[str, str] = {}  # key -> path of the latest request
        self.done.connect(self._done)

    def request(self, key: str, value: Value) -> None:
        memo_key = _memo_key(value)
        self._wanted[key] = memo_key
        memo = self._memo.get(memo_key)
        if memo is not None:
            self.ready.emit(key, memo[0], memo[1], "")
            return
        self.pool.start(_Job(self, key, value, self.count, self.size))

    def forget(self, key: str) -> None:
        self._wanted.pop(key, None)

    def _done(self, key: str, memo_key: str, frames: list, fps: float, error: str) -> None:
        if not error:
            self._memo[memo_key] = (frames, fps)
            while len(self._memo) > self._memory:
                self._memo.popitem(last=False)
        if self._wanted.get(key) == memo_key:  # a newer request for the same key wins
            self.ready.emit(key, frames, fps, error)

    def wait(self, msecs: int = 10_000) -> bool:
        return self.pool.waitForDone(msecs)


def preview_value(outputs: dict[str, Value]) -> Value | None:
    """The output a node shows as its preview: its first picture-carrying output."""
    for value in outputs.values():
        if value.type in (PortType.VIDEO, PortType.IMAGE):
            return value
    return None


REGION_COLOURS = [
    (80, 170, 255),
    (90, 220, 120),
    (240, 190, 60),
    (230, 110, 230),
    (110, 220, 230),
    (240, 120, 90),
]


def motion_thumb(still: np.ndarray | None, params: dict, max_size: tuple[int, int]) -> QImage:
    """A motion brush at a glance: its regions tinted over the still, the frozen area hatched
    dark, each path drawn with an arrow at its end (or the masks alone on grey, no still yet)."""
    import cv2

    from app.media.masks import decode_mask

    masks = [
        (decode_mask(r["mask"]), r.get("trajectory") or [])
        for r in params.get("regions") or []
        if isinstance(r, dict) and r.get("mask")
    ]
    static = decode_mask(params["static_mask"]) if params.get("static_mask") else None
    shape = (
        still.shape[:2]
        if still is not None
        else (masks[0][0].shape if masks else static.shape if static is not None else (90, 160))
    )
    # everything is shrunk to the thumbnail first: a 100 MP still is tinted at thumbnail size
    scale = min(max_size[0] / shape[1], max_size[1] / shape[0], 1.0)
    small = (max(1, round(shape[1] * scale)), max(1, round(shape[0] * scale)))
    base = (
        cv2.resize(still, small, interpolation=cv2.INTER_AREA)
        if still is not None
        else np.full((small[1], small[0], 3), 60, np.uint8)
    )
    out = base.astype(np.float32)
    if static is not None and static.shape == shape:
        out[cv2.resize(static, small, interpolation=cv2.INTER_NEAREST) > 0] *= 0.35
    for i, (m, _) in enumerate(masks):
        if m.shape == shape:
            colour = np.array(REGION_COLOURS[i % len(REGION_COLOURS)][::-1], np.float32)
            sel = cv2.resize(m, small, interpolation=cv2.INTER_NEAREST) > 0
            out[sel] = out[sel] * 0.45 + colour * 0.55
    img = out.clip(0, 255).astype(np.uint8)
    for i, (_, path) in enumerate(masks):
        pts = [(round(x * scale), round(y * scale)) for x, y in path[:2000]]
        colour = REGION_COLOURS[i % len(REGION_COLOURS)][::-1]
        for a, b in zip(pts, pts[1:], strict=False):
            cv2.line(img, a, b, (255, 255, 255), 3, cv2.LINE_AA)
            cv2.line(img, a, b, colour, 1, cv2.LINE_AA)
        if len(pts) >= 2:
            cv2.arrowedLine(img, pts[-2], pts[-1], colour, 2, cv2.LINE_AA, tipLength=0.35)
    return to_qimage(img)


def waveform_thumb(path, size: tuple[int, int]) -> QImage:
    """The sound's waveform (peak per column), as a node thumbnail."""
    import cv2

    from app.media.video import read_audio

    samples = read_audio(path, rate=4000)
    w, h = size
    img = np.full((h, w, 3), (28, 26, 24), np.uint8)
    if len(samples):
        cols = np.array_split(np.abs(samples), w)
        peaks = np.array([c.max() if len(c) else 0.0 for c in cols])
        peaks = peaks / max(1e-6, peaks.max())
        mid = h // 2
        for x, p in enumerate(peaks):
            half = max(1, int(p * (h / 2 - 4)))
            cv2.line(img, (x, mid - half), (x, mid + half), (240, 170, 90), 1)  # BGR: a light blue
    return to_qimage(img)
