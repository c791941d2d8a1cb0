"""The built-in local engine as a generator backend: offline, CPU, no key."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from app.core.errors import NodeError
from app.media.camera import CameraPath, Keyframe
from app.media.images import load_image
from app.media.render import frame_count, render_still, slate
from app.media.video import VideoWriter
from app.providers.base import GenerateJob, GenerateRequest

MODELS = ["still-motion"]


class LocalBackend:
    name = "local"

    def models(self) -> list[str]:
        return list(MODELS)

    def check(self, connected: frozenset[str], params: Any) -> list[tuple[str | None, str]]:
        problems: list[tuple[str | None, str]] = []
        if params.model and params.model not in MODELS:
            problems.append(("param 'model'", f"backend local has no model {params.model!r}; models: {', '.join(MODELS)}"))
        if "end_image" in connected:
            problems.append(("input 'end_image'", "backend local cannot aim for an end frame; disconnect it or pick "
                             "a backend that supports end frames (kling, luma, runway)"))
        if "motion" in connected and "image" not in connected:
            problems.append(("input 'motion'", "a motion brush animates a start frame; connect an image too"))
        return problems

    def generate(self, req: GenerateRequest, job: GenerateJob) -> list[Path]:
        out = []
        for take in range(1, req.takes + 1):
            path = job.work_dir / f"take_{take:02d}.mkv"

            def progress(f: float, msg: str | None, take: int = take) -> None:
                job.progress(((take - 1) + f) / req.takes, f"take {take}/{req.takes}: {msg or ''}".strip())

            if req.image is None:
                self._slate(req, path, take, progress)
            else:
                self._still(req, path, take, progress)
            out.append(path)
        return out

    def _slate(self, req: GenerateRequest, path: Path, take: int, progress) -> None:
        lines = [f"Shot: {req.shot_name}", f"Duration: {req.duration:g} s at {req.fps:g} fps, take {take}",
                 f"Prompt: {req.prompt.get('text') or '(empty)'}"]
        if req.prompt.get("negative"):
            lines.append(f"Avoid: {req.prompt['negative']}")
        card = slate(lines, (req.width, req.height))
        count = frame_count(req.duration, req.fps)
        with VideoWriter(path, req.width, req.height, req.fps) as w:
            for i in range(count):
                w.write(card)
                progress((i + 1) / count, "animatic")

    def _still(self, req: GenerateRequest, path: Path, take: int, progress) -> None:
        assert req.image is not None
        src = load_image(req.image)
        camera = _vary(req.camera, req.seed, take)
        animate = None
        if req.motion is not None:
            from app.media.motion import MotionAnimator

            animate = MotionAnimator.from_document(req.motion, src, frame_count(req.duration, req.fps),
                                                   seed=req.seed * 1000 + take)
        if req.width % 2 or req.height % 2:
            raise NodeError(f"output size {req.width}x{req.height} must be even", field="param 'width'")
        render_still(path, src, out_size=(req.width, req.height), fps=req.fps, duration=req.duration,
                     camera=camera, animate=animate, progress=progress)


def _vary(camera: CameraPath | None, seed: int, take: int) -> CameraPath | None:
    """Take 1 is the path as keyed; later takes vary the move subtly (seeded)."""
    if camera is None or take == 1 or camera.is_static():
        return camera
    rng = random.Random(seed * 1000 + take)
    amount = 1 + rng.uniform(-0.08, 0.08)
    kfs = []
    for k in camera.keyframes:
        d = k.model_dump()
        for axis in ("pan", "tilt", "roll", "truck", "pedestal"):
            d[axis] = d[axis] * amount
        d["zoom"] = d["zoom"] ** amount
        d["dolly"] = min(0.9, d["dolly"] * amount)
        kfs.append(Keyframe(**d))
    return camera.model_copy(update={"keyframes": kfs})
