"""Motion brush: dense motion from a few painted trajectories (Eulerian motion fields).

A constant flow field F is built from the trajectories (normalised convolution of their
direction vectors at 1/4 resolution, limited to each region's feathered mask, zero under the
static mask). Particles follow F: frame t shows the still sampled where each pixel's particle
was t steps earlier. For a seamless loop of N frames, frame t also samples where the particle
will be N - t steps later and blends the two with weights (1 - t/N, t/N), so frame N equals
frame 0 (Holynski et al., "Animating Pictures with Eulerian Motion Fields", CVPR 2021).
Pixels under the static mask and outside every region are copied from the still untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from app.media.masks import decode_mask

SCALE = 4  # flow is built and integrated at 1/4 resolution
CHECKPOINT = 16  # forward maps for loops are kept every CHECKPOINT steps (memory stays small)


def _polyline_samples(points: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Points every ``spacing`` px along a polyline, with the unit tangent at each."""
    pos, tan = [], []
    for a, b in zip(points[:-1], points[1:], strict=False):
        seg = b - a
        length = float(np.hypot(*seg))
        if length < 1e-6:
            continue
        n = max(1, int(length / spacing))
        for k in range(n):
            pos.append(a + seg * (k / n))
            tan.append(seg / length)
    if not pos:
        return np.zeros((0, 2)), np.zeros((0, 2))
    return np.array(pos), np.array(tan)


def _length(points: np.ndarray) -> float:
    return float(np.sum(np.hypot(*(points[1:] - points[:-1]).T))) if len(points) > 1 else 0.0


@dataclass
class MotionField:
    flow: np.ndarray  # (h, w, 2) float32 at 1/SCALE resolution, in full-resolution pixels per frame
    alpha: np.ndarray  # (H, W) float32 blend weight of the animated picture, exactly 0 where frozen
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 of the animated area (full resolution)


def build_field(
    doc: dict[str, Any], size: tuple[int, int], steps: int, seed: int = 0
) -> MotionField:
    W, H = size
    w, h = max(1, -(-W // SCALE)), max(1, -(-H // SCALE))
    flow = np.zeros((h, w, 2), np.float32)
    union = np.zeros((H, W), np.uint8)
    static = decode_mask(doc["static_mask"]) if doc.get("static_mask") else None
    rng = np.random.default_rng(seed)
    for region in doc.get("regions", []):
        mask = decode_mask(region["mask"])
        pts = np.asarray(region["trajectory"], np.float64)
        if len(pts) < 2 or not mask.any():
            continue
        speed = _length(pts) / max(1, steps - 1)  # the path is walked once over the shot
        pos, tan = _polyline_samples(pts, spacing=2.0)
        acc = np.zeros((h, w, 3), np.float32)
        gx = np.clip((pos[:, 0] / SCALE).astype(int), 0, w - 1)
        gy = np.clip((pos[:, 1] / SCALE).astype(int), 0, h - 1)
        np.add.at(acc, (gy, gx, 0), tan[:, 0])
        np.add.at(acc, (gy, gx, 1), tan[:, 1])
        np.add.at(acc, (gy, gx, 2), 1.0)
        small = cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
        ys, xs = np.nonzero(small > 0)
        extent = max(4.0, 0.5 * max(np.ptp(xs) if len(xs) else 0, np.ptp(ys) if len(ys) else 0))
        spread = cv2.GaussianBlur(acc, (0, 0), sigmaX=extent / 2)
        weight = np.maximum(spread[:, :, 2], 1e-6)
        direction = spread[:, :, :2] / weight[:, :, None]
        norm = np.maximum(np.linalg.norm(direction, axis=2, keepdims=True), 1e-6)
        direction = direction / norm  # unit direction everywhere; the speed is the path's
        feather = cv2.GaussianBlur(small, (0, 0), sigmaX=1.5)
        # a seed other than 0 varies each region's speed and heading visibly (takes differ)
        variation = float(np.clip(1.0 + 0.18 * rng.standard_normal(), 0.6, 1.4)) if seed else 1.0
        turn = np.radians(float(np.clip(8.0 * rng.standard_normal(), -15, 15))) if seed else 0.0
        if turn:
            c, s_ = np.cos(turn), np.sin(turn)
            direction = np.stack(
                [
                    direction[:, :, 0] * c - direction[:, :, 1] * s_,
                    direction[:, :, 0] * s_ + direction[:, :, 1] * c,
                ],
                axis=2,
            )
        flow += direction * (speed * variation) * (feather * small)[:, :, None]
        union = np.maximum(union, mask)
    if static is not None:
        union[static > 0] = 0
        small_static = cv2.resize(static, (w, h), interpolation=cv2.INTER_NEAREST) > 0
        flow[small_static] = 0
    alpha = cv2.GaussianBlur(union.astype(np.float32) / 255.0, (0, 0), sigmaX=2.0)
    alpha[union == 0] = 0.0  # exactly frozen outside the regions and under the static mask
    ys, xs = np.nonzero(union)
    if len(xs):
        bbox = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    else:
        bbox = (0, 0, 0, 0)
    return MotionField(flow, alpha, bbox)


def _grid(w: int, h: int) -> np.ndarray:
    """Full-resolution coordinates of the centres of the 1/SCALE cells."""
    xs = (np.arange(w, dtype=np.float32) + 0.5) * SCALE - 0.5
    ys = (np.arange(h, dtype=np.float32) + 0.5) * SCALE - 0.5
    gx, gy = np.meshgrid(xs, ys)
    return np.dstack([gx, gy])


def _step(pos: np.ndarray, flow: np.ndarray, sign: float) -> np.ndarray:
    """Move every particle one frame along (sign=+1) or against (sign=-1) the flow."""
    cell = (pos + 0.5) / SCALE - 0.5
    f = cv2.remap(
        flow, cell[:, :, 0], cell[:, :, 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )
    return pos + sign * f


class MotionAnimator:
    """animate(i) -> the still with its regions moved to frame i (call with i increasing)."""

    def __init__(self, src: np.ndarray, field: MotionField, count: int, loop: bool) -> None:
        self.src = src
        self.field = field
        self.count = count
        self.loop = loop and count > 1
        H, W = src.shape[:2]
        h, w = field.flow.shape[:2]
        self.grid = _grid(w, h)
        self.back = self.grid.copy()  # where each particle was `t` steps ago
        self.t = 0
        x0, y0, x1, y1 = field.bbox
        pad = 2
        self.box = (max(0, x0 - pad), max(0, y0 - pad), min(W, x1 + pad), min(H, y1 + pad))
        bx0, by0, bx1, by1 = self.box
        self.full_grid = np.dstack(
            np.meshgrid(
                np.arange(bx0, bx1, dtype=np.float32), np.arange(by0, by1, dtype=np.float32)
            )
        )
        self.alpha2d = np.ascontiguousarray(field.alpha[by0:by1, bx0:bx1], dtype=np.float32)
        self.inv_alpha = 1.0 - self.alpha2d
        self.frozen = self.alpha2d <= 0
        self._ahead: dict[int, np.ndarray] = {}
        self._checkpoints: dict[int, np.ndarray] = {}
        self.phase = 0
        if self.loop:
            pos = self.grid.copy()
            for k in range(count + 1):
                if k % CHECKPOINT == 0:
                    self._checkpoints[k] = pos.copy()
                pos = _step(pos, field.flow, +1.0)
            self.phase = self._choose_phase()

    @classmethod
    def from_document(
        cls, doc: dict[str, Any], src: np.ndarray, count: int, seed: int = 0
    ) -> MotionAnimator:
        H, W = src.shape[:2]
        field = build_field(doc, (W, H), count if not doc.get("loop") else count + 1, seed)
        return cls(src, field, count, bool(doc.get("loop")))

    def _forward(self, k: int) -> np.ndarray:
        """Where each particle will be k steps ahead (recomputed from a checkpoint)."""
        if k not in self._ahead:
            base = (k // CHECKPOINT) * CHECKPOINT
            pos = self._checkpoints[base].copy()
            self._ahead = {base: pos.copy()}
            for j in range(base + 1, min(base + CHECKPOINT, self.count + 1)):
                pos = _step(pos, self.field.flow, +1.0)
                self._ahead[j] = pos.copy()
        return self._ahead[k]

    def _sample(self, pos_small: np.ndarray) -> np.ndarray:
        bx0, by0, bx1, by1 = self.box
        H, W = self.src.shape[:2]
        disp = cv2.resize(pos_small - self.grid, (W, H), interpolation=cv2.INTER_LINEAR)[
            by0:by1, bx0:bx1
        ]
        m = self.full_grid + disp
        return cv2.remap(
            self.src, m[:, :, 0], m[:, :, 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )

    def _choose_phase(self) -> int:
        """The loop passes through the untouched still once. Frames are either t = 0..N-1
        (the wrap is frame N-1 -> still) or t = 1..N (the wrap is still -> frame 1); take the
        smaller of those two steps as the wrap, so it is never the largest step of the loop."""
        still = self.src[self.box[1] : self.box[3], self.box[0] : self.box[2]].astype(np.float32)
        first = np.abs(
            self._render(1).astype(np.float32)[self.box[1] : self.box[3], self.box[0] : self.box[2]]
            - still
        ).mean()
        last = np.abs(
            self._render(self.count - 1).astype(np.float32)[
                self.box[1] : self.box[3], self.box[0] : self.box[2]
            ]
            - still
        ).mean()
        self.back, self.t, self._ahead = self.grid.copy(), 0, {}
        return 1 if last > first else 0

    def __call__(self, i: int) -> np.ndarray:
        """Frame i of the clip (i = 0..count-1); call with i increasing."""
        return self._render(i + self.phase)

    def _render(self, i: int) -> np.ndarray:
        while self.t < i:
            self.back = _step(self.back, self.field.flow, -1.0)
            self.t += 1
        if i < self.t:  # restart (rare: a re-render from the start)
            self.back, self.t = self.grid.copy(), 0
            return self._render(i)
        out = self.src.copy()
        bx0, by0, bx1, by1 = self.box
        if bx1 <= bx0 or by1 <= by0 or i == 0 or (self.loop and i >= self.count):
            return out
        moved = self._sample(self.back)
        if self.loop:
            wt = i / self.count
            ahead = self._sample(self._forward(self.count - i))
            moved = cv2.addWeighted(moved, 1 - wt, ahead, wt, 0)
        region = out[by0:by1, bx0:bx1]
        # OpenCV blends uint8 with float weights in one multithreaded pass
        result = cv2.blendLinear(moved, region, self.alpha2d, self.inv_alpha)
        frozen = self.frozen
        result[frozen] = region[frozen]  # exactly the still where nothing may move
        out[by0:by1, bx0:bx1] = result
        return out
