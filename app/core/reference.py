"""The node reference, written from the registry: every node, port and param with its
description. `reelgraph nodes --markdown` prints it (docs/nodes.md is that output) and the
editor's F1 shows one node's section."""

from __future__ import annotations

import json
from typing import Any

from app.core.node import NodeType
from app.core.registry import Registry

CATEGORY_ORDER = ["Inputs", "Motion", "Generate", "Finish", "Output", "Utility"]


def anchor(type_id: str) -> str:
    return f"node-{type_id.replace('_', '-')}"


def _kind(fs: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in fs:
        fs = defs.get(fs["$ref"].split("/")[-1], {})
    if "enum" in fs:
        return "one of " + ", ".join(f"`{v}`" for v in fs["enum"])
    if "const" in fs:
        return f"`{fs['const']}`"
    if "anyOf" in fs:
        kinds = [_kind(x, defs) for x in fs["anyOf"] if x.get("type") != "null"]
        return " or ".join(kinds) + (
            " or empty" if any(x.get("type") == "null" for x in fs["anyOf"]) else ""
        )
    t = fs.get("type", "value")
    rng = []
    for key, sym in (
        ("minimum", ">="),
        ("exclusiveMinimum", ">"),
        ("maximum", "<="),
        ("exclusiveMaximum", "<"),
    ):
        if key in fs:
            rng.append(f"{sym} {fs[key]:g}")
    if fs.get("multipleOf"):
        rng.append(f"multiple of {fs['multipleOf']:g}")
    if t == "array":
        items = fs.get("items", {})
        return f"list of {_kind(items, defs) if items else 'values'}" + (
            f" (at most {fs['maxItems']})" if "maxItems" in fs else ""
        )
    return t + (f" ({', '.join(rng)})" if rng else "")


def node_markdown(nt: NodeType) -> str:
    e = nt.catalog_entry()
    schema = e["params_schema"]
    defs = schema.get("$defs", {})
    out = [f'<a id="{anchor(nt.id)}"></a>', f"### {nt.title} (`{nt.id}`)", "", nt.description, ""]
    if e["inputs"]:
        out += ["| input | type | |", "|---|---|---|"]
        for p in e["inputs"]:
            flags = [] if p["required"] else ["optional"]
            if p["multi"]:
                flags.append("takes several links")
            out.append(
                f"| `{p['name']}` | {'/'.join(p['types'])} | {'; '.join(flags + [p['description']]).strip('; ')} |"
            )
        out.append("")
    out += ["| output | type | |", "|---|---|---|"]
    for p in e["outputs"]:
        note = p["description"] + (f" (the type of input `{p['same_as']}`)" if p["same_as"] else "")
        out.append(f"| `{p['name']}` | {'/'.join(p['types'])} | {note} |")
    out.append("")
    props = schema.get("properties", {})
    if props:
        out += ["| param | kind | default | |", "|---|---|---|---|"]
        for name, fs in props.items():
            default = json.dumps(fs.get("default")) if "default" in fs else "(required)"
            if len(default) > 40:
                default = default[:37] + "..."
            out.append(
                f"| `{name}` | {_kind(fs, defs)} | `{default}` | {fs.get('description', '')} |"
            )
        out.append("")
    return "\n".join(out)


def markdown(registry: Registry) -> str:
    types = sorted(
        registry,
        key=lambda t: (
            CATEGORY_ORDER.index(t.category) if t.category in CATEGORY_ORDER else 99,
            t.title,
        ),
    )
    out = [
        "# Node reference",
        "",
        "Generated from the node registry (`reelgraph nodes --markdown`); every port and param is listed with "
        "its description. Port types: PROMPT, IMAGE, MASK, MOTION, CAMERA, VIDEO, AUDIO.",
        "",
    ]
    category = None
    for nt in types:
        if nt.category != category:
            category = nt.category
            out += [f"## {category}", ""]
        out += [node_markdown(nt), ""]
    return "\n".join(out).rstrip() + "\n"
