"""export: a VIDEO to delivery files in the run's output folder, with the workflow embedded."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from app.core.errors import NodeError
from app.core.node import Input, NodeType, Output, Params
from app.core.ports import PortType
from app.core.publish import name_problem
from app.core.values import Value
from app.media.encode import SUFFIX, export


class ExportParams(Params):
    format: Literal["mp4", "mov", "png", "webm", "gif"] = Field(
        "mp4",
        description="mp4 (H.264 + AAC), mov (ProRes 422 HQ + PCM), png (sequence), webm (VP9 + Opus), gif",
    )
    filename: str = Field(
        "shot",
        description="name inside the output folder; the extension is added; "
        "an existing different file is never overwritten (_v002, ...)",
    )
    crf: int = Field(
        18,
        ge=0,
        le=51,
        description="quality for mp4/webm: lower is better and bigger (18 is visually lossless)",
    )
    preset: Literal[
        "ultrafast",
        "superfast",
        "veryfast",
        "faster",
        "fast",
        "medium",
        "slow",
        "slower",
        "veryslow",
    ] = Field("fast", description="x264 speed/size trade-off for mp4")
    timeline: bool = Field(
        False,
        description="also write an OpenTimelineIO timeline (.otio, FCP7 XML, EDL) "
        "of everything exported in the run",
    )


def _name(p: ExportParams) -> str:
    suffix = SUFFIX[p.format]
    name = p.filename.strip()
    if suffix and not name.lower().endswith(suffix):
        name += suffix
    return name


def check(p: ExportParams, connected):
    problems = []
    problem = name_problem(_name(p))
    if problem:
        problems.append(("param 'filename'", f"{_name(p)[:80]!r} {problem}"))
    if "audio" in connected and p.format in ("gif", "png"):
        problems.append(
            (
                "input 'audio'",
                f"{p.format} carries no sound: pick mp4, mov or webm to export it with "
                "the audio, or disconnect the audio",
            )
        )
    return problems


def run(ctx, p: ExportParams, inputs):
    src: Value = inputs["video"]
    name = _name(p)
    local = ctx.path(Path(name).name)
    audio = inputs["audio"].path if "audio" in inputs else None
    files = export(
        src.path,
        local,
        p.format,
        crf=p.crf,
        preset=p.preset,
        workflow=ctx.workflow,
        progress=ctx.progress,
        audio=audio,
    )
    if not files:
        raise NodeError("nothing was written", field="input 'video'")
    # a PNG sequence is one folder, published (and versioned) as a whole
    ctx.deliver(local if p.format == "png" else files[0], name)
    meta = dict(src.meta, format=p.format, filename=name, files=len(files))
    if audio is not None:
        meta.update(has_audio=True, audio_source=inputs["audio"].meta.get("source", audio.name))
    return {"file": Value(PortType.VIDEO if p.format != "png" else PortType.IMAGE, files[0], meta)}


def finalize(items, folder: Path, workflow: dict) -> dict[str, Path | Exception]:
    """When any export asks for it, one timeline of every clip exported in the run."""
    from app.media import timeline

    if not any(i.params.timeline for i in items):
        return {}
    clips = []
    for item in items:
        if item.params.format == "png" or not item.delivered:
            continue  # image sequences are left out of the timeline
        meta = item.outputs["file"].meta
        clips.append(
            timeline.Clip(
                item.node_id,
                item.delivered[0],
                int(meta.get("frames", 0)),
                float(meta.get("fps", 24)),
            )
        )
    if not clips:
        return {}
    stem = _stem(workflow.get("name") or "timeline")
    return timeline.write_all(
        timeline.build(workflow.get("name") or "Reelgraph", clips), folder, stem
    )


def _stem(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_.") or "timeline"


NODE = NodeType(
    id="export",
    title="Export",
    category="Output",
    params=ExportParams,
    run=run,
    check=check,
    description="Writes the video as MP4, MOV (ProRes), PNG sequence, WebM or GIF into the run's output "
    "folder, with the workflow embedded so the render can be opened back into its graph; "
    "an optional audio input (dialogue, music) is muxed in; "
    "optionally an OpenTimelineIO timeline (FCP7 XML, EDL) of the run's exports for your editor.",
    inputs=(
        Input("video", PortType.VIDEO, description="what to export"),
        Input(
            "audio",
            PortType.AUDIO,
            required=False,
            description="sound for the export (replaces the video's own); cut or padded with silence to the "
            "video's length",
        ),
    ),
    outputs=(
        Output("file", (PortType.VIDEO, PortType.IMAGE), "the exported file (first frame for PNG)"),
    ),
    finalize=finalize,
)
