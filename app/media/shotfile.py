"""Still-render recipes: how the local engine stores a camera move of a still.

A camera move over a still is fully described by the still (a lossless PNG), the camera path
and the frame size, rate and count. Storing that recipe instead of its frames is lossless (the
renderer is deterministic: fixed-point bilinear warps), a few hundred kilobytes instead of
~100 MB per 5 s of 1080p, and faster to read back than decoding a lossless intermediate: a warp
costs less than decoding a qp-0 frame. Everything that reads VIDEO goes through
app.media.video (probe, iter_frames, read_frame), which renders a recipe on the fly, so no
consumer needs to know. Motion-brush renders (integrated frame after frame) stay real files.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.core.errors import NodeError
from app.core.limits import limit
from app.core.safefiles import checked_file
from app.media.avfile import check_frame_size
from app.media.camera import CameraPath
from app.media.images import load_image
from app.media.render import camera_renderer, i420_renderer
from app.media.streams import ahead

SUFFIX = ".rgshot"
SCHEMA = "reelgraph/still-render"
VERSION = 1
CODEC = "reelgraph-still"


def is_shot(path: Path) -> bool:
    return path.suffix == SUFFIX


def write(
    path: Path,
    source: Path,
    *,
    width: int,
    height: int,
    fps: float,
    frames: int,
    camera: dict[str, Any] | None,
) -> Path:
    """Write the recipe ``path`` with its own copy of ``source`` beside it (hard-linked when
    the filesystem allows), so it never depends on another cache entry surviving."""
    still = path.with_suffix(".png")
    if still.resolve() != source.resolve():
        try:
            os.link(source, still)
        except OSError:
            shutil.copyfile(source, still)
    doc = {
        "schema": SCHEMA,
        "version": VERSION,
        "source": still.name,
        "width": width,
        "height": height,
        "fps": fps,
        "frames": frames,
        "camera": camera,
    }
    path.write_text(json.dumps(doc, indent=1))
    return path


class _Recipe(BaseModel):
    """What a render recipe may say: read files are untrusted (a user can pick one in
    load_video), so sizes, rate and length get the limits a video file gets, and the still
    must be a file beside the recipe."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    schema_: str = Field(alias="schema")
    version: int
    source: str = Field(pattern=r"^[^/\\]+$", max_length=255)
    width: int = Field(ge=2, le=16384)
    height: int = Field(ge=2, le=16384)
    fps: float = Field(gt=0)
    frames: int = Field(ge=1)
    camera: dict[str, Any] | None = None


MAX_RECIPE_BYTES = 4 * 1024 * 1024


def read(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise NodeError(f"file not found: {path}", hint="check the path")
    hint = "re-run the generator (clear its cache), or pick a video file"
    try:
        checked_file(path)
        if path.stat().st_size > MAX_RECIPE_BYTES:
            raise ValueError("too large for a render recipe")
        doc = json.loads(path.read_text())
        if (
            not isinstance(doc, dict)
            or doc.get("schema") != SCHEMA
            or doc.get("version") != VERSION
        ):
            raise ValueError("not a still-render recipe of this version")
        rec = _Recipe.model_validate(doc)
        if rec.source.startswith(".") or not (path.parent / rec.source).is_file():
            raise ValueError(f"its still {rec.source!r} is not beside it")
        checked_file(path.parent / rec.source, what="still")
        if rec.camera is not None:
            CameraPath.model_validate(rec.camera)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise NodeError(f"cannot read {path.name}: {where}: {err['msg']}", hint=hint) from None
    except (ValueError, OSError, RecursionError, NodeError) as e:
        raise NodeError(f"cannot read {path.name}: {e}", hint=hint) from None
    check_frame_size(rec.width, rec.height, path.name)
    if rec.fps > limit("fps"):
        raise NodeError(
            f"{path.name} claims {rec.fps:g} frames a second; the limit is {limit('fps')}"
        )
    if rec.frames / rec.fps > limit("video_seconds"):
        raise NodeError(
            f"{path.name} lasts {rec.frames / rec.fps / 3600:.1f} h; the limit is "
            f"{limit('video_seconds') / 60:.0f} min"
        )
    return doc


def renderer(path: Path, doc: dict[str, Any] | None = None):
    """(render(i) -> BGR frame, doc)."""
    doc = doc or read(path)
    src = load_image(path.parent / doc["source"])
    camera = CameraPath.model_validate(doc["camera"]) if doc.get("camera") else None
    return camera_renderer(src, camera, (doc["width"], doc["height"]), doc["frames"]), doc


def frames(path: Path, *, fmt: str | None = "bgr24", prefetch: int = 4) -> Iterator[Any]:
    """Rendered frames in order, a small pool rendering ahead (OpenCV releases the GIL).
    ``fmt`` as for video.iter_frames; "yuv420p" yields av.VideoFrame rendered as 4:2:0."""
    import av

    render, doc = renderer(path)
    count = doc["frames"]
    if fmt == "yuv420p":  # 4:2:0 delivery: render the planes directly (no per-frame conversion)
        render = i420_renderer(render, (doc["width"], doc["height"]))
    workers = min(2, os.cpu_count() or 1)

    def produce(put) -> None:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reelgraph-shot") as pool:
            futures = [pool.submit(render, i) for i in range(min(count, workers * 2))]
            for i in range(count):
                frame = futures[i].result()
                futures[i] = None  # type: ignore[call-overload]
                if len(futures) < count:
                    futures.append(pool.submit(render, len(futures)))
                item: Any
                if fmt == "yuv420p":
                    item = av.VideoFrame.from_ndarray(frame, format="yuv420p")
                elif fmt is None:
                    item = av.VideoFrame.from_ndarray(frame, format="bgr24")
                elif fmt == "bgr24":
                    item = frame
                else:
                    item = av.VideoFrame.from_ndarray(frame, format="bgr24").to_ndarray(format=fmt)
                if not put(item):
                    for f in futures[i + 1 :]:
                        if f is not None:
                            f.cancel()
                    return

    yield from ahead(
        produce,
        prefetch=prefetch,
        name="reelgraph-shot",
        error=lambda e: NodeError(f"cannot render {path.name}: {e}"),
    )


def frame(path: Path, index: int) -> np.ndarray:
    """Any single frame, directly (no decoding from the start)."""
    render, doc = renderer(path)
    n = doc["frames"]
    if not -n <= index < n:
        raise NodeError(f"{path.name} has {n} frames; frame {index} does not exist")
    return render(index % n)
