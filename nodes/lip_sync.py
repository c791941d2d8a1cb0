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


class LipSyncParams(Params):
    backend: Literal["local"] = Field("local", description="'local' moves the mouth with the audio's loudness, offline")
    mouth_box: tuple[int, int, int, int] | None = Field(
        None, description="[x, y, w, h] of the mouth in video pixels; empty to find the face automatically",
        json_schema_extra={"widget": "mouth_box"})
    fit: Literal["hold", "loop"] = Field("hold", description="when the audio is longer than the video: hold the "
                                                             "last frame, or loop the video")
    strength: float = Field(1.0, ge=0.1, le=2.0, description="how wide the mouth opens")


def run(ctx, p: LipSyncParams, inputs):
    video: Value = inputs["video"]
    audio: Value = inputs["audio"]
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
    with VideoWriter(out, meta.width, meta.height, meta.fps, audio=audio.path, audio_seconds=count / meta.fps) as w:
        for i in range(count):
            w.write(mouth(next(frames), float(env[i])))
            ctx.progress((i + 1) / count, f"frame {i + 1}/{count}")
    frames.close()
    vmeta = dict(probe(out).to_dict(), mouth_box=list(box), envelope=[round(float(v), 4) for v in env])
    return {"video": Value(PortType.VIDEO, out, vmeta)}


NODE = NodeType(
    id="lip_sync", title="Lip-sync", category="Finish", params=LipSyncParams, run=run,
    description="Moves the mouth of a talking-head video with an audio track and muxes the audio in. "
                "The output lasts as long as the audio (the video holds its last frame or loops).",
    inputs=(Input("video", PortType.VIDEO), Input("audio", PortType.AUDIO)),
    outputs=(Output("video", PortType.VIDEO, "the video with the audio"),),
)
