"""Simple local lip-sync: the mouth opens and closes with the loudness of the audio.

The mouth box comes from OpenCV's bundled frontal-face Haar cascade (detected once per shot:
x 25-75 %, y 65-90 % of the face box) or is given by the user. Each frame the lower lip area is
pulled down by an amount that follows the audio's RMS envelope (gated, with attack/release),
and the gap between the lips is shaded dark.
"""

from __future__ import annotations

import cv2
import numpy as np

from app.core.errors import NodeError

ENV_RATE = 16000


def envelope(samples: np.ndarray, fps: float, frames: int, rate: int = ENV_RATE) -> np.ndarray:
    """Mouth-open amount per video frame, 0..1: RMS per frame window, gated, normalised and
    smoothed with a fast attack and a slower release."""
    hop = rate / fps
    rms = np.zeros(frames, np.float32)
    for i in range(frames):
        a, b = int(round(i * hop)), int(round((i + 1) * hop))
        chunk = samples[a:b]
        rms[i] = float(np.sqrt(np.mean(chunk * chunk))) if len(chunk) else 0.0
    if not rms.any():
        return rms
    peak = float(np.percentile(rms[rms > 0], 95)) or float(rms.max())
    floor = 0.08 * peak  # gate: breaths and room tone keep the mouth closed
    level = np.clip((rms - floor) / max(peak - floor, 1e-9), 0, 1)
    out = np.zeros_like(level)
    attack, release = 0.9, 0.6
    prev = 0.0
    for i, v in enumerate(level):
        k = attack if v > prev else release
        prev = prev + k * (v - prev)
        out[i] = prev
    return out


def detect_mouth(frame: np.ndarray) -> tuple[int, int, int, int]:
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    scale = min(1.0, 640 / max(gray.shape))
    small = (
        cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        if scale < 1
        else gray
    )
    small = cv2.equalizeHist(small)
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")  # type: ignore[attr-defined]  # not in the stubs
    faces = cascade.detectMultiScale(small, scaleFactor=1.1, minNeighbors=5, minSize=(40, 40))
    if len(faces) == 0:
        raise NodeError(
            "no face found in the first frame",
            field="param 'mouth_box'",
            hint="set mouth_box to [x, y, w, h] around the mouth",
        )
    x, y, w, h = (v / scale for v in max(faces, key=lambda f: f[2] * f[3]))
    return int(x + 0.25 * w), int(y + 0.65 * h), int(0.5 * w), int(0.25 * h)


class MouthAnimator:
    """Opens the mouth by ``amount`` (0..1): rows below the lip line are pulled down (the lower
    lip and jaw drop, fading out toward the chin), and what opens up between the lips is the
    dark of the mouth, widest in the middle."""

    def __init__(
        self, box: tuple[int, int, int, int], size: tuple[int, int], strength: float = 1.0
    ) -> None:
        W, H = size
        x, y, w, h = box
        if w < 4 or h < 4 or x < 0 or y < 0 or x + w > W or y + h > H:
            raise NodeError(
                f"mouth box {list(box)} is not inside the {W}x{H} frame", field="param 'mouth_box'"
            )
        self.box = box
        self.strength = strength
        pad_x = max(2, w // 8)
        ax, aw = max(0, x - pad_x), min(W, x + w + pad_x) - max(0, x - pad_x)
        ah = min(H - y, int(h * 2.2))  # down to the chin, which moves with the jaw
        self.area = (ax, y, aw, ah)
        yy, xx = np.mgrid[0:ah, 0:aw].astype(np.float32)
        self.xx, self.yy = xx, yy
        self.lip_y = h * 0.55
        nx = (xx - (x - ax + (w - 1) / 2)) / (w / 2)
        self.horizontal = np.clip(
            1 - nx**4, 0, 1
        )  # the lips part across the middle, not at the corners
        below = np.clip((yy - self.lip_y) / max(1.0, ah - self.lip_y), 0, 1)
        self.profile = self.horizontal * (1 - below**2) * (yy > self.lip_y)

    def __call__(self, frame: np.ndarray, amount: float) -> np.ndarray:
        if amount <= 1e-3:
            return frame
        ax, ay, aw, ah = self.area
        h = self.box[3]
        drop = amount * self.strength * h * 0.5
        patch = frame[ay : ay + ah, ax : ax + aw]
        src_y = self.yy - drop * self.profile
        moved = cv2.remap(patch, self.xx, src_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        # where a row now samples from above the lip line, the lips have parted: mouth interior
        inside = (
            np.clip((self.lip_y - src_y) / 1.5, 0, 1) * (self.yy > self.lip_y) * self.horizontal
        )
        inside = inside[:, :, None]
        dark = np.array([28, 22, 40], np.float32)
        shaded = moved.astype(np.float32) * (1 - 0.9 * inside) + dark * 0.9 * inside
        out = frame.copy()
        out[ay : ay + ah, ax : ax + aw] = np.clip(shaded + 0.5, 0, 255).astype(np.uint8)
        return out
