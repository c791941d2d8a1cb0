"""Masks stored inline in workflows: base64 PNG at the image's resolution."""

from __future__ import annotations

import base64
import binascii

import cv2
import numpy as np


class MaskError(ValueError):
    pass


def decode_mask(data: str) -> np.ndarray:
    """base64 PNG (optionally a data: URL) -> uint8 array, 255 where painted."""
    if data.startswith("data:"):
        data = data.split(",", 1)[-1]
    try:
        raw = base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError) as e:
        raise MaskError(f"not base64 ({e})") from None
    img = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise MaskError("not a PNG image")
    if img.ndim == 3:
        img = img[:, :, 3] if img.shape[2] == 4 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    if img.dtype != np.uint8:
        img = (img / 257).astype(np.uint8)
    return np.where(img > 127, 255, 0).astype(np.uint8)


def encode_mask(mask: np.ndarray) -> str:
    """uint8/bool mask -> base64 1-bit-ish PNG (small: masks are mostly flat)."""
    m = np.where(np.asarray(mask) > 0, 255, 0).astype(np.uint8)
    ok, buf = cv2.imencode(".png", m, [cv2.IMWRITE_PNG_COMPRESSION, 9, cv2.IMWRITE_PNG_BILEVEL, 1])
    if not ok:
        raise MaskError("could not encode mask")
    return base64.b64encode(buf.tobytes()).decode("ascii")
