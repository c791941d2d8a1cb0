"""Node types used only by the engine tests (also loadable as a plugin: REELGRAPH_PLUGINS)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from pydantic import Field

from app.core.errors import NodeError
from app.core.node import Input, NodeType, Output, Params
from app.core.ports import PortType


class ConstParams(Params):
    value: str = "x"


def _const(ctx, p: ConstParams, inputs):
    return {"out": ctx.json_value(PortType.PROMPT, "out.json", {"text": p.value})}


class JoinParams(Params):
    sep: str = "+"
    sleep: float = Field(0.0, ge=0, le=30)


def _join(ctx, p: JoinParams, inputs):
    if p.sleep:
        ctx.cancel.wait(p.sleep)
    parts = [v.read_json()["text"] for v in inputs.get("items", [])]
    if "extra" in inputs:
        parts.append(inputs["extra"].read_json()["text"])
    return {"out": ctx.json_value(PortType.PROMPT, "out.json", {"text": p.sep.join(parts)})}


class SleepParams(Params):
    seconds: float = Field(0.5, ge=0, le=60)
    tag: str = ""


def _sleep(ctx, p: SleepParams, inputs):
    deadline = time.monotonic() + p.seconds
    while time.monotonic() < deadline:
        ctx.progress(1 - (deadline - time.monotonic()) / max(p.seconds, 1e-9), "sleeping")
        time.sleep(0.01)
    text = inputs["inp"].read_json()["text"] if "inp" in inputs else ""
    return {"out": ctx.json_value(PortType.PROMPT, "out.json", {"text": text + p.tag})}


class FailParams(Params):
    message: str = "boom"


def _fail(ctx, p: FailParams, inputs):
    raise NodeError(p.message, field="param 'message'", hint="this node always fails")


def _crash(ctx, p: FailParams, inputs):
    raise ZeroDivisionError(p.message)


class FileParams(Params):
    path: str = "input.txt"


def _read_file(ctx, p: FileParams, inputs):
    text = ctx.resolve(p.path).read_text()
    return {"out": ctx.json_value(PortType.PROMPT, "out.json", {"text": text})}


class VideoParams(Params):
    frames: int = Field(10, ge=1, le=1000)
    name: str = "clip.bin"


def _video(ctx, p: VideoParams, inputs):
    path = ctx.path("video.bin")
    path.write_bytes(os.urandom(8) * p.frames)
    ctx.deliver(path, p.name)
    return {"video": _val(PortType.VIDEO, path)}


def _val(t, path: Path):
    from app.core.values import Value

    return Value(t, path, {})


T_CONST = NodeType(
    "t_const",
    "Const",
    ConstParams,
    _const,
    outputs=(Output("out", PortType.PROMPT),),
    category="Test",
)
T_JOIN = NodeType(
    "t_join",
    "Join",
    JoinParams,
    _join,
    category="Test",
    inputs=(
        Input("items", PortType.PROMPT, required=False, multi=True),
        Input("extra", PortType.PROMPT, required=False),
    ),
    outputs=(Output("out", PortType.PROMPT),),
    legacy_ids=("t_concat",),
)
T_SLEEP = NodeType(
    "t_sleep",
    "Sleep",
    SleepParams,
    _sleep,
    category="Test",
    inputs=(Input("inp", PortType.PROMPT, required=False),),
    outputs=(Output("out", PortType.PROMPT),),
)
T_REMOTE = NodeType(
    "t_remote",
    "Remote sleep",
    SleepParams,
    _sleep,
    category="Test",
    kind="remote",
    inputs=(Input("inp", PortType.PROMPT, required=False),),
    outputs=(Output("out", PortType.PROMPT),),
)
T_FAIL = NodeType(
    "t_fail",
    "Fail",
    FailParams,
    _fail,
    category="Test",
    inputs=(Input("inp", PortType.PROMPT, required=False),),
    outputs=(Output("out", PortType.PROMPT),),
)
T_CRASH = NodeType(
    "t_crash",
    "Crash",
    FailParams,
    _crash,
    category="Test",
    outputs=(Output("out", PortType.PROMPT),),
)
T_FILE = NodeType(
    "t_file",
    "Read file",
    FileParams,
    _read_file,
    category="Test",
    outputs=(Output("out", PortType.PROMPT),),
    reads=lambda p, base: [base / p.path],
)
T_VIDEO = NodeType(
    "t_video",
    "Video",
    VideoParams,
    _video,
    category="Test",
    outputs=(Output("video", PortType.VIDEO),),
)
T_NEEDS = NodeType(
    "t_needs",
    "Needs prompt",
    ConstParams,
    _const,
    category="Test",
    inputs=(Input("p", PortType.PROMPT),),
    outputs=(Output("out", PortType.PROMPT),),
)

NODES = [T_CONST, T_JOIN, T_SLEEP, T_REMOTE, T_FAIL, T_CRASH, T_FILE, T_VIDEO, T_NEEDS]


def wf(
    nodes: list[tuple[str, str, dict]], links: list[tuple[str, str, str, str]], name: str = "test"
) -> dict:
    """A workflow document from compact tuples."""
    return {
        "schema": "reelgraph/workflow",
        "version": 1,
        "name": name,
        "nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
        "links": [{"from": [a, b], "to": [c, d]} for a, b, c, d in links],
    }


def write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc))
    return path
