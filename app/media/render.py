"""The local generator: renders a shot from a still (camera move, motion brush) into a
lossless intermediate, streaming frame by frame."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from app.core.errors import NodeError
from app.media.camera import CameraPath
from app.media.video import VideoWriter, stream_frames


def frame_count(duration: float, fps: float) -> int:
    return max(1, int(round(duration * fps)))


def camera_renderer(src: np.ndarray, camera: CameraPath | None, out_size: tuple[int, int], count: int,
                    animate: Callable[[int], np.ndarray] | None = None) -> Callable[[int], np.ndarray]:
    """render(i) -> BGR frame i: the (optionally animated) still seen through the camera."""
    W, H = out_size
    Hs, Ws = src.shape[:2]
    cam = camera or CameraPath()
    overscan = cam.overscan(out_size, (Ws, Hs))
    border = cv2.BORDER_REPLICATE
    if overscan == 0.0:
        overscan = 1.0  # the move leaves the picture whatever the zoom: edge pixels stretch
    identity = cam.is_static() and (W, H) == (Ws, Hs) and overscan == 1.0
    # Downscaling by more than 2x with bilinear sampling aliases: pre-shrink the still once.
    cover = max(W / Ws, H / Hs) * overscan
    base = src
    pre = 1.0
    if cover < 0.5 and animate is None:
        pre = cover * 1.5
        base = cv2.resize(src, (max(1, round(Ws * pre)), max(1, round(Hs * pre))), interpolation=cv2.INTER_AREA)
    S = np.diag([pre, pre, 1.0])

    def render(i: int) -> np.ndarray:
        img = animate(i) if animate is not None else base
        if identity:
            return img if animate is not None else img.copy()
        t = i / (count - 1) if count > 1 else 0.0
        M = cam.homography(t, out_size, (Ws, Hs), overscan)
        if animate is None:
            M = S @ M
        return cv2.warpPerspective(img, M, (W, H), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=border)

    render.overscan = overscan  # type: ignore[attr-defined]
    return render


def render_still(path: Path, src: np.ndarray, *, out_size: tuple[int, int], fps: float, duration: float,
                 camera: CameraPath | None, animate: Callable[[int], np.ndarray] | None = None,
                 progress: Callable[[float, str | None], None] | None = None) -> int:
    W, H = out_size
    if W % 2 or H % 2:
        raise NodeError(f"output size {W}x{H} must be even", field="param 'width'/'height'",
                        hint="use even numbers, e.g. 1280x720")
    count = frame_count(duration, fps)
    render = camera_renderer(src, camera, out_size, count, animate)
    with VideoWriter(path, W, H, fps) as writer:
        # an animation integrates frame after frame, so it renders in order on one thread
        workers = 1 if animate is not None else min(2, os.cpu_count() or 1)
        stream_frames(render, count, writer, progress, workers=workers)
    return count


def slate(text_lines: list[str], size: tuple[int, int], seed: int = 0) -> np.ndarray:
    """An animatic placeholder card: dark frame, the prompt and shot name, a visible label."""
    W, H = size
    img = np.full((H, W, 3), (38, 34, 30), np.uint8)
    cv2.rectangle(img, (0, 0), (W - 1, H - 1), (90, 90, 200), max(2, W // 200))
    scale = max(0.4, W / 1600)
    y = int(H * 0.18)
    cv2.putText(img, "ANIMATIC PLACEHOLDER - NOT GENERATED", (int(W * 0.05), y), cv2.FONT_HERSHEY_SIMPLEX,
                scale * 1.1, (110, 110, 235), max(1, int(scale * 2.5)), cv2.LINE_AA)
    y += int(70 * scale)
    for line in text_lines:
        for chunk in _wrap(line, max(20, int(W / (19 * scale)))):
            cv2.putText(img, chunk, (int(W * 0.05), y), cv2.FONT_HERSHEY_SIMPLEX, scale * 0.8, (225, 225, 225),
                        max(1, int(scale * 1.6)), cv2.LINE_AA)
            y += int(44 * scale)
            if y > H - 40 * scale:
                return img
    return img


def _wrap(text: str, width: int) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if len(cur) + len(w) + 1 > width and cur:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    if cur:
        lines.append(cur)
    return lines or [""]
