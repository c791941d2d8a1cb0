"""Camera paths: keyframes over normalised time, presets, and the image-plane homography that
animates a still.

Conventions: pan > 0 looks right, tilt > 0 looks up, roll > 0 rolls clockwise (degrees); zoom
is a focal-length factor; truck > 0 moves right and pedestal > 0 moves up (fractions of the
frame); dolly > 0 moves toward the subject (fraction of the distance, so 0.5 doubles its size).
t runs from 0 to 1 across the shot, so one path fits any duration.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

Ease = Literal["linear", "ease_in", "ease_out", "ease_in_out", "hold"]
AXES = ("pan", "tilt", "roll", "zoom", "truck", "pedestal", "dolly")
PRESETS = (
    "static",
    "pan_left",
    "pan_right",
    "tilt_up",
    "tilt_down",
    "roll_left",
    "roll_right",
    "zoom_in",
    "zoom_out",
    "dolly_in",
    "dolly_out",
    "truck_left",
    "truck_right",
    "pedestal_up",
    "pedestal_down",
    "crane_up",
    "arc_left",
    "arc_right",
)
DEFAULT_FOV_DEG = 50.0  # horizontal field of view of the virtual lens at zoom 1


class Keyframe(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    t: float = Field(0.0, ge=0.0, le=1.0, description="time, 0 = first frame, 1 = last frame")
    pan: float = Field(0.0, ge=-90, le=90, description="degrees, > 0 looks right")
    tilt: float = Field(0.0, ge=-60, le=60, description="degrees, > 0 looks up")
    roll: float = Field(0.0, ge=-180, le=180, description="degrees, > 0 rolls clockwise")
    zoom: float = Field(1.0, gt=0.1, le=10.0, description="focal length factor")
    truck: float = Field(
        0.0, ge=-1, le=1, description="sideways move, fraction of the frame width, > 0 right"
    )
    pedestal: float = Field(
        0.0, ge=-1, le=1, description="vertical move, fraction of the frame height, > 0 up"
    )
    dolly: float = Field(
        0.0, ge=-2, le=0.9, description="move toward the subject, fraction of the distance"
    )
    ease: Ease = Field("ease_in_out", description="easing of the segment that starts here")


def preset_keyframes(preset: str, intensity: float = 1.0) -> list[Keyframe]:
    """Two keyframes (start, end) for a named move; intensity 1.0 is a moderate move."""
    i = float(intensity)
    end: dict[str, float] = {}
    start: dict[str, float] = {}
    match preset:
        case "static":
            pass
        case "pan_left" | "pan_right":
            end["pan"] = (-8 if preset == "pan_left" else 8) * i
        case "tilt_up" | "tilt_down":
            end["tilt"] = (6 if preset == "tilt_up" else -6) * i
        case "roll_left" | "roll_right":
            end["roll"] = (-8 if preset == "roll_left" else 8) * i
        case "zoom_in":
            end["zoom"] = 1 + 0.35 * i
        case "zoom_out":
            start["zoom"] = 1 + 0.35 * i
        case "dolly_in":
            end["dolly"] = min(0.8, 0.25 * i)
        case "dolly_out":
            start["dolly"] = min(0.8, 0.25 * i)
        case "truck_left" | "truck_right":
            end["truck"] = (-0.12 if preset == "truck_left" else 0.12) * i
        case "pedestal_up" | "pedestal_down":
            end["pedestal"] = (0.1 if preset == "pedestal_up" else -0.1) * i
        case "crane_up":
            end["pedestal"] = 0.12 * i
            end["tilt"] = -5 * i
        case "arc_left" | "arc_right":
            sign = -1 if preset == "arc_left" else 1
            end["truck"] = sign * 0.12 * i
            end["pan"] = -sign * 8 * i
        case _:
            raise ValueError(f"unknown camera preset {preset!r}")
    return [
        Keyframe.model_validate({"t": 0.0, **start}),
        Keyframe.model_validate({"t": 1.0, **end}),
    ]


def _ease(kind: str, u: float) -> float:
    if kind == "linear":
        return u
    if kind == "ease_in":
        return u * u
    if kind == "ease_out":
        return 1 - (1 - u) * (1 - u)
    if kind == "ease_in_out":
        return u * u * (3 - 2 * u)
    return 0.0  # hold: keep the segment's first value until the next keyframe


Fit = Literal["fill", "fit"]
ASPECTS = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0, "4:3": 4 / 3, "2.39:1": 2.39}


class Framing(BaseModel):
    """How the still fills the frame before the camera moves: the start framing.

    ``fill`` covers the frame (cropping what does not fit), ``fit`` shows the whole still
    (padding with black); ``x``/``y`` are the point of the still at the frame's centre (0..1,
    kept where the frame stays on the still when filling); ``scale`` > 1 frames closer."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    fit: Fit = "fill"
    x: float = Field(0.5, ge=0.0, le=1.0)
    y: float = Field(0.5, ge=0.0, le=1.0)
    scale: float = Field(1.0, ge=0.25, le=8.0)

    def is_default(self) -> bool:
        return self == Framing()

    def base_scale(self, out_size: tuple[int, int], src_size: tuple[int, int]) -> float:
        """Output pixels per source pixel at the start framing (before camera zoom)."""
        (W, H), (Ws, Hs) = out_size, src_size
        fill = max(W / Ws, H / Hs)
        return (fill if self.fit == "fill" else min(W / Ws, H / Hs)) * self.scale

    def centre(self, out_size: tuple[int, int], src_size: tuple[int, int]) -> tuple[float, float]:
        """The source pixel at the frame's centre: the focus point, moved in so a filled frame
        never shows past the still's edge."""
        (W, H), (Ws, Hs) = out_size, src_size
        k = self.base_scale(out_size, src_size)
        cx, cy = self.x * (Ws - 1), self.y * (Hs - 1)
        hw, hh = (W / k) / 2, (H / k) / 2
        cx = (Ws - 1) / 2 if 2 * hw >= Ws else min(max(cx, hw - 0.5), Ws - 0.5 - hw)
        cy = (Hs - 1) / 2 if 2 * hh >= Hs else min(max(cy, hh - 0.5), Hs - 0.5 - hh)
        return cx, cy

    def rect(
        self, out_size: tuple[int, int], src_size: tuple[int, int]
    ) -> tuple[float, float, float, float]:
        """The start frame's area on the still: (x, y, width, height) in source pixels."""
        (W, H) = out_size
        k = self.base_scale(out_size, src_size)
        cx, cy = self.centre(out_size, src_size)
        return cx + 0.5 - W / k / 2, cy + 0.5 - H / k / 2, W / k, H / k


class CameraPath(BaseModel):
    """The CAMERA value: keyframes sorted by t, plus the lens and the start framing."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    keyframes: list[Keyframe] = Field(default_factory=lambda: preset_keyframes("static"))
    fov_deg: float = Field(DEFAULT_FOV_DEG, gt=5, lt=150)
    preset: str = "custom"
    intensity: float = 1.0
    framing: Framing = Field(default_factory=Framing)

    @field_validator("keyframes")
    @classmethod
    def _sorted(cls, v: list[Keyframe]) -> list[Keyframe]:
        if not v:
            raise ValueError("a camera path needs at least one keyframe")
        return sorted(v, key=lambda k: k.t)

    def sample(self, t: float) -> dict[str, float]:
        """Axis values at time t (0..1). Zoom and dolly interpolate as scale, in log space."""
        ks = self.keyframes
        t = min(1.0, max(0.0, t))
        if t <= ks[0].t or len(ks) == 1:
            k = ks[0]
            return {a: getattr(k, a) for a in AXES}
        if t >= ks[-1].t:
            k = ks[-1]
            return {a: getattr(k, a) for a in AXES}
        for a, b in zip(ks, ks[1:], strict=False):
            if a.t <= t <= b.t:
                u = 0.0 if b.t == a.t else (t - a.t) / (b.t - a.t)
                e = _ease(a.ease, u)
                out = {}
                for axis in AXES:
                    va, vb = getattr(a, axis), getattr(b, axis)
                    if axis == "zoom":
                        out[axis] = math.exp(math.log(va) + (math.log(vb) - math.log(va)) * e)
                    elif axis == "dolly":
                        sa, sb = 1 / (1 - va), 1 / (1 - vb)
                        s = math.exp(math.log(sa) + (math.log(sb) - math.log(sa)) * e)
                        out[axis] = 1 - 1 / s
                    else:
                        out[axis] = va + (vb - va) * e
                return out
        raise AssertionError("unreachable")

    def is_identity(self) -> bool:
        """No move and the default framing: the frame is the still, covered and centred."""
        return self.is_static() and self.framing.is_default()

    def is_static(self) -> bool:
        base = Keyframe()
        return all(all(getattr(k, a) == getattr(base, a) for a in AXES) for k in self.keyframes)

    def homography(
        self, t: float, out_size: tuple[int, int], src_size: tuple[int, int], overscan: float = 1.0
    ) -> np.ndarray:
        """3x3 matrix mapping output pixel coordinates to source pixel coordinates at time t.

        The start framing (``framing``: fill or fit, focus point, scale) places the still;
        ``overscan`` >= 1 zooms in further so the move never shows past the source's edges.
        """
        v = self.sample(t)
        W, H = out_size
        Ws, Hs = src_size
        f = (W / 2) / math.tan(math.radians(self.fov_deg) / 2)
        scale = v["zoom"] / (1 - v["dolly"]) * overscan
        C = np.array([[1, 0, -(W - 1) / 2], [0, 1, -(H - 1) / 2], [0, 0, 1]], dtype=np.float64)
        Z = np.diag([1 / scale, 1 / scale, 1.0])
        K = np.diag([f, f, 1.0])
        Kinv = np.diag([1 / f, 1 / f, 1.0])
        p, ti, r = (math.radians(v[a]) for a in ("pan", "tilt", "roll"))
        Ry = np.array([[math.cos(p), 0, math.sin(p)], [0, 1, 0], [-math.sin(p), 0, math.cos(p)]])
        Rx = np.array(
            [[1, 0, 0], [0, math.cos(ti), -math.sin(ti)], [0, math.sin(ti), math.cos(ti)]]
        )
        Rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
        T = np.array([[1, 0, v["truck"] * W], [0, 1, -v["pedestal"] * H], [0, 0, 1]])
        cover = self.framing.base_scale(out_size, src_size)
        cx, cy = self.framing.centre(out_size, src_size)
        A = np.array([[1 / cover, 0, cx], [0, 1 / cover, cy], [0, 0, 1]])
        M = A @ T @ K @ (Ry @ Rx @ Rz) @ Kinv @ Z @ C
        return M / M[2, 2]

    def overscan(
        self, out_size: tuple[int, int], src_size: tuple[int, int], samples: int = 96
    ) -> float:
        """Smallest extra zoom (>= 1) that keeps every frame inside the source, or 0.0 when
        no zoom can (the move leaves the picture)."""
        W, H = out_size
        corners = np.array(
            [[0, 0, 1], [W - 1, 0, 1], [W - 1, H - 1, 1], [0, H - 1, 1]], dtype=np.float64
        ).T
        Ws, Hs = src_size

        def inside(k: float) -> bool:
            for t in np.linspace(0, 1, samples):
                p = self.homography(float(t), out_size, src_size, k) @ corners
                if np.any(p[2] <= 0):
                    return False
                x, y = p[0] / p[2], p[1] / p[2]
                if (
                    x.min() < -1e-6
                    or y.min() < -1e-6
                    or x.max() > Ws - 1 + 1e-6
                    or y.max() > Hs - 1 + 1e-6
                ):
                    return False
            return True

        if inside(1.0) or self.framing.fit == "fit":  # fit: the padding is wanted
            return 1.0
        hi = 16.0
        if not inside(hi):
            return 0.0
        lo = 1.0
        for _ in range(30):
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if inside(mid) else (mid, hi)
        return hi
