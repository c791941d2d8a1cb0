"""The local generator: renders a shot from a still (camera move, motion brush) into a
lossless intermediate, streaming frame by frame."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from app.core.errors import NodeError
from app.media.avfile import VideoWriter, stream_frames
from app.media.camera import CameraPath, Framing


def frame_count(duration: float, fps: float) -> int:
    return max(1, int(round(duration * fps)))


class CameraRender:
    """render(i) -> BGR frame i: the (optionally animated) still seen through the camera. Keeps
    what the 4:2:0 renderer and the framing need: the homography per frame, the (pre-shrunk)
    still, the border mode and whether the move is no move at all."""

    def __init__(
        self,
        src: np.ndarray,
        camera: CameraPath | None,
        out_size: tuple[int, int],
        count: int,
        animate: Callable[[int], np.ndarray] | None = None,
    ) -> None:
        W, H = out_size
        Hs, Ws = src.shape[:2]
        self.cam = camera or CameraPath()
        self.out_size, self.src_size, self.count, self.animate = out_size, (Ws, Hs), count, animate
        overscan = self.cam.overscan(out_size, (Ws, Hs))
        # fit pads with black; a fill whose move leaves the picture stretches the edge pixels
        self.border = cv2.BORDER_CONSTANT if self.cam.framing.fit == "fit" else cv2.BORDER_REPLICATE
        if overscan == 0.0:
            overscan = 1.0  # the move leaves the picture whatever the zoom: edge pixels stretch
        self.overscan = overscan
        self.identity = self.cam.is_identity() and (W, H) == (Ws, Hs) and overscan == 1.0
        # Downscaling by more than 2x with bilinear sampling aliases: pre-shrink the still once.
        cover = self.cam.framing.base_scale(out_size, (Ws, Hs)) * overscan
        self.base = src
        pre = 1.0
        if cover < 0.5 and animate is None:
            pre = cover * 1.5
            self.base = cv2.resize(
                src,
                (max(1, round(Ws * pre)), max(1, round(Hs * pre))),
                interpolation=cv2.INTER_AREA,
            )
        self._pre = np.diag([pre, pre, 1.0])

    def matrix(self, i: int) -> np.ndarray:
        """Output pixel -> pixel of ``base`` (the still, pre-shrunk) for frame i."""
        t = i / (self.count - 1) if self.count > 1 else 0.0
        M = self.cam.homography(t, self.out_size, self.src_size, self.overscan)
        return M if self.animate is not None else self._pre @ M

    def __call__(self, i: int) -> np.ndarray:
        img = self.animate(i) if self.animate is not None else self.base
        if self.identity:
            return img if self.animate is not None else img.copy()
        return cv2.warpPerspective(
            img,
            self.matrix(i),
            self.out_size,
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=self.border,
        )


def camera_renderer(
    src: np.ndarray,
    camera: CameraPath | None,
    out_size: tuple[int, int],
    count: int,
    animate: Callable[[int], np.ndarray] | None = None,
) -> CameraRender:
    """render(i) -> BGR frame i: the (optionally animated) still seen through the camera."""
    return CameraRender(src, camera, out_size, count, animate)


def i420_renderer(render: CameraRender, out_size: tuple[int, int]) -> Callable[[int], np.ndarray]:
    """The same frames as ``render`` (a still's camera_renderer) as planar 4:2:0 (BT.601
    limited range, the layout of av's yuv420p), warped plane by plane from a source converted
    once: cheaper than warping BGR and converting every frame, for 4:2:0 delivery."""
    W, H = out_size
    if render.identity or W % 2 or H % 2:
        return lambda i: cv2.cvtColor(render(i), cv2.COLOR_BGR2YUV_I420)
    base = render.base
    # 4:2:0 needs even sides: repeat the last row/column, which is what the warp's replicated
    # border would sample there anyway
    base = cv2.copyMakeBorder(
        base, 0, base.shape[0] % 2, 0, base.shape[1] % 2, cv2.BORDER_REPLICATE
    )
    h, w = base.shape[:2]
    yuv = cv2.cvtColor(base, cv2.COLOR_BGR2YUV_I420)
    flat, q = yuv.reshape(-1), (h // 2) * (w // 2)  # planes follow each other (rows need not align)
    Y = yuv[:h]
    UV = cv2.merge(
        [flat[h * w : h * w + q].reshape(h // 2, w // 2), flat[h * w + q :].reshape(h // 2, w // 2)]
    )
    # chroma sample j sits at luma coordinate 2j + 0.5 (centred, as the 2x2 average made it)
    D = np.array([[2.0, 0, 0.5], [0, 2.0, 0.5], [0, 0, 1]])
    Dinv = np.linalg.inv(D)
    flags, border = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, render.border

    def render_i420(i: int) -> np.ndarray:
        M = render.matrix(i)
        out = np.empty((H * 3 // 2, W), np.uint8)
        # black padding in limited-range YUV is (16, 128, 128)
        cv2.warpPerspective(
            Y, M, (W, H), dst=out[:H], flags=flags, borderMode=border, borderValue=16
        )
        uv = cv2.warpPerspective(
            UV,
            Dinv @ M @ D,
            (W // 2, H // 2),
            flags=flags,
            borderMode=border,
            borderValue=(128, 128),
        )
        u, v = cv2.split(uv)
        flat_out, n = out.reshape(-1), (H // 2) * (W // 2)
        flat_out[H * W : H * W + n] = u.reshape(-1)
        flat_out[H * W + n :] = v.reshape(-1)
        return out

    return render_i420


def render_still(
    path: Path,
    src: np.ndarray,
    *,
    out_size: tuple[int, int],
    fps: float,
    duration: float,
    camera: CameraPath | None,
    animate: Callable[[int], np.ndarray] | None = None,
    progress: Callable[[float, str | None], None] | None = None,
) -> int:
    W, H = out_size
    if W % 2 or H % 2:
        raise NodeError(
            f"output size {W}x{H} must be even",
            field="param 'width'/'height'",
            hint="use even numbers, e.g. 1280x720",
        )
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
    cv2.putText(
        img,
        "ANIMATIC PLACEHOLDER - NOT GENERATED",
        (int(W * 0.05), y),
        cv2.FONT_HERSHEY_SIMPLEX,
        scale * 1.1,
        (110, 110, 235),
        max(1, int(scale * 2.5)),
        cv2.LINE_AA,
    )
    y += int(70 * scale)
    for line in text_lines:
        for chunk in _wrap(line, max(20, int(W / (19 * scale)))):
            cv2.putText(
                img,
                chunk,
                (int(W * 0.05), y),
                cv2.FONT_HERSHEY_SIMPLEX,
                scale * 0.8,
                (225, 225, 225),
                max(1, int(scale * 1.6)),
                cv2.LINE_AA,
            )
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


MIN_SIDE, MAX_SIDE = 720, 4096  # the framed still sent to a model


def framed_still(src: np.ndarray, framing: Framing, aspect: float) -> np.ndarray:
    return framed_still_and_map(src, framing, aspect)[0]


def framed_still_and_map(
    src: np.ndarray, framing: Framing, aspect: float
) -> tuple[np.ndarray, np.ndarray]:
    """framed_still, and the 2x3 affine that takes a still pixel to the framed image (for the
    motion brush's masks and paths)."""
    """The still as the shot's start framing shows it, at ``aspect`` (width / height) and at
    the still's own resolution (never upscaled past it): what a cloud model is sent, so what
    the editor shows is what is paid for."""
    Hs, Ws = src.shape[:2]
    aspect = min(64.0, max(1 / 64, aspect))
    # the frame's area on the still at a nominal size, then about that many source pixels out:
    # never more than the still has (fit pads), at least MIN_SIDE on the short side (models
    # refuse tiny images: Kling below 300 px) and at most MAX_SIDE on the long one
    x, y, w, h = framing.rect((1000, max(1, round(1000 / aspect))), (Ws, Hs))
    W = min(w, Ws * w / max(w, Ws), Ws) if framing.fit == "fit" else min(w, Ws)
    H = W / aspect
    boost = min(4.0, MIN_SIDE / max(1.0, min(W, H)))
    if boost > 1:
        W, H = W * boost, H * boost
    shrink = min(1.0, MAX_SIDE / max(W, H))
    W = max(2, int(round(W * shrink / 2)) * 2)
    H = max(2, int(round(W / aspect / 2)) * 2)
    render = camera_renderer(src, CameraPath(framing=framing), (W, H), 1)
    M = np.linalg.inv(render.matrix(0))  # framed pixel -> still pixel, inverted
    return render(0), (M / M[2, 2])[:2]


def framed_motion(doc: dict, affine: np.ndarray, size: tuple[int, int]) -> dict:
    """The motion brush document moved onto the framed still: masks warped, paths mapped, what
    falls outside the frame dropped by the warp (a path point outside is clamped to the edge)."""
    from app.media.masks import decode_mask, encode_mask

    W, H = size

    def mask(data: str | None) -> str | None:
        if not data:
            return data
        m = cv2.warpAffine(
            decode_mask(data), affine, (W, H), flags=cv2.INTER_NEAREST, borderValue=0
        )
        return encode_mask(m)

    def point(x: float, y: float) -> list[float]:
        px, py = affine @ np.array([x, y, 1.0])
        return [round(float(min(W - 1, max(0, px))), 2), round(float(min(H - 1, max(0, py))), 2)]

    regions = [
        dict(r, mask=mask(r.get("mask")), trajectory=[point(*p) for p in r.get("trajectory", [])])
        for r in doc.get("regions", [])
    ]
    return dict(doc, width=W, height=H, static_mask=mask(doc.get("static_mask")), regions=regions)
