"""camera_path: a camera move as keyframes over normalised time, or a named preset."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.core.node import NodeType, Output, Params
from app.core.ports import PortType
from app.media.camera import DEFAULT_FOV_DEG, PRESETS, CameraPath, Keyframe, preset_keyframes

Preset = Literal[
    "static",
    "pan_left",
    "pan_right",
    "tilt_up",
    "tilt_down",
    "roll_left",
    "roll_right",
    "zoom_in",
    "zoom_out",
    "dolly_in",
    "dolly_out",
    "truck_left",
    "truck_right",
    "pedestal_up",
    "pedestal_down",
    "crane_up",
    "arc_left",
    "arc_right",
    "custom",
]
assert set(Preset.__args__) == {*PRESETS, "custom"}  # type: ignore[attr-defined]


class CameraPathParams(Params):
    preset: Preset = Field("zoom_in", description="a named move, or 'custom' to use the keyframes")
    intensity: float = Field(
        1.0, ge=0.0, le=3.0, description="scales the preset; 1.0 is a moderate move"
    )
    keyframes: list[Keyframe] = Field(
        default_factory=lambda: preset_keyframes("static"),
        description="used when preset is custom: t from 0 to 1 across the shot",
        json_schema_extra={"widget": "keyframes"},
    )
    fov_deg: float = Field(
        DEFAULT_FOV_DEG, gt=5, lt=150, description="horizontal field of view of the virtual lens"
    )


def path_of(p: CameraPathParams) -> CameraPath:
    if p.preset == "custom":
        return CameraPath(keyframes=p.keyframes, fov_deg=p.fov_deg, preset="custom", intensity=1.0)
    return CameraPath(
        keyframes=preset_keyframes(p.preset, p.intensity),
        fov_deg=p.fov_deg,
        preset=p.preset,
        intensity=p.intensity,
    )


def check(p: CameraPathParams, connected):
    if p.preset == "custom" and not p.keyframes:
        return [
            (
                "param 'keyframes'",
                "custom camera path has no keyframes; add at least one or pick a preset",
            )
        ]
    return []


def run(ctx, p: CameraPathParams, inputs):
    cam = path_of(p)
    return {
        "camera": ctx.json_value(
            PortType.CAMERA, "camera.json", cam.model_dump(mode="json"), preset=cam.preset
        )
    }


NODE = NodeType(
    id="camera_path",
    title="Camera path",
    category="Motion",
    params=CameraPathParams,
    run=run,
    check=check,
    description="A camera move: pan, tilt, roll, zoom, truck, pedestal and dolly keyframed over the shot "
    "with easing, or one of the named presets scaled by intensity.",
    outputs=(Output("camera", PortType.CAMERA, "the path; sampled as an image-plane homography"),),
)
