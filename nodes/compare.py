"""compare: several videos as one labelled, frame-synchronised grid (shareable side by side)."""

from __future__ import annotations

from pydantic import Field

from app.core.node import Input, NodeType, Output, Params
from app.core.ports import PortType
from app.core.publish import name_problem
from app.core.values import Value, expand_takes
from app.media.encode import export
from app.media.grid import grid_frames
from app.media.video import VideoWriter


class CompareParams(Params):
    labels: list[str] = Field(
        default_factory=list,
        description="one label per clip, in link order; empty uses node, take and seed",
    )
    filename: str = Field("compare", description="MP4 written to the output folder ('' for none)")


def check(p: CompareParams, connected):
    problem = name_problem(p.filename) if p.filename else None
    if problem:
        return [("param 'filename'", f"{p.filename[:80]!r} {problem}")]
    return []


def _auto_label(v: Value, i: int) -> str:
    m = v.meta
    parts = [m.get("backend", ""), m.get("model", "")]
    if m.get("takes", 1) > 1:
        parts.append(f"take {m.get('take')}")
    if "seed" in m:
        parts.append(f"seed {m['seed']}")
    text = " ".join(str(x) for x in parts if x)
    return text or f"clip {i + 1}"


def run(ctx, p: CompareParams, inputs):
    clips = [c for v in inputs["videos"] for c in expand_takes(v)]
    labels = [
        p.labels[i] if i < len(p.labels) and p.labels[i] else _auto_label(c, i)
        for i, c in enumerate(clips)
    ]
    frames, (w, h), fps, count = grid_frames([c.path for c in clips], labels)
    out = ctx.path("compare.mkv")
    with VideoWriter(out, w, h, fps) as writer:
        for i, frame in enumerate(frames):
            writer.write(frame)
            ctx.progress((i + 1) / count * 0.7, f"grid frame {i + 1}/{count}")
    if p.filename:
        name = p.filename if p.filename.lower().endswith(".mp4") else p.filename + ".mp4"
        mp4 = ctx.path("compare.mp4")
        export(
            out,
            mp4,
            "mp4",
            crf=20,
            preset="veryfast",
            workflow=ctx.workflow,
            progress=lambda f, m: ctx.progress(0.7 + 0.3 * f, m),
        )
        ctx.deliver(mp4, name)
    meta = {
        "width": w,
        "height": h,
        "fps": fps,
        "frames": count,
        "duration": count / fps,
        "has_audio": False,
        "clips": len(clips),
        "labels": labels,
    }
    return {"video": Value(PortType.VIDEO, out, meta)}


NODE = NodeType(
    id="compare",
    title="Compare",
    category="Output",
    params=CompareParams,
    run=run,
    check=check,
    description="Several videos (or all takes of a generator) side by side in one labelled grid, "
    "frame-synchronised and padded to the longest; also written as an MP4 to share.",
    inputs=(Input("videos", PortType.VIDEO, multi=True, description="clips to compare, in order"),),
    outputs=(Output("video", PortType.VIDEO, "the grid"),),
)
