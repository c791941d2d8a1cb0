"""prompt: structured shot description in the order video models read best."""

from __future__ import annotations

from pydantic import Field

from app.core.node import Input, NodeType, Output, Params
from app.core.ports import PortType

FIELDS = ("subject", "action", "camera", "lighting", "environment", "style")
# Fields a shot takes from a connected style prompt when it leaves them empty: the shared
# vocabulary of a sequence. Subject, action and free text stay per shot.
INHERITED = ("camera", "lighting", "environment", "style", "negative")


def _text(desc: str) -> dict:
    return {"description": desc, "json_schema_extra": {"multiline": True}}


class PromptParams(Params):
    subject: str = Field(
        "", **_text("who or what the shot is about, e.g. 'an old lighthouse keeper'")
    )
    action: str = Field("", **_text("what happens, e.g. 'climbs the spiral stairs'"))
    camera: str = Field(
        "", **_text("camera language, e.g. 'slow push-in, 35mm, shallow depth of field'")
    )
    lighting: str = Field(
        "", **_text("lighting and atmosphere, e.g. 'golden hour, volumetric haze'")
    )
    environment: str = Field("", **_text("where, e.g. 'storm-battered coast at dusk'"))
    style: str = Field("", **_text("style reference, e.g. '35mm film still, muted palette'"))
    text: str = Field("", **_text("anything else, appended as written"))
    negative: str = Field("", **_text("what to avoid, e.g. 'text, watermark, extra fingers'"))


def compose(fields: dict[str, str]) -> str:
    subject = " ".join(
        x for x in (fields.get("subject", "").strip(), fields.get("action", "").strip()) if x
    )
    parts = [subject] + [
        fields.get(k, "").strip() for k in ("camera", "lighting", "environment", "style", "text")
    ]
    sentences = [p.rstrip(". ") for p in parts if p.strip()]
    return ". ".join(s[0].upper() + s[1:] for s in sentences) + ("." if sentences else "")


def run(ctx, p: PromptParams, inputs):
    fields = {k: getattr(p, k) for k in (*FIELDS, "text", "negative")}
    if "style" in inputs:
        shared = inputs["style"].read_json().get("fields", {})
        for k in INHERITED:
            if not fields[k].strip() and shared.get(k):
                fields[k] = shared[k]
    doc = {"text": compose(fields), "negative": fields["negative"].strip(), "fields": fields}
    return {"prompt": ctx.json_value(PortType.PROMPT, "prompt.json", doc, chars=len(doc["text"]))}


NODE = NodeType(
    id="prompt",
    title="Prompt",
    category="Inputs",
    params=PromptParams,
    run=run,
    description="Structured shot description: subject and action, camera language, lighting, environment, "
    "style, free text and a negative prompt. Connect another prompt to 'style' to share its "
    "camera, lighting, environment and style wording across shots.",
    inputs=(
        Input(
            "style",
            PortType.PROMPT,
            required=False,
            description="a prompt whose camera/lighting/environment/style fill the empty fields here",
        ),
    ),
    outputs=(Output("prompt", PortType.PROMPT, "composed text, negative text and the fields"),),
)
