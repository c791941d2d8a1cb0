"""Edits of a workflow as small invertible operations, and the checks an editor runs before
making one. Qt-free: the editor's undo stack replays these, tests drive them directly.

An edit is a list of ops; ``apply`` performs one and returns its inverse, so undo is "apply the
inverses in reverse order" and redo is "apply the ops again".
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from app.core.registry import Registry
from app.core.validate import Index, build_graph, check_link, node_type
from app.core.workflow import Interface, Link, Mode, NodeModel, Workflow

LinkKey = tuple[str, str, str, str]


def _node(wf: Workflow, node_id: str) -> NodeModel:
    node = wf.node(node_id)
    if node is None:
        raise ValueError(f"no node {node_id!r} in the workflow")
    return node


@dataclass(frozen=True)
class AddNode:
    node: dict[str, Any]  # the node as JSON, so the op owns its copy
    index: int | None = None

    def apply(self, wf: Workflow) -> Op:
        node = NodeModel.model_validate(copy.deepcopy(self.node))
        if wf.node(node.id) is not None:
            raise ValueError(f"a node with id {node.id!r} already exists")
        index = len(wf.nodes) if self.index is None else min(self.index, len(wf.nodes))
        wf.nodes.insert(index, node)
        return RemoveNode(node.id)


@dataclass(frozen=True)
class RemoveNode:
    node_id: str

    def apply(self, wf: Workflow) -> Op:
        i, node = next((i, n) for i, n in enumerate(wf.nodes) if n.id == self.node_id)
        if any(self.node_id in (lk.src[0], lk.dst[0]) for lk in wf.links):
            raise ValueError(f"node {self.node_id!r} still has links; remove them first")
        del wf.nodes[i]
        return add_node(node, i)


@dataclass(frozen=True)
class AddLink:
    key: LinkKey
    index: int | None = None

    def apply(self, wf: Workflow) -> Op:
        link = link_of(self.key)
        index = len(wf.links) if self.index is None else min(self.index, len(wf.links))
        wf.links.insert(index, link)
        return RemoveLink(link.key)


@dataclass(frozen=True)
class RemoveLink:
    key: LinkKey

    def apply(self, wf: Workflow) -> Op:
        i = next(i for i, lk in enumerate(wf.links) if lk.key == tuple(self.key))
        return AddLink(wf.links.pop(i).key, i)


@dataclass(frozen=True)
class SetParams:
    node_id: str
    params: dict[str, Any]

    def apply(self, wf: Workflow) -> Op:
        node = _node(wf, self.node_id)
        old, node.params = node.params, copy.deepcopy(self.params)
        return SetParams(self.node_id, old)


@dataclass(frozen=True)
class SetNodeUi:
    node_id: str
    ui: dict[str, Any]

    def apply(self, wf: Workflow) -> Op:
        node = _node(wf, self.node_id)
        old, node.ui = node.ui, copy.deepcopy(self.ui)
        return SetNodeUi(self.node_id, old)


@dataclass(frozen=True)
class SetMode:
    node_id: str
    mode: Mode | None

    def apply(self, wf: Workflow) -> Op:
        node = _node(wf, self.node_id)
        old, node.mode = node.mode, self.mode
        return SetMode(self.node_id, old)


@dataclass(frozen=True)
class SetDocUi:
    ui: dict[str, Any]

    def apply(self, wf: Workflow) -> Op:
        old, wf.ui = wf.ui, copy.deepcopy(self.ui)
        return SetDocUi(old)


@dataclass(frozen=True)
class SetInterface:
    """What a recipe exposes (its inputs, outputs and settings), all at once."""

    interface: dict[str, Any] | None

    def apply(self, wf: Workflow) -> Op:
        old = wf.interface.model_dump(mode="json", by_alias=True) if wf.interface else None
        wf.interface = (
            Interface.model_validate(self.interface) if self.interface is not None else None
        )
        return SetInterface(old)


@dataclass(frozen=True)
class SetRecipes:
    """The workflow's embedded recipes, all at once (they change together with the nodes
    that use them: Make recipe, Embed, editing inside one)."""

    recipes: dict[str, Any]

    def apply(self, wf: Workflow) -> Op:
        old, wf.recipes = wf.recipes, copy.deepcopy(self.recipes)
        return SetRecipes(old)


Op = (
    AddNode
    | RemoveNode
    | AddLink
    | RemoveLink
    | SetParams
    | SetNodeUi
    | SetMode
    | SetDocUi
    | SetRecipes
    | SetInterface
)


def add_node(node: NodeModel, index: int | None = None) -> AddNode:
    return AddNode(node.model_dump(mode="json"), index)


def remove_node(node_id: str) -> RemoveNode:
    return RemoveNode(node_id)


def add_link(link: Link, index: int | None = None) -> AddLink:
    return AddLink(link.key, index)


def remove_link(link: Link) -> RemoveLink:
    return RemoveLink(link.key)


def set_params(node_id: str, params: dict[str, Any]) -> SetParams:
    return SetParams(node_id, copy.deepcopy(params))


def set_node_ui(node_id: str, ui: dict[str, Any]) -> SetNodeUi:
    return SetNodeUi(node_id, copy.deepcopy(ui))


def set_mode(node_id: str, mode: Mode | None) -> SetMode:
    return SetMode(node_id, mode)


def set_doc_ui(ui: dict[str, Any]) -> SetDocUi:
    return SetDocUi(copy.deepcopy(ui))


def link_of(key: LinkKey) -> Link:
    return Link.model_validate({"from": [key[0], key[1]], "to": [key[2], key[3]]})


def apply(wf: Workflow, op: Op) -> Op:
    """Perform ``op`` on ``wf`` in place; returns the op that undoes it."""
    return op.apply(wf)


# -- building edits -----------------------------------------------------------------------------


def remove_nodes(wf: Workflow, ids: set[str]) -> list[Op]:
    """Ops that delete ``ids`` and every link touching them."""
    ops: list[Op] = [remove_link(lk) for lk in wf.links if lk.src[0] in ids or lk.dst[0] in ids]
    ops += [remove_node(n.id) for n in wf.nodes if n.id in ids]
    return ops


def link_change_problem(
    wf: Workflow,
    registry: Registry,
    removed: list[Link],
    added: list[Link],
    base_dir: Path | None = None,
) -> str | None:
    """Why removing ``removed`` and adding ``added`` must be refused, or None. Checks port
    existence and types, one link per single input, duplicates and cycles on the result."""
    after = wf.model_copy(deep=True)
    gone = {lk.key for lk in removed}
    after.links = [lk for lk in after.links if lk.key not in gone]
    for link in added:
        if link.src[0] == link.dst[0]:
            return f"{link.src[0]} cannot feed itself"
        if any(lk.key == link.key for lk in after.links):
            return (
                f"{link.src[0]}.{link.src[1]} is already connected to {link.dst[0]}.{link.dst[1]}"
            )
        p = check_link(after, registry, link, base_dir)
        if p is not None:
            return str(p)
        dst = after.node(link.dst[0])
        nt = node_type(Index(after), registry, dst, base_dir) if dst else None
        inp = nt.input(link.dst[1]) if nt else None
        if inp is not None and not inp.multi and any(lk.dst == link.dst for lk in after.links):
            return f"{link.dst[0]}.{link.dst[1]} takes one link; disconnect the one it has first"
        after.links.append(link)
    graph = build_graph(after)
    if not nx.is_directed_acyclic_graph(graph):
        cycle = nx.find_cycle(graph)
        path = " -> ".join([cycle[0][0], *[e[1] for e in cycle]])
        return f"that link would close a cycle ({path}); a shot graph must flow one way"
    return None


def unique_id(wf: Workflow, base: str, taken: set[str] | None = None) -> str:
    """``base`` made unique among the workflow's node ids: generator, generator_2, ..."""
    base = re.sub(r"[^A-Za-z0-9_-]+", "_", base).strip("_") or "node"
    used = {n.id for n in wf.nodes} | (taken or set())
    if base not in used:
        return base
    stem = re.sub(r"_\d+$", "", base)
    n = 2
    while f"{stem}_{n}" in used:
        n += 1
    return f"{stem}_{n}"


def fragment(wf: Workflow, ids: set[str]) -> dict[str, Any]:
    """The nodes ``ids`` and the links between them, as a clipboard document."""
    return {
        "schema": "reelgraph/fragment",
        "version": 1,
        "nodes": [n.model_dump(mode="json") for n in wf.nodes if n.id in ids],
        "links": [
            lk.model_dump(mode="json", by_alias=True)
            for lk in wf.links
            if lk.src[0] in ids and lk.dst[0] in ids
        ],
    }


def paste(
    wf: Workflow, frag: dict[str, Any], offset: tuple[float, float]
) -> tuple[list[Op], list[str]]:
    """Ops that add a fragment's nodes (fresh ids, moved by ``offset``) and its inner links."""
    if not isinstance(frag, dict) or frag.get("schema") != "reelgraph/fragment":
        raise ValueError("the clipboard does not hold Reelgraph nodes")
    raw_nodes, raw_links = frag.get("nodes", []), frag.get("links", [])
    if not isinstance(raw_nodes, list) or not isinstance(raw_links, list):
        raise ValueError("the clipboard's nodes and links are not lists")
    if len(raw_nodes) > MAX_PASTE:
        raise ValueError(
            f"the clipboard holds {len(raw_nodes)} nodes; paste at most {MAX_PASTE} at once"
        )
    renamed: dict[str, str] = {}
    taken = {n.id for n in wf.nodes}
    added: list[str] = []
    ops: list[Op] = []
    for raw in raw_nodes:
        node = NodeModel.model_validate(raw)
        new_id = unique_id(wf, node.id, taken)
        taken.add(new_id)  # every new id, also when two pasted nodes share an id
        renamed.setdefault(node.id, new_id)
        added.append(new_id)
        ui = dict(node.ui)
        ui["pos"] = moved(ui.get("pos"), offset)
        ops.append(add_node(node.model_copy(update={"id": new_id, "ui": ui})))
    for raw in raw_links:
        link = Link.model_validate(raw)
        if link.src[0] in renamed and link.dst[0] in renamed:
            ops.append(
                add_link(
                    Link.model_validate(
                        {
                            "from": [renamed[link.src[0]], link.src[1]],
                            "to": [renamed[link.dst[0]], link.dst[1]],
                        }
                    )
                )
            )
    return ops, added


MAX_PASTE = 2000


def moved(pos: Any, offset: tuple[float, float]) -> list[float]:
    """A position moved by ``offset``; one that is not two finite numbers starts at 0, 0."""
    import math

    try:
        x, y = float(pos[0]), float(pos[1])
    except (TypeError, ValueError, IndexError, KeyError, OverflowError):
        x, y = 0.0, 0.0
    if not (math.isfinite(x) and math.isfinite(y)) or max(abs(x), abs(y)) > 1e7:
        x, y = 0.0, 0.0
    return [x + offset[0], y + offset[1]]


def layout(wf: Workflow, spacing: tuple[float, float] = (340.0, 250.0)) -> dict[str, list[float]]:
    """Positions for a workflow without any: columns by longest path from the sources, rows in
    file order within a column."""
    graph = build_graph(wf)
    if not nx.is_directed_acyclic_graph(graph):
        return {n.id: [0.0, i * spacing[1]] for i, n in enumerate(wf.nodes)}
    depth: dict[str, int] = {}
    for n in nx.topological_sort(graph):
        depth[n] = max((depth[p] + 1 for p in graph.predecessors(n)), default=0)
    rows: dict[int, int] = {}
    out: dict[str, list[float]] = {}
    for n in wf.nodes:
        col = depth.get(n.id, 0)
        out[n.id] = [col * spacing[0], rows.get(col, 0) * spacing[1]]
        rows[col] = rows.get(col, 0) + 1
    return out


def ops_between(before: Workflow, after: Workflow) -> list[Op]:
    """Ops that turn ``before`` into ``after`` (nodes, links, params, ui, modes, embedded
    recipes): a whole-graph change (Make recipe, Expand, Embed) becomes one undo step."""
    ops: list[Op] = []
    # the recipes and the interface first: a recipe node added below finds its recipe there
    if before.recipes != after.recipes:
        ops.append(SetRecipes(copy.deepcopy(after.recipes)))
    if before.interface != after.interface:
        dumped = after.interface.model_dump(mode="json", by_alias=True) if after.interface else None
        ops.append(SetInterface(dumped))
    after_nodes, before_nodes = after.node_map(), before.node_map()
    after_links = {lk.key for lk in after.links}
    before_links = {lk.key for lk in before.links}
    ops += [RemoveLink(lk.key) for lk in before.links if lk.key not in after_links]
    ops += [RemoveNode(n.id) for n in before.nodes if n.id not in after_nodes]
    for i, n in enumerate(after.nodes):
        old = before_nodes.get(n.id)
        if old is None:
            ops.append(AddNode(n.model_dump(mode="json"), i))
            continue
        if old.type != n.type:
            raise ValueError(f"node {n.id!r} changes type; remove it and add another")
        if old.params != n.params:
            ops.append(set_params(n.id, n.params))
        if old.ui != n.ui:
            ops.append(set_node_ui(n.id, n.ui))
        if old.mode != n.mode:
            ops.append(SetMode(n.id, n.mode))
    ops += [AddLink(lk.key) for lk in after.links if lk.key not in before_links]
    return ops
