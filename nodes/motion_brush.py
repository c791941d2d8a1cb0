"""motion_brush: a frozen mask and up to 6 motion regions with trajectories, painted on a frame."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.core.errors import NodeError
from app.core.node import Input, NodeType, Output, Params
from app.core.ports import PortType
from app.media.images import image_size
from app.media.masks import MaskError, decode_mask

MAX_REGIONS = 6


class Region(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field("region", max_length=80)
    mask: str = Field(description="base64 PNG at the image's resolution, white where the region is")
    trajectory: list[tuple[float, float]] = Field(
        min_length=2, max_length=77, description="[[x, y], ...] in image pixels, origin top-left"
    )


class MotionBrushParams(Params):
    static_mask: str | None = Field(
        None,
        description="base64 PNG: white where nothing may move",
        json_schema_extra={"widget": "mask"},
    )
    regions: list[Region] = Field(
        default_factory=list,
        max_length=MAX_REGIONS,
        description="up to 6 regions, each a mask and the path it moves along",
        json_schema_extra={"widget": "regions"},
    )
    loop: bool = Field(
        False, description="make the motion loop seamlessly (last frame flows into the first)"
    )


def _check_mask(data: str, size: tuple[int, int], field: str, where: str) -> None:
    w, h = size
    try:
        m = decode_mask(data)
    except MaskError as e:
        raise NodeError(
            f"{where}cannot read the mask: {e}", field=field, hint="repaint it"
        ) from None
    if m.shape != (h, w):
        raise NodeError(
            f"{where}mask is {m.shape[1]}x{m.shape[0]} but the image is {w}x{h}",
            field=field,
            hint="repaint it on this image",
        )


def run(ctx, p: MotionBrushParams, inputs):
    image = inputs["image"]
    w, h = image_size(image.path)
    if p.static_mask:
        _check_mask(p.static_mask, (w, h), "param 'static_mask'", "")
    for i, r in enumerate(p.regions):
        where = f"region {i + 1} '{r.name}'"
        _check_mask(r.mask, (w, h), "param 'regions'", f"{where}: ")
        for x, y in r.trajectory:
            if not (0 <= x <= w - 1 and 0 <= y <= h - 1):
                raise NodeError(
                    f"{where}: trajectory point ({x:g}, {y:g}) is outside the {w}x{h} image",
                    field="param 'regions'",
                    hint="move the point inside the frame",
                )
    doc = {
        "width": w,
        "height": h,
        "static_mask": p.static_mask,
        "loop": p.loop,
        "regions": [r.model_dump(mode="json") for r in p.regions],
    }
    return {
        "motion": ctx.json_value(
            PortType.MOTION, "motion.json", doc, regions=len(p.regions), loop=p.loop
        )
    }


NODE = NodeType(
    id="motion_brush",
    title="Motion brush",
    category="Motion",
    params=MotionBrushParams,
    run=run,
    preview="motion",
    description="Paint what moves and what stays: one frozen mask and up to 6 motion regions, each with a "
    "trajectory drawn on the frame. The local generator animates them; cloud backends that "
    "support motion brushes receive them.",
    inputs=(Input("image", PortType.IMAGE, description="the frame the masks are painted on"),),
    outputs=(Output("motion", PortType.MOTION, "masks and trajectories"),),
)
