"""Display-resolution proxies of the clips in the viewer, decoded on worker threads.

Each clip is decoded once, in order, straight to RGB at the proxy size (swscale scales while it
converts), into a list the viewer reads by frame index. Memory is bounded by choosing the proxy
size from a budget shared by all clips.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.core.ports import PortType
from app.core.values import Value
from app.media.video import VideoMeta, iter_frames, probe

BUDGET_BYTES = 900 * 2**20  # all proxies together
MAX_WIDTH = 960


@dataclass
class Clip:
    """One source's proxy frames (BGRA bytes = QImage.Format_RGB32, drawn without conversion),
    filled by a decode thread."""

    path: Path
    meta: VideoMeta
    size: tuple[int, int]
    frames: list[np.ndarray] = field(default_factory=list)
    error: str = ""
    done: bool = False
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @property
    def fps(self) -> float:
        return self.meta.fps or 24.0

    @property
    def count(self) -> int:
        return max(1, self.meta.frames)

    @property
    def duration(self) -> float:
        return self.count / self.fps

    def ready_for(self, i: int, ahead: int) -> bool:
        """Frames up to i + ahead are decoded (or the clip is fully decoded)."""
        return self.done or len(self.frames) > min(self.count - 1, i + ahead)

    def index_at(self, t: float) -> int:
        """Time-based sync: the frame showing at time t; past the end the last frame holds."""
        return min(self.count - 1, max(0, int(t * self.fps + 1e-6)))

    def frame(self, i: int) -> np.ndarray | None:
        """Frame i if decoded (None while it is still coming)."""
        frames = self.frames
        if 0 <= i < len(frames):
            return frames[i]
        return frames[-1] if self.done and frames else None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._decode, daemon=True, name=f"reelgraph-proxy-{self.path.name}"
        )
        self._thread.start()

    def _decode(self) -> None:
        w, h = self.size
        try:
            if self.meta.codec in ("png",) or self.path.suffix.lower() == ".png":
                import cv2

                from app.media.images import load_image

                img = cv2.resize(load_image(self.path), (w, h), interpolation=cv2.INTER_AREA)
                self.frames.append(cv2.cvtColor(img, cv2.COLOR_BGR2BGRA))
            else:
                for f in iter_frames(self.path, fmt=None):
                    if self._stop.is_set():
                        return
                    # swscale scales while converting; fast bilinear is plenty for a proxy
                    self.frames.append(
                        f.reformat(
                            width=w, height=h, format="bgra", interpolation="FAST_BILINEAR"
                        ).to_ndarray()
                    )
        except Exception as e:  # noqa: BLE001 - shown on the tile
            self.error = str(e)
        finally:
            self.done = True

    def stop(self) -> None:
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.done


def open_clip(value: Value, n_sources: int) -> Clip:
    """A proxy clip for an IMAGE or VIDEO value, sized for ``n_sources`` sharing the budget."""
    if value.type == PortType.IMAGE or value.path.suffix.lower() == ".png":
        from app.media.images import image_size

        w, h = image_size(value.path)
        meta = VideoMeta(w, h, 24.0, 1, 1 / 24, False, "png")
    else:
        meta = probe(value.path)
    scale = min(1.0, MAX_WIDTH / meta.width)
    per_clip = BUDGET_BYTES / max(1, n_sources)
    frames = max(1, meta.frames)
    while scale > 0.1 and meta.width * scale * meta.height * scale * 4 * frames > per_clip:
        scale *= 0.85
    size = (max(2, int(meta.width * scale) // 2 * 2), max(2, int(meta.height * scale) // 2 * 2))
    clip = Clip(value.path, meta, size)
    clip.start()
    return clip
