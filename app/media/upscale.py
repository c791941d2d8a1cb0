"""Upscaling: Lanczos plus unsharp masking, or a user-supplied ONNX super-resolution model run
tile by tile with onnxruntime (an optional extra)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from app.core.errors import NodeError


def lanczos(img: np.ndarray, factor: int, sharpen: float) -> np.ndarray:
    h, w = img.shape[:2]
    big = cv2.resize(img, (w * factor, h * factor), interpolation=cv2.INTER_LANCZOS4)
    if sharpen <= 0:
        return big
    blur = cv2.GaussianBlur(big, (0, 0), sigmaX=0.8 * factor)
    return cv2.addWeighted(big, 1 + sharpen, blur, -sharpen, 0)


class OnnxUpscaler:
    """Runs an NCHW float RGB [0, 1] model whose output is ``factor`` times its input, in tiles
    with an overlap that is cropped away (no seams)."""

    def __init__(self, model: Path, factor: int, tile: int = 128, overlap: int = 8) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise NodeError(
                "method 'onnx' needs onnxruntime, which is not installed",
                field="param 'method'",
                hint="pip install 'reelgraph[onnx]' or use method 'lanczos'",
            ) from None
        if not model.exists():
            raise NodeError(f"model file not found: {model}", field="param 'model_path'")
        try:
            self.session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        except Exception as e:  # noqa: BLE001 - onnxruntime raises its own untyped errors for bad files
            raise NodeError(
                f"cannot load {model.name}: {e}",
                field="param 'model_path'",
                hint="an ONNX super-resolution model is needed",
            ) from None
        self.input = self.session.get_inputs()[0].name
        self.factor, self.tile, self.overlap = factor, tile, overlap

    def __call__(self, img: np.ndarray) -> np.ndarray:
        h, w = img.shape[:2]
        f, t, o = self.factor, self.tile, self.overlap
        rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        out = np.zeros((h * f, w * f, 3), np.float32)
        for y in range(0, h, t):
            for x in range(0, w, t):
                y0, x0 = max(0, y - o), max(0, x - o)
                y1, x1 = min(h, y + t + o), min(w, x + t + o)
                patch = rgb[y0:y1, x0:x1].transpose(2, 0, 1)[None]
                res = self.session.run(None, {self.input: patch})[0][0].transpose(1, 2, 0)
                if res.shape[0] != (y1 - y0) * f or res.shape[1] != (x1 - x0) * f:
                    raise NodeError(
                        f"the model scales by {res.shape[0] / (y1 - y0):g}, not {f}",
                        field="param 'factor'",
                        hint="set factor to the model's scale",
                    )
                cy, cx = (y - y0) * f, (x - x0) * f
                hh, ww = min(t, h - y) * f, min(t, w - x) * f
                out[y * f : y * f + hh, x * f : x * f + ww] = res[cy : cy + hh, cx : cx + ww]
        return cv2.cvtColor(np.clip(out * 255 + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR)
