"""The built-in local engine as a generator backend: offline, CPU, no key."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from app.core.errors import NodeError
from app.media import shotfile
from app.media.camera import CameraPath, Keyframe
from app.media.images import image_size, load_image, write_png
from app.media.render import frame_count, render_still, slate
from app.providers.base import GenerateJob, GenerateRequest
from app.providers.catalog import catalog, check_generate


class LocalBackend:
    name = "local"

    def models(self) -> list[str]:
        return list(catalog().models(self.name, "generate"))

    def check(self, connected: frozenset[str], params: Any) -> list[tuple[str | None, str]]:
        problems = check_generate(
            self.name, params.model, params.mode, duration=params.duration, connected=connected
        )
        if "motion" in connected and "image" not in connected:
            problems.append(
                ("input 'motion'", "a motion brush animates a start frame; connect an image too")
            )
        return problems

    def generate(self, req: GenerateRequest, job: GenerateJob) -> list[Path]:
        out = []
        for take in range(1, req.takes + 1):
            path = job.work_dir / f"take_{take:02d}"

            def progress(f: float, msg: str | None, take: int = take) -> None:
                job.progress(
                    ((take - 1) + f) / req.takes, f"take {take}/{req.takes}: {msg or ''}".strip()
                )

            t0 = time.monotonic()
            if req.image is None:
                out.append(self._slate(req, path, take))
            else:
                out.append(self._still(req, path, take, progress))
            job.take_meta.setdefault(take, {})["took_s"] = round(time.monotonic() - t0, 2)
            job.progress(take / req.takes, f"take {take}/{req.takes} done")
        return out

    def _slate(self, req: GenerateRequest, path: Path, take: int) -> Path:
        lines = [
            f"Shot: {req.shot_name}",
            f"Duration: {req.duration:g} s at {req.fps:g} fps, take {take}",
            f"Prompt: {req.prompt.get('text') or '(empty)'}",
        ]
        if req.prompt.get("negative"):
            lines.append(f"Avoid: {req.prompt['negative']}")
        card = write_png(path.with_suffix(".png"), slate(lines, (req.width, req.height)))
        return shotfile.write(
            path.with_suffix(shotfile.SUFFIX),
            card,
            width=req.width,
            height=req.height,
            fps=req.fps,
            frames=frame_count(req.duration, req.fps),
            camera=None,
        )

    def _still(self, req: GenerateRequest, path: Path, take: int, progress) -> Path:
        assert req.image is not None
        if req.width % 2 or req.height % 2:
            raise NodeError(
                f"output size {req.width}x{req.height} must be even", field="param 'width'"
            )
        seed = take_seed(req.seed, take)
        camera = _vary(req.camera, seed)
        count = frame_count(req.duration, req.fps)
        if req.motion is None:
            # a camera move over a still is stored as its recipe: exact, small, fast to read
            image_size(
                req.image
            )  # an IMAGE value is a PNG its node decoded; a damaged one fails here
            return shotfile.write(
                path.with_suffix(shotfile.SUFFIX),
                req.image,
                width=req.width,
                height=req.height,
                fps=req.fps,
                frames=count,
                camera=camera.model_dump(mode="json") if camera else None,
            )
        from app.media.motion import MotionAnimator

        src = load_image(req.image)
        animate = MotionAnimator.from_document(req.motion, src, count, seed=seed)
        path = path.with_suffix(".mkv")
        render_still(
            path,
            src,
            out_size=(req.width, req.height),
            fps=req.fps,
            duration=req.duration,
            camera=camera,
            animate=animate,
            progress=progress,
        )
        return path


LIMITS = {
    "pan": (-90.0, 90.0),
    "tilt": (-60.0, 60.0),
    "roll": (-180.0, 180.0),
    "zoom": (0.101, 10.0),
    "truck": (-1.0, 1.0),
    "pedestal": (-1.0, 1.0),
    "dolly": (-2.0, 0.9),
}


def take_seed(seed: int, take: int) -> int:
    """Take n is made with seed + n - 1, as the cloud backends make it: a take's label says its
    seed, and that seed alone remakes it."""
    return seed + take - 1


def _vary(camera: CameraPath | None, seed: int) -> CameraPath | None:
    """Seed 0 is the move as keyed; another seed varies it visibly (amount and a small drift),
    so takes on the local engine differ the way a model's takes do. The framing is kept."""
    if seed == 0 or camera is None or camera.is_static():
        return camera  # nothing keyed to vary: a held frame stays held
    rng = random.Random(seed)
    amount = 1 + rng.uniform(-0.3, 0.3)
    drift = {
        "pan": rng.uniform(-2.5, 2.5),
        "tilt": rng.uniform(-1.5, 1.5),
        "zoom": 1 + rng.uniform(0.0, 0.08),
    }

    def within(d: dict) -> Keyframe:  # a path keyed at its limits stays within them
        return Keyframe(
            **{
                k: min(LIMITS[k][1], max(LIMITS[k][0], v)) if k in LIMITS else v
                for k, v in d.items()
            }
        )

    def drifted(d: dict) -> dict:  # the drift builds over the shot: it is in the last keyframe
        return d | {
            "pan": d["pan"] + drift["pan"],
            "tilt": d["tilt"] + drift["tilt"],
            "zoom": d["zoom"] * drift["zoom"],
        }

    kfs = []
    for k in camera.keyframes:
        d = k.model_dump()
        for axis in ("pan", "tilt", "roll", "truck", "pedestal", "dolly"):
            d[axis] = d[axis] * amount
        d["zoom"] = d["zoom"] ** amount
        last = k.t >= camera.keyframes[-1].t and len(camera.keyframes) > 1
        kfs.append(within(drifted(d) if last else d))
    if len(kfs) == 1:  # a single keyframe: the drift as a second one
        kfs = [
            kfs[0].model_copy(update={"t": 0.0}),
            within(drifted(kfs[0].model_dump() | {"t": 1.0})),
        ]
    return camera.model_copy(update={"keyframes": kfs})
