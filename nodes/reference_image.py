"""reference_image: a still from disk (character, environment, style or start frame)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from app.core.errors import NodeError
from app.core.node import NodeType, Output, Params
from app.core.ports import PortType
from app.core.values import Value
from app.media.images import fit_to_aspect, is_png_rgb8, load_image, write_png

ASPECTS = {
    "16:9": 16 / 9,
    "9:16": 9 / 16,
    "1:1": 1.0,
    "4:3": 4 / 3,
    "3:4": 3 / 4,
    "21:9": 21 / 9,
    "2.39:1": 2.39,
}


class ReferenceImageParams(Params):
    path: str = Field(
        "",
        description="image file, relative to the workflow's folder or absolute",
        json_schema_extra={
            "widget": "file",
            "filter": "Images (*.png *.jpg *.jpeg *.webp *.tif *.tiff *.bmp)",
        },
    )
    role: Literal["start_frame", "character", "environment", "style"] = Field(
        "start_frame", description="how generators should use it"
    )
    aspect: Literal["source", "16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "2.39:1"] = Field(
        "source",
        description="centre-crop the picture itself to this aspect ratio, or keep the source's; to "
        "frame a shot, drag the frame in the camera editor instead (the generator's framing)",
    )
    url: str = Field(
        "",
        max_length=2048,
        description="a public https URL of this same picture, for cloud models that fetch images by "
        "URL (Luma); upload it anywhere public and paste the link",
    )

    @field_validator("url")
    @classmethod
    def _https(cls, v: str) -> str:
        v = v.strip()
        if v and (not v.startswith("https://") or any(c.isspace() for c in v) or len(v) < 12):
            raise ValueError("must be a public https:// link to the picture (or empty)")
        return v


def _file(p: ReferenceImageParams, base: Path) -> Path:
    if not p.path.strip():
        raise NodeError("no image chosen", field="param 'path'", hint="pick an image file")
    path = Path(p.path).expanduser()
    return path if path.is_absolute() else base / path


def run(ctx, p: ReferenceImageParams, inputs):
    src = _file(p, ctx.base_dir)
    img = load_image(src, mode="bgra")
    if img[:, :, 3].min() == 255:
        img = img[:, :, :3]
    if p.aspect != "source":
        img = fit_to_aspect(img, ASPECTS[p.aspect])
    if p.aspect == "source" and img.shape[2] == 3 and is_png_rgb8(src):
        out = Path(
            shutil.copyfile(src, ctx.path("image.png"))
        )  # already in IMAGE form: skip re-encoding
    else:
        out = write_png(ctx.path("image.png"), img)
    h, w = img.shape[:2]
    meta = {"width": w, "height": h, "role": p.role, "source": src.name}
    if p.url:
        if p.aspect != "source":
            raise NodeError(
                f"the url is of the picture as uploaded, but this node crops it to {p.aspect}",
                field="param 'url'",
                hint="upload the cropped picture and set aspect to 'source', or clear the url",
            )
        meta["url"] = p.url
    return {"image": Value(PortType.IMAGE, out, meta)}


NODE = NodeType(
    id="reference_image",
    title="Reference image",
    category="Inputs",
    params=ReferenceImageParams,
    run=run,
    preview="file",
    description="A still image from disk: a start frame, or a character, environment or style reference. "
    "Optionally centre-cropped to an aspect ratio.",
    outputs=(Output("image", PortType.IMAGE, "the image as PNG"),),
    reads=lambda p, base: [_file(p, base)],
)
