"""Painting on a mask: brush stamps, dabs along a stroke, flood fill, the box a change touched
and the coloured overlay of regions. Qt-free (points are (x, y) floats): the motion-brush editor
calls these, tests check them pixel by pixel."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import cv2
import numpy as np

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (end exclusive)
MAX_RADIUS = 1024  # the stamp is (2r+1)^2 floats: 16 MB at most


def union(a: Box | None, b: Box | None) -> Box | None:
    if a is None or b is None:
        return a or b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def stamp(size: float, hardness: float) -> np.ndarray:
    """A round brush of radius ``size`` as float32 coverage 0..1; ``hardness`` is the solid
    fraction of the radius (1: a hard disc, 0: a cone falling off from the centre)."""
    if not (math.isfinite(size) and math.isfinite(hardness)):
        raise ValueError("brush size and hardness must be numbers")
    r = max(1, min(MAX_RADIUS, int(round(size))))  # a bigger brush is a fill, not a stamp
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    d = np.sqrt(xx * xx + yy * yy) / r
    solid = max(0.0, min(1.0, hardness))
    if solid >= 0.999:
        return (d <= 1.0).astype(np.float32)
    return np.clip((1.0 - d) / max(1e-3, 1.0 - solid), 0.0, 1.0).astype(np.float32)


def dab(mask: np.ndarray, brush: np.ndarray, x: float, y: float, erase: bool) -> Box | None:
    """Stamp ``brush`` centred on (x, y) into the uint8 ``mask`` in place: painting keeps the
    larger coverage, erasing the smaller; returns the box touched (None: off the mask)."""
    h, w = mask.shape[:2]
    r = brush.shape[0] // 2
    cx, cy = int(round(x)), int(round(y))
    x0, y0, x1, y1 = max(0, cx - r), max(0, cy - r), min(w, cx + r + 1), min(h, cy + r + 1)
    if x0 >= x1 or y0 >= y1:
        return None
    s = brush[y0 - (cy - r) : y1 - (cy - r), x0 - (cx - r) : x1 - (cx - r)]
    roi = mask[y0:y1, x0:x1]
    if erase:
        np.minimum(roi, ((1.0 - s) * 255).astype(np.uint8), out=roi)
    else:
        np.maximum(roi, (s * 255).astype(np.uint8), out=roi)
    return (x0, y0, x1, y1)


def segment(
    mask: np.ndarray,
    brush: np.ndarray,
    a: tuple[float, float],
    b: tuple[float, float],
    spacing: float,
    erase: bool,
) -> Box | None:
    """Dabs from ``a`` to ``b`` (``b`` included, ``a`` not unless they coincide) every
    ``spacing`` pixels, so a fast stroke leaves no gaps; returns the box touched."""
    dist = float(np.hypot(b[0] - a[0], b[1] - a[1]))
    steps = max(1, int(dist / max(1.0, spacing)))
    box: Box | None = None
    for k in range(1, steps + 1):
        t = k / steps
        box = union(
            box, dab(mask, brush, a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, erase)
        )
    return box


def fill(mask: np.ndarray, x: int, y: int) -> None:
    """Flood-fill the 4-connected area of equal value around (x, y) with 255, in place."""
    h, w = mask.shape[:2]
    if 0 <= x < w and 0 <= y < h:
        cv2.floodFill(mask, np.zeros((h + 2, w + 2), np.uint8), (x, y), 255, 0, 0, flags=4)


def changed_box(before: np.ndarray, after: np.ndarray, box: Box | None = None) -> Box | None:
    """The box where ``after`` differs from ``before`` (within ``box`` when given), or None."""
    if box is None:
        ys, xs = np.nonzero(before != after)
        if not len(ys):
            return None
        return (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    x0, y0, x1, y1 = box
    return None if np.array_equal(before[y0:y1, x0:x1], after[y0:y1, x0:x1]) else box


def overlay(
    out: np.ndarray,
    layers: Iterable[tuple[np.ndarray, Sequence[int]]],
    box: Box,
    outline: bool = False,
) -> None:
    """Draw the regions (mask, (r, g, b)) over ``box`` of the BGRA buffer ``out`` (the alpha is
    the mask's coverage; later layers on top). ``outline``: only each region's edge, so the
    picture under it stays visible."""
    x0, y0, x1, y1 = box
    h, w = out.shape[:2]
    region = out[y0:y1, x0:x1]
    region[:] = 0
    for mask, (r, g, b) in layers:
        m = mask[y0:y1, x0:x1]
        if outline:  # the ring the mask loses when eroded by one pixel, read with a margin
            ex0, ey0 = max(0, x0 - 2), max(0, y0 - 2)
            eroded = cv2.erode(
                mask[ey0 : min(h, y1 + 2), ex0 : min(w, x1 + 2)], np.ones((3, 3), np.uint8)
            )
            eroded = eroded[y0 - ey0 : y0 - ey0 + (y1 - y0), x0 - ex0 : x0 - ex0 + (x1 - x0)]
            m = np.where((m > 127) & (eroded <= 127), 255, 0).astype(np.uint8)
        sel = m > 0
        if not sel.any():
            continue
        region[sel] = (b, g, r, 0)
        region[..., 3][sel] = m[sel]
