"""ComfyUI templates: an "Export (API)" workflow plus which of its inputs receive our request,
kept as a file (the config folder's comfyui/, or comfyui/ beside a workflow), found by name.

A template file: {"schema": "reelgraph/comfyui-template", "version": 1, "name", "workflow": <API
graph>, "mapping": {role: [[node id, input name], ...]}, "frames": {"step", "offset", "min"},
"output": <save node id>, "source", "added"}. Roles: prompt, negative, image, end_image, seed,
width, height, frames, fps. `propose()` finds them by node class and input name (and the
server's /object_info where it can be asked); `problems()` checks a mapping against the graph
and /object_info before anything is queued. {{placeholders}} inside the graph are filled too.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from app.core.fileio import atomic_write_bytes
from app.core.limits import limit
from app.core.safefiles import checked_file
from app.providers.generic import uses
from app.providers.settings import config_dir, load_settings

SCHEMA = "reelgraph/comfyui-template"
ROLES = ("prompt", "negative", "image", "end_image", "seed", "width", "height", "frames", "fps")
# what a request always sets: a template that cannot receive it would silently ignore it
ALWAYS_SET = ("prompt", "width", "height", "frames")
ROLE_TYPES = {
    "prompt": ("STRING",),
    "negative": ("STRING",),
    "seed": ("INT",),
    "width": ("INT",),
    "height": ("INT",),
    "frames": ("INT",),
    "fps": ("FLOAT", "INT"),
    "image": ("COMBO",),
    "end_image": ("COMBO",),
}
SAVE_CLASSES = {
    "SaveVideo": 0,
    "VHS_VideoCombine": 0,
    "SaveWEBM": 1,
    "SaveAnimatedWEBP": 2,
    "SaveAnimatedPNG": 2,
    "SaveImage": 3,
    "PreviewImage": 4,
    "SaveAudio": 5,
}
FRAME_INPUTS = ("length", "frames", "video_length", "num_frames", "frame_count")
# frame-count grids of known latent-video nodes (ComfyUI source: nodes_wan.py, nodes_lt.py,
# nodes_hunyuan.py; the server floors off-grid lengths silently): step, offset, minimum
KNOWN_FRAME_GRIDS = {
    "WanImageToVideo": (4, 1, 1),
    "Wan22ImageToVideoLatent": (4, 1, 1),
    "EmptyHunyuanLatentVideo": (4, 1, 1),
    "WanFirstLastFrameToVideo": (4, 1, 1),
    "LTXVImgToVideo": (8, 1, 9),
    "EmptyLTXVLatentVideo": (8, 1, 1),
}
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}")
# where ComfyUI looks for the model files a loader input names
# the folder a loader's file goes in: by node class first (CLIPVisionLoader's clip_name is a
# CLIP vision model, not a text encoder), then by input name
CLASS_FOLDERS = {
    "CLIPVisionLoader": "clip_vision",
    "UpscaleModelLoader": "upscale_models",
    "StyleModelLoader": "style_models",
    "ControlNetLoader": "controlnet",
    "DiffControlNetLoader": "controlnet",
    "GLIGENLoader": "gligen",
    "PhotoMakerLoader": "photomaker",
    "HypernetworkLoader": "hypernetworks",
    "UNETLoader": "diffusion_models",
    "VAELoader": "vae",
}
MODEL_FOLDERS = {
    "ckpt_name": "checkpoints",
    "unet_name": "diffusion_models",
    "vae_name": "vae",
    "clip_name": "text_encoders",
    "clip_name1": "text_encoders",
    "clip_name2": "text_encoders",
    "lora_name": "loras",
    "control_net_name": "controlnet",
    "model_name": "upscale_models",
    "style_model_name": "style_models",
    "gligen_name": "gligen",
}


class TemplateError(ValueError):
    pass


@dataclass
class Template:
    name: str
    workflow: dict[str, Any]
    mapping: dict[str, list[list[str]]] = field(default_factory=dict)
    frames: dict[str, int] | None = None
    output: str | None = None
    source: str = ""
    added: str = ""
    path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "version": 1,
            "name": self.name,
            "workflow": self.workflow,
            "mapping": self.mapping,
            "frames": self.frames,
            "output": self.output,
            "source": self.source,
            "added": self.added,
        }

    def content_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()

    def snap_frames(self, frames: int) -> int:
        """The nearest frame count the template's model takes (Wan: 4n+1, LTXV: 8n+1, >= 9)."""
        if not self.frames:
            return max(1, frames)
        step, offset, low = (
            self.frames["step"],
            self.frames.get("offset", 0),
            self.frames.get("min", 1),
        )
        n = max(0, round((frames - offset) / step))
        return max(low, n * step + offset)


# -- reading what the user brings ----------------------------------------------------------------------


def is_ui_format(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("nodes"), list) and "links" in doc


def api_graph(doc: Any) -> dict[str, Any]:
    """The API-format graph in a document the user exported, or TemplateError saying what it is."""
    if is_ui_format(doc):
        raise TemplateError(
            "this is ComfyUI's UI workflow format (it has 'nodes' and 'links'); in ComfyUI use "
            "Workflow > Export (API) and add that file"
        )
    if isinstance(doc, dict) and doc.get("schema") == SCHEMA:
        doc = doc.get("workflow")
    if isinstance(doc, dict) and isinstance(doc.get("prompt"), dict):
        doc = doc["prompt"]  # a saved /prompt request body
    if not isinstance(doc, dict) or not doc:
        raise TemplateError(
            'not a ComfyUI API workflow: expected {"<node id>": {"class_type", "inputs"}}'
        )
    for node_id, node in doc.items():
        if (
            not isinstance(node, dict)
            or not isinstance(node.get("class_type"), str)
            or not isinstance(node.get("inputs"), dict)
        ):
            raise TemplateError(
                f"node {str(node_id)[:20]!r} has no class_type/inputs: not an API-format workflow "
                "(use Export (API) in ComfyUI)"
            )
    return doc


def read_file(path: Path) -> Any:
    checked_file(path, what="ComfyUI workflow", max_bytes=limit("workflow_bytes"))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as e:
        raise TemplateError(f"{path.name} is not valid JSON ({str(e)[:120]})") from None


# -- where templates live --------------------------------------------------------------------------------


def user_folder() -> Path:
    return config_dir(create=False) / "comfyui"  # made by save() when first needed


def locations(name: str, base_dir: Path | None = None) -> Iterator[Path]:
    if base_dir is not None:
        yield base_dir / "comfyui" / f"{name}.json"  # shipped beside the workflow
    yield user_folder() / f"{name}.json"


def find(name: str, base_dir: Path | None = None) -> Path | None:
    if not SAFE_NAME.fullmatch(name or ""):
        return None
    return next((p for p in locations(name, base_dir) if p.is_file()), None)


def load(name: str, base_dir: Path | None = None) -> Template:
    """The named template: a file, or (older setups) an entry of settings.json's templates."""
    path = find(name, base_dir)
    if path is None:
        legacy = _legacy(name)
        if legacy is not None:
            return legacy
        raise TemplateError(
            f"no ComfyUI template {name!r}: add one with `reelgraph comfyui add wf_api.json --name "
            f"{name}` (it goes to {user_folder()}) or put {name}.json in a comfyui/ folder beside "
            "the workflow"
        )
    doc = read_file(path)
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise TemplateError(
            f"{path} is not a Reelgraph ComfyUI template; add the ComfyUI export with "
            "`reelgraph comfyui add`"
        )
    graph = api_graph(doc)
    t = Template(
        name=name,
        workflow=graph,
        mapping=_mapping(doc.get("mapping")),
        frames=_frames(doc.get("frames"), path),
        output=_output(doc.get("output"), graph, path),
        source=str(doc.get("source") or ""),
        added=str(doc.get("added") or ""),
        path=path,
    )
    return t


def _frames(raw: Any, path: Path) -> dict[str, int] | None:
    """The frame-count rule (Wan 4n+1...): whole numbers in sane ranges, or the template is refused
    (a shared template could otherwise ask the server for a trillion frames)."""
    if raw is None:
        return None
    ok = isinstance(raw, dict) and all(
        isinstance(raw.get(k, 1), int) and not isinstance(raw.get(k, 1), bool)
        for k in ("step", "offset", "min")
    )
    if ok:
        step, offset, low = raw.get("step", 1), raw.get("offset", 0), raw.get("min", 1)
        ok = 1 <= step <= 64 and 0 <= offset < max(step, 2) and 1 <= low <= 10_000
    if not ok:
        raise TemplateError(
            f'{path}: "frames" must be {{"step": 1..64, "offset": 0..step-1, "min": '
            '1..10000}, e.g. {"step": 4, "offset": 1} for Wan\'s 4n+1 lengths'
        )
    return {"step": step, "offset": offset, "min": low}


def _output(raw: Any, graph: dict[str, Any], path: Path) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, (str, int)) or str(raw) not in graph:
        raise TemplateError(
            f'{path}: "output" must name a node of the workflow (a SaveVideo, SaveAnimatedWEBP or '
            f"SaveImage node); {str(raw)[:40]!r} is not one"
        )
    return str(raw)


def _mapping(raw: Any) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    if not isinstance(raw, dict):
        return out
    for role, targets in raw.items():
        if (
            isinstance(targets, list)
            and len(targets) == 2
            and all(isinstance(x, (str, int)) for x in targets)
        ):
            targets = [targets]  # the older single-target form ["3", "seed"]
        if isinstance(targets, list):
            out[str(role)] = [
                [str(t[0]), str(t[1])] for t in targets if isinstance(t, list) and len(t) == 2
            ]
    return out


def _legacy(name: str) -> Template | None:
    entry = (load_settings().get("templates", {}).get("comfyui", {}) or {}).get(name)
    if not isinstance(entry, dict) or "workflow" not in entry:
        return None
    return Template(
        name=name,
        workflow=api_graph(entry["workflow"]),
        mapping=_mapping(entry.get("inputs")),
        frames=entry.get("frames"),
        output=entry.get("output"),
        source="settings.json",
    )


def names(base_dir: Path | None = None) -> list[str]:
    found = set()
    for folder in ([base_dir / "comfyui"] if base_dir else []) + [user_folder()]:
        if folder.is_dir():
            found |= {p.stem for p in folder.glob("*.json") if SAFE_NAME.fullmatch(p.stem)}
    found |= set(load_settings().get("templates", {}).get("comfyui", {}) or {})
    return sorted(found)


def save(t: Template) -> Path:
    if not SAFE_NAME.fullmatch(t.name):
        raise TemplateError(
            f"template name {t.name!r}: use letters, digits, spaces, '.', '_' or '-' (up to 100)"
        )
    path = user_folder() / f"{t.name}.json"
    atomic_write_bytes(path, (json.dumps(t.to_json(), indent=2) + "\n").encode())
    t.path = path
    return path


# -- finding the mapping ---------------------------------------------------------------------------------------


def _links(node: dict[str, Any]) -> dict[str, str]:
    """Inputs fed by another node: input name -> source node id."""
    return {
        k: str(v[0])
        for k, v in node["inputs"].items()
        if isinstance(v, list)
        and len(v) == 2
        and isinstance(v[0], (str, int))
        and isinstance(v[1], int)
    }


def _literal(node: dict[str, Any], name: str) -> bool:
    v = node["inputs"].get(name)
    return name in node["inputs"] and not (
        isinstance(v, list) and len(v) == 2 and isinstance(v[1], int)
    )


def _text_encoders(graph: dict[str, Any], link: list[Any]) -> list[str]:
    """The text-encoder nodes (a literal 'text' input) upstream of a conditioning link."""
    seen, stack, found = set(), [(str(link[0]), int(link[1]))], []
    while stack:
        nid, out_index = stack.pop()
        if (nid, out_index) in seen or nid not in graph:
            continue
        seen.add((nid, out_index))
        node = graph[nid]
        if _literal(node, "text") and isinstance(node["inputs"]["text"], str):
            found.append(nid)
            continue
        inputs = node["inputs"]
        if isinstance(inputs.get("positive"), list) and isinstance(inputs.get("negative"), list):
            # WanImageToVideo, LTXVConditioning...: output 0 passes the positive side, 1 the negative
            side = (
                inputs["positive"]
                if out_index == 0
                else inputs["negative"]
                if out_index == 1
                else None
            )
            if side is not None:
                stack.append((str(side[0]), int(side[1])))
            continue
        for name, value in inputs.items():
            if (
                isinstance(value, list)
                and len(value) == 2
                and isinstance(value[1], int)
                and "cond" in name
            ):
                stack.append((str(value[0]), int(value[1])))
    return found


def _side(graph: dict[str, Any], node: dict[str, Any], side: str) -> list[str]:
    link = node["inputs"].get(side)
    return _text_encoders(graph, link) if isinstance(link, list) and len(link) == 2 else []


def propose(
    graph: dict[str, Any], object_info: dict[str, Any] | None = None
) -> tuple[dict[str, list[list[str]]], dict[str, int] | None, str | None, list[str]]:
    """(mapping, frame grid, output node, notes) found by node class, input name and, when the
    server's /object_info is given, input types and length grids."""
    mapping: dict[str, list[list[str]]] = {r: [] for r in ROLES}
    notes: list[str] = []
    ids = sorted(graph, key=lambda k: (len(k), k))
    # prompts: what feeds the samplers' positive and negative sides
    for nid in ids:
        node = graph[nid]
        if (
            "positive" in _links(node)
            and "negative" in _links(node)
            and (
                "seed" in node["inputs"]
                or "noise_seed" in node["inputs"]
                or "sampler" in node["inputs"]
                or "guider" in node["inputs"]
            )
        ):
            for role, side in (("prompt", "positive"), ("negative", "negative")):
                for enc in _side(graph, node, side):
                    if [enc, "text"] not in mapping[role]:
                        mapping[role].append([enc, "text"])
    if not mapping["prompt"]:  # a guider/sampler layout we do not know: the text encoders in order
        encoders = [
            n for n in ids if _literal(graph[n], "text") and "Encode" in graph[n]["class_type"]
        ]
        if encoders:
            mapping["prompt"] = [[encoders[0], "text"]]
            if len(encoders) > 1:
                mapping["negative"] = [[encoders[1], "text"]]
            notes.append("prompt/negative guessed from the order of the text encoders: check them")
    grid: tuple[int, int, int] | None = None
    for nid in ids:
        node = graph[nid]
        cls = node["class_type"]
        for name in ("seed", "noise_seed"):
            if _literal(node, name) and isinstance(node["inputs"][name], int):
                mapping["seed"].append([nid, name])
        frames_input = next((n for n in FRAME_INPUTS if _literal(node, n)), None)
        if frames_input and _literal(node, "width") and _literal(node, "height"):
            mapping["width"].append([nid, "width"])
            mapping["height"].append([nid, "height"])
            mapping["frames"].append([nid, frames_input])
            grid = _grid(cls, frames_input, object_info) or grid
        for name in ("fps", "frame_rate"):
            if _literal(node, name) and isinstance(node["inputs"][name], (int, float)):
                mapping["fps"].append([nid, name])
        if cls == "LoadImage" and _literal(node, "image"):
            role = _image_role(graph, nid)
            mapping[role].append([nid, "image"])
    if not mapping["width"]:  # no latent-video node: an image scale is where the size is set
        for nid in ids:
            node = graph[nid]
            if (
                _literal(node, "width")
                and _literal(node, "height")
                and isinstance(node["inputs"]["width"], int)
            ):
                mapping["width"].append([nid, "width"])
                mapping["height"].append([nid, "height"])
    outputs = sorted(
        (SAVE_CLASSES[graph[n]["class_type"]], n)
        for n in ids
        if graph[n]["class_type"] in SAVE_CLASSES
    )
    output = outputs[0][1] if outputs else None
    if len(outputs) > 1:
        first = outputs[0][1]
        notes.append(
            f"{len(outputs)} output nodes: node {first} ({graph[first]['class_type']}) is the video; "
            "change 'output' to pick another"
        )
    frames = {"step": grid[0], "offset": grid[1], "min": grid[2]} if grid else None
    return {r: t for r, t in mapping.items() if t}, frames, output, notes


def _image_role(graph: dict[str, Any], load_id: str) -> str:
    for node in graph.values():
        for name, src in _links(node).items():
            if src == load_id and name in ("end_image", "last_frame", "end_frame"):
                return "end_image"
    return "image"


def _grid(
    cls: str, frames_input: str, object_info: dict[str, Any] | None
) -> tuple[int, int, int] | None:
    spec = _input_spec(object_info, cls, frames_input) if object_info else None
    if spec is not None and isinstance(spec[1], dict) and spec[1].get("step", 1) > 1:
        step, low = int(spec[1]["step"]), int(spec[1].get("min", 1))
        return step, low % step, low
    return KNOWN_FRAME_GRIDS.get(cls)


def _input_spec(object_info: dict[str, Any] | None, cls: str, name: str) -> list[Any] | None:
    info = (object_info or {}).get(cls)
    if not isinstance(info, dict):
        return None
    inputs = info.get("input") or {}
    for group in ("required", "optional"):
        spec = (inputs.get(group) or {}).get(name)
        if spec is not None:
            return spec if isinstance(spec, list) else [spec, {}]
    return None


def _kind(spec: list[Any]) -> str:
    head = spec[0] if spec else None
    return "COMBO" if isinstance(head, list) or head == "COMBO" else str(head)


# -- checking a mapping ------------------------------------------------------------------------------------------


def problems(t: Template, object_info: dict[str, Any] | None = None) -> list[str]:
    """Everything wrong with a template's mapping, naming the node and input: the node exists,
    the input exists (and is not fed by a link), and, with /object_info, the class is installed
    and the input has the type the role needs."""
    out = []
    graph = t.workflow
    for role, targets in t.mapping.items():
        if role not in ROLES:
            out.append(
                f"mapping '{role}' is not something Reelgraph sends (roles: {', '.join(ROLES)})"
            )
            continue
        for node_id, name in targets:
            node = graph.get(node_id)
            if node is None:
                out.append(f"mapping '{role}': node {node_id} is not in the workflow")
                continue
            cls = node["class_type"]
            where = f"node {node_id} ({cls}) input '{name}'"
            if object_info is not None:
                if cls not in object_info:
                    out.append(
                        f"mapping '{role}': node {node_id} is a {cls}, which this ComfyUI server does not have "
                        "(a custom node that is not installed?)"
                    )
                    continue
                spec = _input_spec(object_info, cls, name)
                if spec is None:
                    have = sorted((object_info[cls].get("input") or {}).get("required", {}))
                    out.append(
                        f"mapping '{role}': {where} does not exist; {cls} has {', '.join(have)}"
                    )
                    continue
                if _kind(spec) not in ROLE_TYPES[role]:
                    out.append(
                        f"mapping '{role}': {where} is {_kind(spec)}, not {' or '.join(ROLE_TYPES[role])}"
                    )
            elif name not in node["inputs"]:
                out.append(
                    f"mapping '{role}': {where} does not exist in the workflow "
                    f"(it has {', '.join(sorted(node['inputs']))})"
                )
                continue
            if name in node["inputs"] and not _literal(node, name):
                out.append(
                    f"mapping '{role}': {where} is fed by a link, so a value set there would be ignored"
                )
    if t.output is not None and t.output not in graph:
        out.append(f"output node {t.output} is not in the workflow")
    return out


def missing(t: Template, wanted: set[str]) -> list[str]:
    """Roles the request sets that neither the mapping nor a {{placeholder}} receives."""
    placed = uses(t.workflow)
    return [r for r in wanted if not t.mapping.get(r) and r not in placed]


def added_today() -> str:
    return date.today().isoformat()
