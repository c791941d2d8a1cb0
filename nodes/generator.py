"""generator: turns prompt, start frame, motion and camera into video takes on a backend."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from app.core.errors import NodeError
from app.core.limits import limit
from app.core.node import Input, NodeType, Options, Output, Params
from app.core.ports import PortType
from app.core.validate import BASE_DIR
from app.core.values import Value
from app.media.camera import CameraPath, Fit, Framing
from app.media.images import load_image, write_png
from app.media.render import framed_motion, framed_still_and_map
from app.media.video import probe
from app.providers import get_backend
from app.providers.base import GenerateJob, GenerateRequest
from app.providers.catalog import backend_names, catalog, param_options, price, resolve_mode, wanted
from app.providers.comfy_templates import find, names
from app.providers.local import take_seed
from app.providers.remote import nearest_ratio
from app.providers.settings import base_url

# the backends the model catalog lists for generation (resources/models.json)
if TYPE_CHECKING:
    Backend = str
else:  # a Literal built from the catalog: the JSON schema and the properties panel list them
    Backend = Literal[tuple(backend_names("generate"))]


class GeneratorParams(Params):
    backend: Backend = Field(
        "local",
        description="where the video is made: 'local' renders offline on the CPU; "
        "the others are cloud models or your ComfyUI server",
    )
    model: str = Field(
        "", description="the backend's model (see `reelgraph models`); empty for its default"
    )
    mode: str = Field(
        "",
        description="the model's mode where it has modes (Kling std/pro); empty picks the "
        "cheapest mode that does what the connected inputs ask",
    )
    duration: float = Field(5.0, ge=0.5, le=60.0, description="seconds")
    fps: float = Field(24.0, ge=1.0, le=120.0, description="frames per second")
    width: int = Field(
        1280, ge=16, le=7680, multiple_of=2, description="output width in pixels (even)"
    )
    height: int = Field(
        720, ge=16, le=4320, multiple_of=2, description="output height in pixels (even)"
    )
    seed: int = Field(
        0, ge=0, le=2**31 - 1, description="varies the result; same seed, same result"
    )
    takes: int = Field(1, ge=1, le=16, description="how many versions to make")
    selected_take: int = Field(
        1, ge=1, le=16, description="which take the 'video' output carries (1-based)"
    )
    # the start framing: how the still fills the frame (drag it in the camera editor)
    fit: Fit = Field(
        "fill",
        description="'fill' covers the frame, cropping the still; 'fit' shows the whole still "
        "with black bars",
    )
    frame_x: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="the still's point at the frame's centre, across (0 left edge, 1 right edge)",
    )
    frame_y: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="the still's point at the frame's centre, down (0 top edge, 1 bottom edge)",
    )
    frame_scale: float = Field(
        1.0,
        ge=0.25,
        le=8.0,
        description="framing closeness: 1 just fills (or fits) the frame, 2 frames twice as close",
    )

    def framing(self) -> Framing:
        return Framing(fit=self.fit, x=self.frame_x, y=self.frame_y, scale=self.frame_scale)


FRAMING_PARAMS = ("fit", "frame_x", "frame_y", "frame_scale")


def check(p: GeneratorParams, connected: frozenset[str]):
    problems = []
    if p.selected_take > p.takes:
        problems.append(
            ("param 'selected_take'", f"take {p.selected_take} of {p.takes}; pick 1..{p.takes}")
        )
    if p.backend == "local":  # what this machine would render: bounded before the run starts
        work = p.width * p.height * max(1, round(p.duration * p.fps)) * p.takes
        if work > limit("node_pixels"):
            problems.append(
                (
                    "param 'takes'",
                    f"{p.width}x{p.height} at {p.fps:g} fps for {p.duration:g} s x "
                    f"{p.takes} take(s) is {work / 1e9:,.0f} billion pixels to render; the limit is "
                    f"{limit('node_pixels') / 1e9:,.0f} billion (a minute of 8K at 24 fps): lower the size, "
                    "frame rate, duration or takes",
                )
            )
    backend = get_backend(p.backend)
    if backend is None:
        problems.append(("param 'backend'", f"unknown backend {p.backend!r}"))
    else:
        problems.extend(backend.check(connected, p))
    return problems


def run(ctx, p: GeneratorParams, inputs):
    backend = get_backend(p.backend)
    if backend is None:
        raise NodeError(f"unknown backend {p.backend!r}", field="param 'backend'")
    prompt = inputs["prompt"].read_json()
    camera = CameraPath.model_validate(inputs["camera"].read_json()) if "camera" in inputs else None
    framing = p.framing()
    if p.backend == "local" and (camera is not None or not framing.is_default()):
        # the local engine frames while it renders; a cloud model gets the still framed instead
        # (below), and a camera only when one is connected
        camera = (camera or CameraPath()).model_copy(update={"framing": framing})
    model = p.model or (backend.models() or [""])[0]
    mode = resolve_mode(p.backend, "generate", model, p.mode, wanted(frozenset(inputs)), p.duration)
    image = inputs["image"].path if "image" in inputs else None
    motion = inputs["motion"].read_json() if "motion" in inputs else None
    url = inputs["image"].meta.get("url") if "image" in inputs else None
    # what the editor shows is what the model is sent: the still as framed (a still fetched by URL
    # is the provider's to fetch as it is)
    framed = image is not None and p.backend != "local" and not url
    notes: list[str] = []
    if framed and image is not None:
        image, motion = _framed(
            ctx.work_dir, image, motion, framing, p.backend, model, mode, p.width, p.height
        )
    elif url and not framing.is_default():
        notes.append(
            f"{p.backend} fetches the start frame from its URL: the start framing is not applied to it"
        )
    req = GenerateRequest(
        prompt=prompt,
        image=image,
        end_image=inputs["end_image"].path if "end_image" in inputs else None,
        motion=motion,
        camera=camera,
        duration=p.duration,
        fps=p.fps,
        width=p.width,
        height=p.height,
        seed=p.seed,
        takes=p.takes,
        model=model,
        mode=mode,
        shot_name=ctx.node_id,
        image_url=url,
        end_image_url=inputs["end_image"].meta.get("url") if "end_image" in inputs else None,
    )
    job = GenerateJob.for_node(ctx)
    if notes:
        job.info.setdefault("notes", []).extend(notes)
    files = backend.generate(req, job)
    metas = []
    for i, f in enumerate(files, start=1):
        m = probe(f).to_dict()
        m.update(
            backend=p.backend,
            model=req.model,
            seed=take_seed(p.seed, i),
            take=i,
            takes=len(files),
            **job.info,
        )
        if req.mode:
            m["mode"] = req.mode
        m.update(job.take_meta.get(i, {}))
        if p.backend != "local":
            m["cost"] = round(backend.cost(req) / max(1, req.takes), 4)
        metas.append(m)
    sel = metas[p.selected_take - 1]
    takes_meta = dict(metas[0], takes_files=[f.name for f in files], takes_meta=metas)
    return {
        "video": Value(PortType.VIDEO, files[p.selected_take - 1], sel),
        "takes": Value(PortType.VIDEO, files[0], takes_meta),
    }


def _framed(
    work_dir: Path,
    image: Path,
    motion: dict | None,
    framing: Framing,
    backend: str,
    model: str,
    mode: str,
    width: int,
    height: int,
) -> tuple[Path, dict | None]:
    """The start frame cropped (or padded) to the shape the model will make: the catalog's
    nearest ratio where the model has fixed ratios, else width:height."""
    md = catalog().mode(backend, "generate", model, mode)
    ratios = tuple(md.ratios or ()) if md is not None else ()
    aspect = width / height
    if ratios:
        sep = ":" if ":" in ratios[0] else "x"
        a, b = (float(v) for v in nearest_ratio(width, height, ratios, sep).split(sep))
        aspect = a / b
    src = load_image(image)
    framed, affine = framed_still_and_map(src, framing, aspect)
    if framed.shape[:2] == src.shape[:2] and np.allclose(affine, [[1, 0, 0], [0, 1, 0]], atol=1e-6):
        return image, motion  # already the shape the model makes: sent as it is, byte for byte
    h, w = framed.shape[:2]
    return (
        write_png(work_dir / "start_frame_framed.png", framed),
        framed_motion(motion, affine, (w, h)) if motion else None,
    )


def cost(p: GeneratorParams, connected: frozenset[str] = frozenset()) -> float:
    return price(p.backend, "generate", p.model, p.mode, p.duration, p.takes, wanted(connected))


def reads(p: GeneratorParams, base: Path) -> list[Path]:
    """A ComfyUI template is part of what the node makes: its content is in the cache key, so
    editing the template re-runs the node (and an unchanged one never does)."""
    if p.backend != "comfyui" or not p.model:
        return []
    found = find(p.model, base)
    return [found] if found is not None else []


def identity(p: GeneratorParams) -> dict[str, str]:
    if p.backend != "comfyui":
        return {}
    return {"comfyui server": base_url("comfyui", catalog().backends["comfyui"].base_url)}


def options(p: GeneratorParams):
    out = param_options("generate", p.backend, p.model, with_mode=True)
    if p.backend == "comfyui":  # the user's own workflows are the models
        out["model"] = Options(
            tuple((n, f"{n} · your ComfyUI workflow") for n in names(BASE_DIR.get())), free=True
        )
    return out


def present(p: GeneratorParams, outputs: dict[str, Value]) -> dict[str, Value]:
    """The 'video' output is the selected take of the takes made: picking another take is a
    choice among results already paid for, never a new generation."""
    takes = outputs["takes"]
    names = takes.meta.get("takes_files") or []
    metas = takes.meta.get("takes_meta") or []
    i = p.selected_take - 1
    if not 0 <= i < len(names):
        return outputs
    return {
        "video": Value(PortType.VIDEO, takes.path.parent / names[i], dict(metas[i])),
        "takes": takes,
    }


NODE = NodeType(
    id="generator",
    title="Generator",
    category="Generate",
    params=GeneratorParams,
    run=run,
    check=check,
    choices=("selected_take",),
    present=present,
    later_params=FRAMING_PARAMS,
    kind_for=lambda p: "cpu" if p.backend == "local" else "remote",
    cost=cost,
    options=options,
    reads=reads,
    identity=identity,
    description="Makes the shot's video from a prompt, an optional start frame, motion brush and camera path. "
    "Backend 'local' animates the still offline (camera move, motion brush) or, without an image, "
    "renders an animatic slate so the sequence can be timed before anything is generated. The local "
    "engine does not read the prompt: it moves the picture you give it, to check framing, motion and "
    "timing before paying; a cloud model or your ComfyUI server makes new pictures from the prompt. "
    "Its takes vary the move with the seed (seed + take - 1).",
    inputs=(
        Input("prompt", PortType.PROMPT, description="what to generate"),
        Input("image", PortType.IMAGE, required=False, description="start frame"),
        Input(
            "end_image",
            PortType.IMAGE,
            required=False,
            description="end frame (backends that support it)",
        ),
        Input(
            "motion",
            PortType.MOTION,
            required=False,
            description="motion brush regions and trajectories",
        ),
        Input("camera", PortType.CAMERA, required=False, description="camera path"),
    ),
    outputs=(
        Output("video", PortType.VIDEO, "the selected take"),
        Output("takes", PortType.VIDEO, "all takes (compare and the viewer expand them)"),
    ),
)
