"""The workflow document: the single source of truth that the engine runs and the editor draws.

File format (JSON):
    {"schema": "reelgraph/workflow", "version": 1, "name": "...",
     "nodes": [{"id": "...", "type": "...", "params": {...}, "ui": {...}}],
     "links": [{"from": ["node_id", "output_port"], "to": ["node_id", "input_port"]}],
     "ui": {...}}
``ui`` (per node and top level) holds editor data that the engine ignores.

A recipe (a reusable graph used as a node) is a workflow with a top-level ``interface``: the
inputs, outputs and params it exposes (app.core.recipes). Any workflow may carry recipes
embedded in a top-level ``recipes`` object (name -> recipe document). Both are written only
when present, so other files stay as they were.
"""

from __future__ import annotations

import copy
import unicodedata
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA: Final = "reelgraph/workflow"
CURRENT_VERSION = 1


Mode = Literal["bypass", "mute"]


class NodeModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=200)
    params: dict[str, Any] = Field(default_factory=dict)
    ui: dict[str, Any] = Field(default_factory=dict)
    # "bypass": the node passes an input of its output's type straight through; "mute": the node
    # and what needs it do not run. Absent (None) when the node runs normally.
    mode: Mode | None = None

    @field_validator("id", "type")
    @classmethod
    def _printable(cls, v: str) -> str:
        # ids go to terminals, logs and timelines: no line breaks, escapes or direction overrides
        if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in v):
            raise ValueError("may not contain control, line-break or text-direction characters")
        return v


class Link(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    src: tuple[str, str] = Field(alias="from")
    dst: tuple[str, str] = Field(alias="to")

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (*self.src, *self.dst)


class InterfaceInput(BaseModel):
    """A recipe input: what a link into the instance's port ``name`` feeds inside."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    type: str = Field(min_length=1, max_length=40)  # the port type (IMAGE, VIDEO, ...)
    to: list[tuple[str, str]] = Field(min_length=1)  # inner [node, input] pairs


class InterfaceOutput(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1, max_length=100)
    src: tuple[str, str] = Field(alias="from")  # the inner [node, output] it gives


class InterfaceParam(BaseModel):
    """An inner node's param shown on the instance under ``name``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    node: str = Field(min_length=1, max_length=200)
    param: str = Field(min_length=1, max_length=200)


class Interface(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inputs: list[InterfaceInput] = Field(default_factory=list)
    outputs: list[InterfaceOutput] = Field(default_factory=list)
    params: list[InterfaceParam] = Field(default_factory=list)

    @field_validator("inputs", "outputs", "params")
    @classmethod
    def _unique(cls, v: list[Any]) -> list[Any]:
        names = [x.name for x in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"names must be unique: {', '.join(dupes)} appear more than once")
        return v


class Workflow(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: Literal["reelgraph/workflow"] = Field(default=SCHEMA, alias="schema")
    version: int = CURRENT_VERSION
    name: str = "untitled"
    nodes: list[NodeModel] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    ui: dict[str, Any] = Field(default_factory=dict)
    interface: Interface | None = None  # set: this workflow is a recipe
    recipes: dict[str, dict[str, Any]] = Field(default_factory=dict)  # embedded, by name

    @field_validator("version")
    @classmethod
    def _current(cls, v: int) -> int:
        # Older files are migrated before validation; a document in memory is always current.
        if v != CURRENT_VERSION:
            raise ValueError(f"expected version {CURRENT_VERSION}, got {v}")
        return v

    # -- lookups -------------------------------------------------------------------------------
    def node(self, node_id: str) -> NodeModel | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def node_map(self) -> dict[str, NodeModel]:
        return {n.id: n for n in self.nodes}

    def to_json_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", by_alias=True)
        for node in data["nodes"]:
            if node.get("mode") is None:
                node.pop("mode", None)  # files of nodes that run normally stay as they were
        if data.get("interface") is None:
            data.pop("interface", None)
        if not data.get("recipes"):
            data.pop("recipes", None)
        return data

    def clone(self) -> Workflow:
        return Workflow.model_validate(copy.deepcopy(self.to_json_dict()))
