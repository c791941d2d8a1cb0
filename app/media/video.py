"""Reading VIDEO values, whichever form they take: a media file (app.media.avfile) or one of the
local engine's still-render recipes (app.media.shotfile), rendered on the fly so no consumer
needs to know. Writing and audio are the file layer's, re-exported here for one import place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from app.media import avfile, shotfile
from app.media.avfile import (
    LOSSLESS,
    OPUS_RATES,
    VideoMeta,
    VideoWriter,
    audio_duration,
    check_frame_size,
    fps_fraction,
    mux_audio,
    read_audio,
    stream_frames,
)

__all__ = [
    "LOSSLESS",
    "OPUS_RATES",
    "VideoMeta",
    "VideoWriter",
    "audio_duration",
    "check_frame_size",
    "fps_fraction",
    "iter_frames",
    "mux_audio",
    "probe",
    "read_audio",
    "read_frame",
    "sample_frames",
    "stream_frames",
]


def probe(path: Path) -> VideoMeta:
    """Size, rate, frame count and audio presence of a file or a render recipe."""
    if shotfile.is_shot(path):
        d = shotfile.read(path)
        return VideoMeta(
            d["width"],
            d["height"],
            float(d["fps"]),
            d["frames"],
            d["frames"] / d["fps"],
            False,
            shotfile.CODEC,
        )
    return avfile.probe(path)


def iter_frames(path: Path, *, fmt: str | None = "bgr24", prefetch: int = 4) -> Iterator[Any]:
    """Frames as arrays (or av.VideoFrame with fmt=None), produced ahead on a thread."""
    if shotfile.is_shot(path):
        return shotfile.frames(path, fmt=fmt, prefetch=prefetch)
    return avfile.iter_frames(path, fmt=fmt, prefetch=prefetch)


def read_frame(path: Path, index: int = -1) -> np.ndarray:
    """One frame, BGR; a negative index counts from the end. A recipe renders just that frame."""
    if shotfile.is_shot(path):
        return shotfile.frame(path, index)
    return avfile.read_frame(path, index)


def sample_frames(
    path: Path, count: int, max_size: tuple[int, int]
) -> tuple[list[np.ndarray], VideoMeta]:
    """Up to ``count`` frames spread evenly over the clip (the first one first), each scaled
    to fit ``max_size``: for previews and thumbnails. A render recipe renders just those
    frames; a file is decoded once, keeping the ones wanted."""
    meta = probe(path)
    n = max(1, meta.frames)
    k = max(1, min(count, n))
    wanted = sorted({min(n - 1, (i * n) // k) for i in range(k)})
    scale = min(max_size[0] / meta.width, max_size[1] / meta.height, 1.0)
    size = (max(1, round(meta.width * scale)), max(1, round(meta.height * scale)))

    def fit(f: np.ndarray) -> np.ndarray:
        return f if scale == 1.0 else cv2.resize(f, size, interpolation=cv2.INTER_AREA)

    if shotfile.is_shot(path):
        return [fit(shotfile.frame(path, i)) for i in wanted], meta
    out: list[np.ndarray] = []
    want = set(wanted)
    for i, f in enumerate(avfile.iter_frames(path)):
        if i in want:
            out.append(fit(f))
            if len(out) == len(wanted):
                break
    return out, meta
