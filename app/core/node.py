"""How a node type is declared: once, in one module under nodes/.

A declaration holds the stable type id, a version, typed ports, a pydantic params model and a
run function. The editor's properties panel, the CLI catalog and the JSON schema all derive
from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from app.core.ports import PortType
from app.core.values import Value

if TYPE_CHECKING:
    from app.core.context import NodeContext

Kind = Literal["cpu", "remote"]


def _types(t: PortType | tuple[PortType, ...]) -> tuple[PortType, ...]:
    return t if isinstance(t, tuple) else (t,)


@dataclass(frozen=True)
class Input:
    name: str
    type: PortType | tuple[PortType, ...]
    required: bool = True
    multi: bool = False  # accepts several links, delivered as a list in link order
    description: str = ""

    @property
    def types(self) -> tuple[PortType, ...]:
        return _types(self.type)


@dataclass(frozen=True)
class Output:
    name: str
    type: PortType | tuple[PortType, ...]
    description: str = ""
    same_as: str | None = None  # the output takes the type of the value on this input

    @property
    def types(self) -> tuple[PortType, ...]:
        return _types(self.type)


# run(ctx, params, inputs) -> {output port: Value}. inputs maps an input name to a Value (a list
# of Values for multi inputs); optional inputs that are not connected are absent.
RunFn = Callable[["NodeContext", Any, Mapping[str, Any]], dict[str, Value]]
# Extra checks before running, given the params and the set of connected input names.
CheckFn = Callable[[Any, frozenset[str]], list[tuple[str | None, str]]]
# Files a node reads (their content hash enters its cache key), given params and the base dir.
ReadsFn = Callable[[Any, Path], list[Path]]


@dataclass(frozen=True)
class Finished:
    """One node of a type after a run (finished or cached), for run-level finalizers."""

    node_id: str
    params: Any
    outputs: dict[str, Value]
    delivered: list[Path]


# Called once after a run with every finished/cached node of the type, in workflow order;
# returns files to publish into the output folder as {name: file}, or {name: the reason it
# could not be made} for a file that failed while the others were made.
FinalizeFn = Callable[[list[Finished], Path, dict[str, Any]], dict[str, Path | Exception]]


PresentFn = Callable[[Any, dict[str, Value]], dict[str, Value]]


@dataclass(frozen=True)
class Options:
    """The values a param may take given the other params (from data such as the model
    catalog), each with a label for a drop-down. ``free``: other values may be typed too (an
    open backend's model ids). No choices and not free: the param does not apply (hidden)."""

    choices: tuple[tuple[Any, str], ...] = ()
    free: bool = False


OptionsFn = Callable[[Any], dict[str, Options]]
CostFn = Callable[[Any, frozenset[str]], float]


@dataclass(frozen=True)
class NodeType:
    id: str
    title: str
    params: type[BaseModel]
    run: RunFn
    version: int = 1
    inputs: tuple[Input, ...] = ()
    outputs: tuple[Output, ...] = ()
    description: str = ""
    category: str = "General"
    kind: Kind = "cpu"
    legacy_ids: tuple[str, ...] = ()
    check: CheckFn | None = None
    reads: ReadsFn | None = None
    finalize: FinalizeFn | None = None
    # Params that only choose among results already made (the generator's selected_take): they
    # stay out of the node's cache key, so changing them never re-runs (or re-pays for) the node;
    # present(params, outputs) derives the outputs for the choice from the cached result, and
    # the choice still enters the keys of the nodes downstream.
    choices: tuple[str, ...] = ()
    present: PresentFn | None = None
    # Params added after results were made with this node type: left out of the cache key while
    # they hold their default, so an upgrade keeps every result already made (and paid for).
    later_params: tuple[str, ...] = ()
    # The concurrency pool a node runs in can depend on its params (a generator on a cloud
    # backend waits on the network; on the local engine it uses the CPU).
    kind_for: Callable[[Any], Kind] | None = None
    # Estimated price of running the node with these params and connected inputs (cloud
    # backends: the inputs can decide the mode, and so the price); None: free.
    cost: CostFn | None = None
    # Drop-down values of params that depend on other params (backend -> models -> modes).
    options: OptionsFn | None = None
    # What else decides the result, outside params, inputs and files (the ComfyUI server that
    # renders it: another server with other models gives another result); enters the key.
    identity: Callable[[Any], dict[str, str]] | None = None
    # How the editor shows the node before it has run: "file" (the picture or video its `path`
    # param names), "waveform" (the sound its `path` names), "motion" (its regions over the still
    # on its `image` input); None: nothing until it runs.
    preview: str | None = None
    # A pipe's bend (reroute): it carries its input unchanged and a run goes straight through it.
    pass_through: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def kind_of(self, params: Any) -> Kind:
        return self.kind_for(params) if self.kind_for is not None else self.kind

    def input(self, name: str) -> Input | None:
        return next((p for p in self.inputs if p.name == name), None)

    def output(self, name: str) -> Output | None:
        return next((p for p in self.outputs if p.name == name), None)

    def catalog_entry(self) -> dict[str, Any]:
        """The node's public description: the CLI catalog and docs are made from this."""
        return {
            "type": self.id,
            "version": self.version,
            "title": self.title,
            "category": self.category,
            "description": self.description,
            "kind": self.kind,
            "legacy_ids": list(self.legacy_ids),
            "inputs": [
                {
                    "name": p.name,
                    "types": [t.value for t in p.types],
                    "required": p.required,
                    "multi": p.multi,
                    "description": p.description,
                }
                for p in self.inputs
            ],
            "outputs": [
                {
                    "name": p.name,
                    "types": [t.value for t in p.types],
                    "same_as": p.same_as,
                    "description": p.description,
                }
                for p in self.outputs
            ],
            "params_schema": self.params.model_json_schema(),
        }


class Params(BaseModel):
    """Base for node params models: unknown keys are an error, so typos do not pass silently."""

    model_config = {"extra": "forbid", "allow_inf_nan": False}
