"""Shared test media made on the fly (small, deterministic)."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
MEDIA = ROOT / "resources" / "media"


def texture(w: int, h: int, seed: int = 1) -> np.ndarray:
    """A richly textured image: feature matching and optical flow lock onto it."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (h // 4 + 1, w // 4 + 1, 3), dtype=np.uint8)
    img = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
    for _ in range(w * h // 4000):
        c = tuple(int(x) for x in rng.integers(0, 256, 3))
        cv2.circle(
            img,
            (int(rng.integers(0, w)), int(rng.integers(0, h))),
            int(rng.integers(3, 25)),
            c,
            -1,
            cv2.LINE_AA,
        )
    return cv2.GaussianBlur(img, (0, 0), 1.0)


def write_video(
    path: Path,
    frames: list[np.ndarray],
    fps: int = 24,
    audio: np.ndarray | None = None,
    rate: int = 16000,
) -> Path:
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as c:
        vs = c.add_stream("libx264", rate=fps, options={"crf": "10", "preset": "ultrafast"})
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        ast = c.add_stream("aac", rate=rate) if audio is not None else None
        for f in frames:
            for p in vs.encode(av.VideoFrame.from_ndarray(f, format="bgr24")):
                c.mux(p)
        for p in vs.encode():
            c.mux(p)
        if ast is not None:
            _mux_mono(c, ast, audio.astype(np.float32), "flt", rate)
    return path


def _mux_mono(container, stream, samples: np.ndarray, fmt: str, rate: int) -> None:
    frame = av.AudioFrame.from_ndarray(samples[None, :], format=fmt, layout="mono")
    frame.sample_rate = rate
    for p in [*stream.encode(frame), *stream.encode(None)]:
        container.mux(p)


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000) -> Path:
    with av.open(str(path), "w") as c:
        s = c.add_stream("pcm_s16le", rate=rate)
        _mux_mono(c, s, (np.clip(samples, -1, 1) * 32767).astype(np.int16), "s16", rate)
    return path
