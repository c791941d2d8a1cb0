"""Still images: safe loading (size checked from the header first) and fast PNG writing."""

from __future__ import annotations

import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from app.core.errors import NodeError
from app.core.limits import limit

# 100 megapixels: beyond any real reference still, well short of a decompression bomb. Pillow's
# own bomb threshold is set to it, so a 95 MP still is read and a larger one refused by us.
MAX_PIXELS = limit("image_pixels")
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) read from the header only; raises NodeError for unreadable files."""
    try:
        with warnings.catch_warnings():
            # over the limit (but not absurd): the size is read and the caller says what it is
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                return im.size
    except FileNotFoundError:
        raise NodeError(f"file not found: {path}", hint="check the path") from None
    except Image.DecompressionBombError:
        raise NodeError(
            f"{path.name} claims a size over {2 * MAX_PIXELS / 1e6:.0f} MP; refusing to decode it "
            "(possible decompression bomb)",
            hint="scale the image down",
        ) from None
    except OSError as e:
        raise NodeError(
            f"cannot read image {path.name}: {e}", hint="use a PNG, JPEG, WebP or TIFF file"
        ) from None


def load_image(path: Path, *, mode: str = "bgr") -> np.ndarray:
    """Load as uint8 BGR (mode 'bgr'), BGRA ('bgra') or single channel ('gray')."""
    w, h = image_size(path)
    if w * h > MAX_PIXELS:
        raise NodeError(
            f"{path.name} is {w}x{h} ({w * h / 1e6:.0f} MP); the limit is {MAX_PIXELS / 1e6:.0f} MP",
            hint="scale the image down",
        )
    flag = {"bgr": cv2.IMREAD_COLOR, "bgra": cv2.IMREAD_UNCHANGED, "gray": cv2.IMREAD_GRAYSCALE}[
        mode
    ]
    data = np.fromfile(str(path), dtype=np.uint8)
    img = cv2.imdecode(data, flag)
    if img is None:
        raise NodeError(
            f"cannot decode image {path.name}", hint="the file may be truncated or not an image"
        )
    if img.dtype != np.uint8:  # 16-bit PNG/TIFF: a shift, not a float64 copy of the picture
        img = np.right_shift(img, 8).astype(np.uint8)
    if mode == "bgra":
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGRA)
        elif img.shape[2] == 3:
            img = cv2.cvtColor(img, cv2.COLOR_BGR2BGRA)
    return img


def is_png_rgb8(path: Path) -> bool:
    """An 8-bit RGB PNG without alpha: the form every IMAGE value takes, so it can be used as is."""
    with open(path, "rb") as f:
        head = f.read(26)
    # signature, IHDR length and tag, width, height, then bit depth 8 and colour type 2
    return (
        head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR" and head[24:26] == b"\x08\x02"
    )


def write_png(
    path: Path, img: np.ndarray, *, level: int = 1, text: dict[str, str] | None = None
) -> Path:
    """PNG with fast compression; ``text`` adds tEXt/iTXt chunks (Pillow)."""
    if text:
        if img.ndim == 2:
            pil = Image.fromarray(img)
        elif img.shape[2] == 4:
            pil = Image.fromarray(cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA))
        else:
            pil = Image.fromarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        for k, v in text.items():
            info.add_itxt(k, v, zip=True)
        pil.save(path, format="PNG", pnginfo=info, compress_level=level)
        return path
    ok, buf = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, level])
    if not ok:
        raise NodeError(f"could not encode {path.name}")
    buf.tofile(str(path))
    return path


def png_text(path: Path) -> dict[str, str]:
    from PIL import PngImagePlugin

    # a render's embedded workflow may be larger than Pillow's default 1 MB text chunk guard
    PngImagePlugin.MAX_TEXT_CHUNK = max(PngImagePlugin.MAX_TEXT_CHUNK, limit("workflow_bytes"))
    PngImagePlugin.MAX_TEXT_MEMORY = max(PngImagePlugin.MAX_TEXT_MEMORY, limit("workflow_bytes"))
    with Image.open(path) as im:
        return {k: v for k, v in (getattr(im, "text", {}) or {}).items() if isinstance(v, str)}


def fit_to_aspect(img: np.ndarray, aspect: float) -> np.ndarray:
    """Centre-crop to the aspect ratio (width / height)."""
    h, w = img.shape[:2]
    if abs(w / h - aspect) < 1e-3:
        return img
    if w / h > aspect:
        nw = max(1, round(h * aspect))
        x0 = (w - nw) // 2
        return img[:, x0 : x0 + nw]
    nh = max(1, round(w / aspect))
    y0 = (h - nh) // 2
    return img[y0 : y0 + nh]
