"""lip_sync: a video's mouth moved by an audio track; the audio is muxed in."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from app.core.errors import NodeError
from app.core.node import Input, NodeType, Output, Params
from app.core.ports import PortType
from app.core.values import Value
from app.media.lipsync import MouthAnimator, detect_mouth, envelope
from app.media.video import VideoWriter, iter_frames, probe, read_audio, read_frame
from app.providers import adapter
from app.providers.catalog import backend_names, check_model, param_options, price


class LipSyncParams(Params):
    backend: Literal[backend_names("lipsync")] = Field(  # type: ignore[valid-type]
        "local",
        description="'local' moves the mouth with the audio's loudness, offline; 'sync' is sync.so's model; "
        "'kling' lip-syncs a video Kling made",
    )
    model: str = Field(
        "", description="the backend's model (see `reelgraph models`); empty for its default"
    )
    mouth_box: tuple[int, int, int, int] | None = Field(
        None,
        description="[x, y, w, h] of the mouth in video pixels; empty to find the face automatically",
        json_schema_extra={"widget": "mouth_box"},
    )
    fit: Literal["hold", "loop"] = Field(
        "hold",
        description="when the audio is longer than the video: hold the "
        "last frame, or loop the video",
    )
    strength: float = Field(1.0, ge=0.1, le=2.0, description="how wide the mouth opens")


def check(p: LipSyncParams, connected):
    if p.backend == "local":
        return check_model(p.backend, "lipsync", p.model, "")[2]
    return adapter("lipsync", p.backend).check_lipsync(p.model)


def cost(p: LipSyncParams, connected: frozenset[str] = frozenset()) -> float:
    # per second of the result, which is the audio's length: unknown until run; priced per 10 s
    return price(p.backend, "lipsync", p.model, "", 10.0)


def options(p: LipSyncParams):
    return param_options("lipsync", p.backend, p.model)


def run_remote(ctx, p: LipSyncParams, video: Value, audio: Value):
    from app.providers.base import GenerateJob, GenerateRequest

    backend = adapter("lipsync", p.backend)
    model = p.model or backend.models()[0]
    meta = probe(video.path)
    src = video.path
    if (
        src.suffix != ".mp4" and p.backend == "sync"
    ):  # providers take MP4: deliver the lossless intermediate as high-quality H.264
        from app.media.encode import export

        src = export(video.path, ctx.path("upload.mp4"), "mp4", crf=12, preset="veryfast")[0]
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
        extra={
            "video": src,
            "audio": audio.path,
            "sync_mode": "cut_off" if p.fit == "hold" else "loop",
            "kling_video_id": video.meta.get("kling_video_id"),
        },
    )
    job = GenerateJob.for_node(ctx)
    [out] = backend.generate(req, job)
    if src != video.path:
        src.unlink(missing_ok=True)
    vmeta = dict(probe(out).to_dict(), backend=p.backend, model=model, **job.info)
    return {"video": Value(PortType.VIDEO, out, vmeta)}


def run(ctx, p: LipSyncParams, inputs):
    video: Value = inputs["video"]
    audio: Value = inputs["audio"]
    if p.backend != "local":
        return run_remote(ctx, p, video, audio)
    meta = probe(video.path)
    samples = read_audio(audio.path)
    seconds = len(samples) / 16000
    if seconds <= 0:
        raise NodeError("the audio is empty", field="input 'audio'")
    count = max(1, math.ceil(seconds * meta.fps - 1e-6))
    env = envelope(samples, meta.fps, count)
    box = tuple(p.mouth_box) if p.mouth_box else detect_mouth(read_frame(video.path, 0))
    mouth = MouthAnimator(box, (meta.width, meta.height), p.strength)  # type: ignore[arg-type]
    out = ctx.path("lipsync.mkv")

    def source_frames():
        while True:
            n = 0
            for f in iter_frames(video.path):
                n += 1
                yield f
            if p.fit == "hold" or n == 0:
                last = f if n else None
                while last is not None:
                    yield last
                return

    frames = source_frames()
    with VideoWriter(
        out, meta.width, meta.height, meta.fps, audio=audio.path, audio_seconds=count / meta.fps
    ) as w:
        for i in range(count):
            w.write(mouth(next(frames), float(env[i])))
            ctx.progress((i + 1) / count, f"frame {i + 1}/{count}")
    frames.close()
    vmeta = dict(
        probe(out).to_dict(), mouth_box=list(box), envelope=[round(float(v), 4) for v in env]
    )
    return {"video": Value(PortType.VIDEO, out, vmeta)}


NODE = NodeType(
    id="lip_sync",
    title="Lip-sync",
    category="Finish",
    params=LipSyncParams,
    run=run,
    check=check,
    cost=cost,
    options=options,
    kind_for=lambda p: "cpu" if p.backend == "local" else "remote",
    description="Moves the mouth of a talking-head video with an audio track and muxes the audio in. "
    "The output lasts as long as the audio (the video holds its last frame or loops).",
    inputs=(Input("video", PortType.VIDEO), Input("audio", PortType.AUDIO)),
    outputs=(Output("video", PortType.VIDEO, "the video with the audio"),),
)
