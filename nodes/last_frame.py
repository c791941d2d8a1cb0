"""last_frame: the final frame of a video as an image, to chain shots."""

from __future__ import annotations

from app.core.node import Input, NodeType, Output, Params
from app.core.ports import PortType
from app.core.values import Value
from app.media.images import write_png
from app.media.video import read_frame


class LastFrameParams(Params):
    pass


def run(ctx, p: LastFrameParams, inputs):
    frame = read_frame(inputs["video"].path, -1)
    out = write_png(ctx.path("last_frame.png"), frame)
    h, w = frame.shape[:2]
    return {"image": Value(PortType.IMAGE, out, {"width": w, "height": h, "role": "start_frame"})}


NODE = NodeType(
    id="last_frame",
    title="Last frame",
    category="Utility",
    params=LastFrameParams,
    run=run,
    description="The last frame of a video as an image: the end of one shot becomes the start frame of the next.",
    inputs=(Input("video", PortType.VIDEO),),
    outputs=(Output("image", PortType.IMAGE, "the final frame as PNG"),),
)
