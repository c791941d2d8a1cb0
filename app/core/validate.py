"""Workflow validation against the registry. Lives in the model so every view gets it."""

from __future__ import annotations

from collections import defaultdict
from contextvars import ContextVar
from pathlib import Path

import networkx as nx
from pydantic import BaseModel, ValidationError

from app.core import recipes
from app.core.errors import Problem, WorkflowError
from app.core.node import NodeType
from app.core.ports import PortType, can_connect
from app.core.registry import Registry
from app.core.workflow import Link, NodeModel, Workflow


class Index:
    """Lookups over one workflow snapshot (the model's own lists are O(n) to search)."""

    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        self.nodes = workflow.node_map()
        self.links_into: dict[str, list[Link]] = defaultdict(list)
        for link in workflow.links:
            self.links_into[link.dst[0]].append(link)


def param_problems(node: NodeModel, node_type: NodeType) -> tuple[BaseModel | None, list[Problem]]:
    """Validate a node's params; returns the parsed model or the located problems."""
    try:
        return node_type.params.model_validate(node.params), []
    except ValidationError as err:
        problems = []
        for e in err.errors():
            loc = ".".join(str(p) for p in e.get("loc", ())) or "params"
            got = e.get("input")
            shown = repr(got) if not isinstance(got, dict | list) else type(got).__name__
            if len(shown) > 60:
                shown = shown[:57] + "..."
            msg = f"{e.get('msg', 'invalid')} (got {shown})"
            if e.get("type") == "extra_forbidden":
                fields = ", ".join(node_type.params.model_fields)
                msg = f"unknown param; this node's params are: {fields}"
            problems.append(Problem(msg, node.id, node.type, f"param '{loc}'"))
        return None, problems


def node_type(
    idx: Index, registry: Registry, node: NodeModel, base_dir: Path | None = None
) -> NodeType | None:
    """The node's type as its ports see it: a recipe node's ports are its recipe's."""
    if node.type == recipes.TYPE:
        base = base_dir or BASE_DIR.get() or Path.cwd()
        return recipes.instance_type(node, registry, base, idx.workflow.recipes)
    return registry.get(node.type)


def output_types(
    workflow: Workflow | Index,
    registry: Registry,
    node_id: str,
    port: str,
    _seen: frozenset[str] = frozenset(),
    base_dir: Path | None = None,
) -> tuple[PortType, ...] | None:
    """Types an output may carry, following ``same_as`` through what feeds that input."""
    idx = workflow if isinstance(workflow, Index) else Index(workflow)
    node = idx.nodes.get(node_id)
    nt = node_type(idx, registry, node, base_dir) if node else None
    out = nt.output(port) if nt else None
    if out is None:
        return None
    if out.same_as and node_id not in _seen:
        for link in idx.links_into.get(node_id, []):
            if link.dst[1] == out.same_as:
                upstream = output_types(
                    idx, registry, link.src[0], link.src[1], _seen | {node_id}, base_dir
                )
                if upstream:
                    narrowed = tuple(t for t in out.types if t in upstream)
                    return narrowed or out.types
    return out.types


def check_link(
    workflow: Workflow | Index, registry: Registry, link: Link, base_dir: Path | None = None
) -> Problem | None:
    """Problems with one link on its own (ports exist, types fit); used by the editor too."""
    idx = workflow if isinstance(workflow, Index) else Index(workflow)
    nodes = idx.nodes
    (src_id, src_port), (dst_id, dst_port) = link.src, link.dst
    src, dst = nodes.get(src_id), nodes.get(dst_id)
    if dst is None:
        return Problem(
            f"link from {src_id}.{src_port} goes to a node that does not exist ({dst_id!r}); remove the link"
        )
    if src is None:
        return Problem(
            f"input comes from a node that does not exist ({src_id!r}); remove the link or add the node",
            dst.id,
            dst.type,
            f"input '{dst_port}'",
        )
    src_t, dst_t = node_type(idx, registry, src, base_dir), node_type(idx, registry, dst, base_dir)
    if src_t is None or dst_t is None:
        return None  # reported once as an unknown type; its links are kept as they are
    inp = dst_t.input(dst_port)
    if inp is None:
        names = ", ".join(p.name for p in dst_t.inputs) or "none"
        return Problem(
            f"no such input; inputs are: {names}", dst.id, dst.type, f"input '{dst_port}'"
        )
    if src_t.output(src_port) is None:
        names = ", ".join(p.name for p in src_t.outputs) or "none"
        return Problem(
            f"link from {src_id}.{src_port}: {src.type} has no output {src_port!r} (outputs: {names})",
            dst.id,
            dst.type,
            f"input '{dst_port}'",
        )
    out_types = output_types(idx, registry, src_id, src_port, base_dir=base_dir) or ()
    if not can_connect(out_types, inp.types):
        got = "/".join(out_types)
        want = "/".join(inp.types)
        return Problem(
            f"type mismatch: {src_id}.{src_port} gives {got} but this input takes {want}; "
            "connect an output of the right type",
            dst.id,
            dst.type,
            f"input '{dst_port}'",
        )
    return None


# The folder the workflow's relative paths start from, while its nodes are checked: node checks
# that look for files beside the workflow (a ComfyUI template in comfyui/) read it.
BASE_DIR: ContextVar[Path | None] = ContextVar("reelgraph_base_dir", default=None)


def validate(
    workflow: Workflow,
    registry: Registry,
    only: set[str] | None = None,
    base_dir: Path | None = None,
) -> list[Problem]:
    """Every problem that would stop ``workflow`` from running (restricted to ``only`` nodes)."""
    return check(workflow, registry, only, base_dir)[0]


def check(
    workflow: Workflow,
    registry: Registry,
    only: set[str] | None = None,
    base_dir: Path | None = None,
) -> tuple[list[Problem], dict[str, BaseModel]]:
    """Problems, plus the parsed params of every node in scope whose params are valid."""
    token = BASE_DIR.set(base_dir)
    try:
        if recipes.has_recipes(workflow):  # checked as it runs: each inner node on its own
            try:
                expanded = recipes.expand(workflow, registry, base_dir or Path.cwd())
            except WorkflowError as e:
                return list(e.problems), {}
            workflow = expanded.workflow
            if only is not None:  # an instance in scope: all its inner nodes are
                only = {
                    m
                    for n in only
                    for m in (expanded.instances[n].nodes if n in expanded.instances else [n])
                }
        return _check(workflow, registry, only)
    finally:
        BASE_DIR.reset(token)


def _check(
    workflow: Workflow, registry: Registry, only: set[str] | None
) -> tuple[list[Problem], dict[str, BaseModel]]:
    idx = Index(workflow)
    parsed_all: dict[str, BaseModel] = {}
    problems: list[Problem] = []
    seen: dict[str, int] = defaultdict(int)
    for n in workflow.nodes:
        seen[n.id] += 1
    for node_id, count in seen.items():
        if count > 1 and (only is None or node_id in only):
            problems.append(
                Problem(
                    f"{count} nodes share this id; node ids must be unique", node_id, None, "id"
                )
            )

    in_scope = [n for n in workflow.nodes if only is None or n.id in only]
    for node in in_scope:
        nt = registry.get(node.type)
        if nt is None:
            problems.append(
                Problem(
                    "unknown node type; the node and its links are kept, but it cannot run "
                    "(install the plugin that provides it, or replace the node)",
                    node.id,
                    node.type,
                )
            )
            continue
        parsed, pp = param_problems(node, nt)
        problems.extend(pp)
        if parsed is not None:
            parsed_all[node.id] = parsed
        connected = frozenset(link.dst[1] for link in idx.links_into.get(node.id, []))
        for inp in nt.inputs:
            if inp.required and inp.name not in connected:
                want = "/".join(inp.types)
                problems.append(
                    Problem(
                        f"required input is not connected; connect a {want} output",
                        node.id,
                        node.type,
                        f"input '{inp.name}'",
                    )
                )
        if parsed is not None and nt.check is not None:
            for where, msg in nt.check(parsed, connected):
                problems.append(Problem(msg, node.id, node.type, where))

    per_input: dict[tuple[str, str], list[Link]] = defaultdict(list)
    seen_links: set[tuple[str, str, str, str]] = set()
    for link in workflow.links:
        if only is not None and link.dst[0] not in only:
            continue
        if link.key in seen_links:
            problems.append(
                Problem(
                    f"duplicate link from {link.src[0]}.{link.src[1]}; remove one",
                    link.dst[0],
                    _type_of(workflow, link.dst[0]),
                    f"input '{link.dst[1]}'",
                )
            )
            continue
        seen_links.add(link.key)
        p = check_link(idx, registry, link)
        if p is not None:
            problems.append(p)
        per_input[link.dst].append(link)
    for (node_id, port), links in per_input.items():
        dst_node = idx.nodes.get(node_id)
        dst_type = registry.get(dst_node.type) if dst_node else None
        dst_input = dst_type.input(port) if dst_type else None
        if dst_input is not None and not dst_input.multi and len(links) > 1:
            sources = ", ".join(f"{lk.src[0]}.{lk.src[1]}" for lk in links)
            problems.append(
                Problem(
                    f"takes one link but has {len(links)} ({sources}); remove all but one",
                    node_id,
                    node.type,
                    f"input '{port}'",
                )
            )

    graph = build_graph(workflow)
    if only is not None:
        graph = graph.subgraph(only)
    cycle = None
    if not nx.is_directed_acyclic_graph(graph):
        cycle = nx.find_cycle(graph)
    if cycle:
        path = " -> ".join([cycle[0][0], *[edge[1] for edge in cycle]])
        first = cycle[0][0]
        problems.append(
            Problem(
                f"links form a cycle ({path}); remove one of those links",
                first,
                _type_of(workflow, first),
            )
        )
    return problems, parsed_all


def _type_of(workflow: Workflow, node_id: str) -> str | None:
    node = workflow.node(node_id)
    return node.type if node else None


def build_graph(workflow: Workflow) -> nx.DiGraph:
    """Node ids as vertices; an edge per upstream -> downstream pair (ports on the edge data)."""
    g = nx.DiGraph()
    g.add_nodes_from(n.id for n in workflow.nodes)
    for link in workflow.links:
        a, b = link.src[0], link.dst[0]
        if a in g and b in g:
            if g.has_edge(a, b):
                g[a][b]["links"].append(link)
            else:
                g.add_edge(a, b, links=[link])
    return g


def needed_for(workflow: Workflow, targets: list[str] | None) -> set[str]:
    """The nodes that the targets depend on (all nodes when no targets are given)."""
    if not targets:
        return {n.id for n in workflow.nodes}
    g = build_graph(workflow)
    needed: set[str] = set()
    for t in targets:
        needed.add(t)
        needed |= nx.ancestors(g, t)
    return needed
