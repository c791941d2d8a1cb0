"""Delivery encoding: MP4 (H.264/AAC), MOV (ProRes 422 HQ/PCM), PNG sequence, WebM (VP9/Opus),
GIF. The workflow that made a render is embedded in it so the graph can be recovered."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
from PIL import Image

from app.core.errors import NodeError
from app.core.limits import limit
from app.core.safefiles import is_regular
from app.media import shotfile
from app.media.images import png_text, write_png
from app.media.video import VideoMeta, VideoWriter, iter_frames, probe

WORKFLOW_KEY = "reelgraph_workflow"
SUFFIX = {"mp4": ".mp4", "mov": ".mov", "webm": ".webm", "gif": ".gif", "png": ""}
Progress = Callable[[float, str | None], None]


def export(
    src: Path,
    dest: Path,
    fmt: str,
    *,
    crf: int = 18,
    preset: str = "medium",
    workflow: dict | None = None,
    progress: Progress | None = None,
    audio: Path | None = None,
) -> list[Path]:
    """Encode ``src`` (any readable video) to ``dest``; returns the files written. ``audio``
    replaces the video's own sound; either is cut or padded with silence to the video's length."""
    meta = probe(src)
    wf_text = json.dumps(workflow, separators=(",", ":"), ensure_ascii=False) if workflow else None
    if fmt == "png":
        return _png_sequence(src, dest, meta, wf_text, progress)
    if fmt == "gif":
        return [_gif(src, dest, meta, wf_text, progress)]
    if fmt == "mp4":
        opts = {"crf": str(crf), "preset": preset}
        kw: dict[str, Any] = dict(
            codec="libx264",
            pix_fmt="yuv420p",
            options=opts,
            audio_codec="aac",
            container_options={"movflags": "+faststart+use_metadata_tags"},
        )
    elif fmt == "mov":
        kw = dict(
            codec="prores_aw",
            pix_fmt="yuv422p10le",
            options={"profile": "3", "vendor": "apl0"},
            audio_codec="pcm_s16le",
            container_options={"movflags": "use_metadata_tags"},
        )
    elif fmt == "webm":
        kw = dict(
            codec="libvpx-vp9",
            pix_fmt="yuv420p",
            options={
                "crf": str(crf),
                "b": "0",
                "deadline": "realtime",
                "cpu-used": "8",
                "row-mt": "1",
            },
            audio_codec="libopus",
        )
    else:
        raise NodeError(
            f"unknown format {fmt!r}", field="param 'format'", hint="mp4, mov, png, webm or gif"
        )
    if meta.width % 2 or meta.height % 2:
        raise NodeError(f"{meta.width}x{meta.height} has an odd side; {fmt} needs even sizes")
    metadata = {WORKFLOW_KEY: wf_text} if wf_text else {}
    with VideoWriter(
        dest,
        meta.width,
        meta.height,
        meta.fps,
        metadata=metadata,
        audio=audio or (src if meta.has_audio else None),
        audio_seconds=meta.duration,
        **kw,
    ) as w:
        # 4:2:0 targets take decoded frames straight to swscale (no numpy round trip); ProRes
        # 4:2:2 10-bit goes through RGB, which converts chroma more faithfully here
        direct = kw["pix_fmt"] == "yuv420p"
        for i, frame in enumerate(iter_frames(src, fmt=_decoded(src) if direct else "bgr24")):
            w.write(frame)
            if progress:
                progress(
                    (i + 1) / max(1, meta.frames), f"encoding {fmt} frame {i + 1}/{meta.frames}"
                )
    return [dest]


def _decoded(src: Path) -> str | None:
    """How a 4:2:0 encode takes frames: a still-render recipe renders 4:2:0 planes itself;
    decoded video goes as av frames straight to swscale."""
    return "yuv420p" if shotfile.is_shot(src) else None


def _png_sequence(
    src: Path, folder: Path, meta: VideoMeta, wf_text: str | None, progress: Progress | None
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    text = {WORKFLOW_KEY: wf_text} if wf_text else None
    digits = max(5, len(str(meta.frames)))
    files: list[Path] = []
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        pending = []
        for i, frame in enumerate(iter_frames(src)):
            path = folder / f"frame_{i + 1:0{digits}d}.png"
            # PNG compression dominates; a pool writes several frames at once
            pending.append(
                pool.submit(write_png, path, frame, level=3, text=text if i == 0 else None)
            )
            files.append(path)
            if len(pending) > 2 * (os.cpu_count() or 1):
                pending.pop(0).result()
            if progress:
                progress((i + 1) / max(1, meta.frames), f"PNG frame {i + 1}/{meta.frames}")
        for f in pending:
            f.result()
    return files


def _gif(
    src: Path, dest: Path, meta: VideoMeta, wf_text: str | None, progress: Progress | None
) -> Path:
    """A GIF with one palette for the whole clip (median cut over sampled frames) and
    Floyd-Steinberg dithering; frames are streamed in two passes, never all held at once."""
    from PIL import Image

    if meta.frames > 1500:
        raise NodeError(
            f"{meta.frames} frames is too long for a GIF",
            field="param 'format'",
            hint="export mp4 or webm",
        )
    step = max(1, meta.frames // 24)
    samples = [
        cv2.resize(
            f, (max(1, meta.width // 4), max(1, meta.height // 4)), interpolation=cv2.INTER_AREA
        )
        for i, f in enumerate(iter_frames(src))
        if i % step == 0
    ][:32]
    montage = Image.fromarray(cv2.cvtColor(np.vstack(samples), cv2.COLOR_BGR2RGB))
    pal_img = montage.quantize(
        colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    palette = pal_img.getpalette() or []
    rgb = np.array(palette[: 256 * 3] + [0] * max(0, 768 - len(palette)), np.uint8)
    rgb = rgb[:768].reshape(256, 3)
    # PyAV takes the palette as rows of A, R, G, B bytes
    argb = np.concatenate([np.full((256, 1), 255, np.uint8), rgb], axis=1)
    with av.open(str(dest), mode="w") as c:
        # GIF delays are whole centiseconds: stamp each frame at its true time, so delays
        # alternate (4, 4, 4, 4, 4, 5 cs at 24 fps) and the clip keeps its duration
        stream = c.add_stream("gif", rate=_gif_rate(meta.fps))
        stream.width, stream.height, stream.pix_fmt = meta.width, meta.height, "pal8"
        stream.codec_context.time_base = Fraction(1, 100)
        stream.time_base = Fraction(1, 100)
        for i, frame in enumerate(iter_frames(src)):
            im = Image.fromarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)).quantize(
                palette=pal_img, dither=Image.Dither.FLOYDSTEINBERG
            )
            # pal8 takes (indices, palette): PyAV accepts the pair, its stubs do not say so
            vf = av.VideoFrame.from_ndarray((np.asarray(im, dtype=np.uint8), argb), format="pal8")  # type: ignore[arg-type]
            vf.pts = round(i * 100 / meta.fps)
            vf.time_base = Fraction(1, 100)
            for packet in stream.encode(vf):
                c.mux(packet)
            if progress:
                progress((i + 1) / max(1, meta.frames), f"GIF frame {i + 1}/{meta.frames}")
        for packet in stream.encode():
            c.mux(packet)
    return dest


def _gif_rate(fps: float) -> Fraction:
    return Fraction(fps).limit_denominator(1001)


def read_embedded_workflow(path: Path) -> dict | None:
    """The workflow embedded in a render (MP4/MOV/WebM tag or PNG text chunk), or None."""
    text: str | None = None
    if not is_regular(path):
        return None
    if path.suffix.lower() == ".png":
        try:
            text = png_text(path).get(WORKFLOW_KEY)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            return None
    else:
        try:
            with av.open(str(path)) as c:
                text = c.metadata.get(WORKFLOW_KEY) or c.metadata.get(WORKFLOW_KEY.upper())
                if text is None:
                    for s in c.streams:
                        text = s.metadata.get(WORKFLOW_KEY)
                        if text:
                            break
        except av.error.FFmpegError:
            return None
    if not text or len(text) > limit("workflow_bytes"):
        return None
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None
