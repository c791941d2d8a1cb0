"""Masks stored inline in workflows: base64 PNG at the image's resolution."""

from __future__ import annotations

import base64
import binascii

import cv2
import numpy as np

from app.core.limits import limit


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
    w, h = png_size(raw)
    if w * h > limit("mask_pixels"):
        raise MaskError(f"the mask is {w}x{h}; the limit is 8K ({limit('mask_pixels'):,} pixels)")
    img = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise MaskError("not a PNG image")
    if img.ndim == 3:
        img = img[:, :, 3] if img.shape[2] == 4 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    if img.dtype != np.uint8:
        img = np.right_shift(img, 8).astype(np.uint8)
    return (img > 127).astype(np.uint8) * np.uint8(255)  # uint8 all the way: no int64 copy


def png_size(raw: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header, before anything is decoded."""
    if raw[:8] != b"\x89PNG\r\n\x1a\n" or raw[12:16] != b"IHDR" or len(raw) < 24:
        raise MaskError("not a PNG image")
    return int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")


def encode_mask(mask: np.ndarray) -> str:
    """uint8/bool mask -> base64 1-bit-ish PNG (small: masks are mostly flat)."""
    m = np.where(np.asarray(mask) > 0, 255, 0).astype(np.uint8)
    ok, buf = cv2.imencode(".png", m, [cv2.IMWRITE_PNG_COMPRESSION, 9, cv2.IMWRITE_PNG_BILEVEL, 1])
    if not ok:
        raise MaskError("could not encode mask")
    return base64.b64encode(buf.tobytes()).decode("ascii")
