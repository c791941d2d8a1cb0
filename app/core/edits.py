"""Edits of a workflow as small invertible operations, and the checks an editor runs before
making one. Qt-free: the editor's undo stack replays these, tests drive them directly.

An edit is a list of ops; ``apply`` performs one and returns its inverse, so undo is "apply the
inverses in reverse order" and redo is "apply the ops again".
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

import networkx as nx

from app.core.registry import Registry
from app.core.validate import build_graph, check_link
from app.core.workflow import Link, NodeModel, Workflow


@dataclass(frozen=True)
class Op:
    kind: str  # add_node, remove_node, add_link, remove_link, set_params, set_node_ui, set_doc_ui, set_mode
    data: tuple[Any, ...]


def add_node(node: NodeModel, index: int | None = None) -> Op:
    return Op("add_node", (node.model_dump(mode="json"), index))


def remove_node(node_id: str) -> Op:
    return Op("remove_node", (node_id,))


def add_link(link: Link, index: int | None = None) -> Op:
    return Op("add_link", (link.key, index))


def remove_link(link: Link) -> Op:
    return Op("remove_link", (link.key,))


def set_params(node_id: str, params: dict[str, Any]) -> Op:
    return Op("set_params", (node_id, copy.deepcopy(params)))


def set_node_ui(node_id: str, ui: dict[str, Any]) -> Op:
    return Op("set_node_ui", (node_id, copy.deepcopy(ui)))


def set_mode(node_id: str, mode: str | None) -> Op:
    return Op("set_mode", (node_id, mode))


def set_doc_ui(ui: dict[str, Any]) -> Op:
    return Op("set_doc_ui", (copy.deepcopy(ui),))


def link_of(key: tuple[str, str, str, str]) -> Link:
    return Link.model_validate({"from": [key[0], key[1]], "to": [key[2], key[3]]})


def apply(wf: Workflow, op: Op) -> Op:
    """Perform ``op`` on ``wf`` in place; returns the op that undoes it."""
    k, d = op.kind, op.data
    if k == "add_node":
        node = NodeModel.model_validate(copy.deepcopy(d[0]))
        if wf.node(node.id) is not None:
            raise ValueError(f"a node with id {node.id!r} already exists")
        index = len(wf.nodes) if d[1] is None else min(d[1], len(wf.nodes))
        wf.nodes.insert(index, node)
        return remove_node(node.id)
    if k == "remove_node":
        i, node = next((i, n) for i, n in enumerate(wf.nodes) if n.id == d[0])
        if any(d[0] in (lk.src[0], lk.dst[0]) for lk in wf.links):
            raise ValueError(f"node {d[0]!r} still has links; remove them first")
        del wf.nodes[i]
        return add_node(node, i)
    if k == "add_link":
        link = link_of(d[0])
        index = len(wf.links) if d[1] is None else min(d[1], len(wf.links))
        wf.links.insert(index, link)
        return remove_link(link)
    if k == "remove_link":
        i = next(i for i, lk in enumerate(wf.links) if lk.key == tuple(d[0]))
        link = wf.links.pop(i)
        return add_link(link, i)
    if k == "set_params":
        node = wf.node(d[0])
        assert node is not None
        old = node.params
        node.params = copy.deepcopy(d[1])
        return set_params(d[0], old)
    if k == "set_node_ui":
        node = wf.node(d[0])
        assert node is not None
        old = node.ui
        node.ui = copy.deepcopy(d[1])
        return set_node_ui(d[0], old)
    if k == "set_mode":
        node = wf.node(d[0])
        assert node is not None
        old_mode = node.mode
        node.mode = d[1]
        return set_mode(d[0], old_mode)
    if k == "set_doc_ui":
        old = wf.ui
        wf.ui = copy.deepcopy(d[0])
        return set_doc_ui(old)
    raise ValueError(f"unknown op {k!r}")


# -- building edits -----------------------------------------------------------------------------

def remove_nodes(wf: Workflow, ids: set[str]) -> list[Op]:
    """Ops that delete ``ids`` and every link touching them."""
    ops = [remove_link(lk) for lk in wf.links if lk.src[0] in ids or lk.dst[0] in ids]
    ops += [remove_node(n.id) for n in wf.nodes if n.id in ids]
    return ops


def link_change_problem(wf: Workflow, registry: Registry, removed: list[Link], added: list[Link]) -> str | None:
    """Why removing ``removed`` and adding ``added`` must be refused, or None. Checks port
    existence and types, one link per single input, duplicates and cycles on the result."""
    after = wf.model_copy(deep=True)
    gone = {lk.key for lk in removed}
    after.links = [lk for lk in after.links if lk.key not in gone]
    for link in added:
        if link.src[0] == link.dst[0]:
            return f"{link.src[0]} cannot feed itself"
        if any(lk.key == link.key for lk in after.links):
            return f"{link.src[0]}.{link.src[1]} is already connected to {link.dst[0]}.{link.dst[1]}"
        p = check_link(after, registry, link)
        if p is not None:
            return str(p)
        dst = after.node(link.dst[0])
        nt = registry.get(dst.type) if dst else None
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
    return {"schema": "reelgraph/fragment", "version": 1,
            "nodes": [n.model_dump(mode="json") for n in wf.nodes if n.id in ids],
            "links": [lk.model_dump(mode="json", by_alias=True) for lk in wf.links
                      if lk.src[0] in ids and lk.dst[0] in ids]}


def paste(wf: Workflow, frag: dict[str, Any], offset: tuple[float, float]) -> tuple[list[Op], list[str]]:
    """Ops that add a fragment's nodes (fresh ids, moved by ``offset``) and its inner links."""
    if not isinstance(frag, dict) or frag.get("schema") != "reelgraph/fragment":
        raise ValueError("the clipboard does not hold Reelgraph nodes")
    renamed: dict[str, str] = {}
    ops: list[Op] = []
    for raw in frag.get("nodes", []):
        node = NodeModel.model_validate(raw)
        new_id = unique_id(wf, node.id, set(renamed.values()))
        renamed[node.id] = new_id
        ui = dict(node.ui)
        x, y = ui.get("pos", (0, 0))
        ui["pos"] = [float(x) + offset[0], float(y) + offset[1]]
        ops.append(add_node(node.model_copy(update={"id": new_id, "ui": ui})))
    for raw in frag.get("links", []):
        link = Link.model_validate(raw)
        if link.src[0] in renamed and link.dst[0] in renamed:
            ops.append(add_link(Link.model_validate({"from": [renamed[link.src[0]], link.src[1]],
                                                     "to": [renamed[link.dst[0]], link.dst[1]]})))
    return ops, list(renamed.values())


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
