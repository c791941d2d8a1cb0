"""upscale: a VIDEO or an IMAGE, 2x or 4x; the output is of the same type."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from app.core.errors import NodeError
from app.core.limits import limit
from app.core.node import Input, NodeType, Output, Params
from app.core.ports import PortType
from app.core.values import Value
from app.media.images import image_size, load_image, write_png
from app.media.upscale import OnnxUpscaler, lanczos
from app.media.video import VideoWriter, iter_frames, probe, stream_frames
from app.providers import adapter
from app.providers.catalog import backend_names, check_model, param_options, price

MAX_OUTPUT_PIXELS = 7680 * 4320


class UpscaleParams(Params):
    backend: Literal[backend_names("upscale")] = Field(  # type: ignore[valid-type]
        "local",
        description="'local' upscales on this machine; 'runway' uses Runway's video upscale (video only)",
    )
    model: str = Field(
        "", description="the backend's model (see `reelgraph models`); empty for its default"
    )
    factor: Literal[2, 4] = Field(2, description="how much larger")
    method: Literal["lanczos", "onnx"] = Field(
        "lanczos",
        description="lanczos + sharpening (fast), or an ONNX super-resolution model you supply",
    )
    sharpen: float = Field(0.5, ge=0.0, le=2.0, description="unsharp-mask amount after lanczos")
    model_path: str = Field(
        "",
        description="ONNX model for method 'onnx'",
        json_schema_extra={"widget": "file", "filter": "ONNX models (*.onnx)"},
    )
    tile: int = Field(128, ge=32, le=1024, description="tile size for the ONNX model")


def check(p: UpscaleParams, connected):
    _, _, problems = check_model(p.backend, "upscale", p.model, "")
    if problems:
        return problems
    if p.backend != "local":
        return adapter("upscale", p.backend).key_problem()
    if p.method == "onnx" and not p.model_path.strip():
        return [
            (
                "param 'model_path'",
                "method 'onnx' needs a model file; pick one or use method 'lanczos'",
            )
        ]
    return []


def _model(p: UpscaleParams, base: Path) -> Path:
    m = Path(p.model_path).expanduser()
    return m if m.is_absolute() else base / m


def run_remote(ctx, p: UpscaleParams, src: Value):
    from app.media.encode import export
    from app.providers.base import GenerateJob, GenerateRequest

    if src.type != PortType.VIDEO:
        raise NodeError(
            f"{p.backend} upscales videos only",
            field="param 'backend'",
            hint="use 'local' for images",
        )
    backend = adapter("upscale", p.backend)
    model = p.model or backend.models()[0]
    meta = probe(src.path)
    upload = (
        src.path
        if src.path.suffix == ".mp4"
        else export(src.path, ctx.path("upload.mp4"), "mp4", crf=12, preset="veryfast")[0]
    )
    req = GenerateRequest(
        prompt={},
        image=None,
        end_image=None,
        motion=None,
        camera=None,
        duration=meta.duration,
        fps=meta.fps,
        width=meta.width,
        height=meta.height,
        seed=0,
        takes=1,
        model=model,
        shot_name=ctx.node_id,
        extra={"video": upload},
    )
    job = GenerateJob.for_node(ctx)
    [out] = backend.generate(req, job)
    if upload != src.path:
        upload.unlink(missing_ok=True)
    return {
        "media": Value(
            PortType.VIDEO,
            out,
            dict(probe(out).to_dict(), backend=p.backend, model=model, **job.info),
        )
    }


def cost(p: UpscaleParams, connected: frozenset[str] = frozenset()) -> float:
    return price(
        p.backend, "upscale", p.model, "", 10.0
    )  # priced per 10 s: the length is known at run time


def options(p: UpscaleParams):
    return param_options("upscale", p.backend, p.model)


def run(ctx, p: UpscaleParams, inputs):
    src: Value = inputs["media"]
    if p.backend != "local":
        return run_remote(ctx, p, src)
    op = (
        OnnxUpscaler(_model(p, ctx.base_dir), p.factor, p.tile)
        if p.method == "onnx"
        else (lambda img: lanczos(img, p.factor, p.sharpen))
    )
    if src.type != PortType.VIDEO:
        w, h = image_size(src.path)
        if w * p.factor * h * p.factor > limit("image_pixels"):
            raise NodeError(
                f"{w}x{h} x{p.factor} would be {w * p.factor}x{h * p.factor}, over the "
                f"{limit('image_pixels') / 1e6:.0f} MP limit for images",
                field="param 'factor'",
                hint="use factor 2 or a smaller image",
            )
        img = load_image(src.path)
        out = write_png(ctx.path("upscaled.png"), op(img))
        h, w = img.shape[:2]
        return {
            "media": Value(src.type, out, dict(src.meta, width=w * p.factor, height=h * p.factor))
        }
    meta = probe(src.path)
    W, H = meta.width * p.factor, meta.height * p.factor
    if W * H > MAX_OUTPUT_PIXELS:
        raise NodeError(
            f"{meta.width}x{meta.height} x{p.factor} would be {W}x{H}, beyond 8K",
            field="param 'factor'",
            hint="use factor 2 or upscale a smaller video",
        )
    out = ctx.path("upscaled.mkv")
    frames = iter_frames(src.path)
    with VideoWriter(
        out, W, H, meta.fps, audio=src.path if meta.has_audio else None, audio_seconds=meta.duration
    ) as writer:
        stream_frames(lambda i: op(next(frames)), meta.frames, writer, ctx.progress, workers=1)
    return {"media": Value(PortType.VIDEO, out, dict(src.meta, **probe(out).to_dict()))}


NODE = NodeType(
    id="upscale",
    title="Upscale",
    category="Finish",
    params=UpscaleParams,
    run=run,
    check=check,
    cost=cost,
    options=options,
    kind_for=lambda p: "cpu" if p.backend == "local" else "remote",
    description="Makes a video or image 2x or 4x larger: Lanczos with sharpening, or your own ONNX "
    "super-resolution model (optional extra: onnxruntime).",
    inputs=(Input("media", (PortType.VIDEO, PortType.IMAGE), description="a video or an image"),),
    outputs=(
        Output(
            "media", (PortType.VIDEO, PortType.IMAGE), "same type as the input", same_as="media"
        ),
    ),
    reads=lambda p, base: [_model(p, base)] if p.method == "onnx" and p.model_path.strip() else [],
)
