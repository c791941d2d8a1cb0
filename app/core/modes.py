"""Bypass and mute: what a run does with nodes the user switched off.

A bypassed node passes one of its inputs straight through to each output of the same type
(a bypassed upscale hands its video on); a muted node does not run, and neither does anything
that needed it. The run works on the workflow as rewritten here; the file keeps the links.
"""

from __future__ import annotations

from app.core.ports import can_connect
from app.core.registry import Registry
from app.core.workflow import Link, Workflow


def effective(wf: Workflow, registry: Registry) -> tuple[Workflow, dict[str, str]]:
    """(the workflow the run sees, {node id: why it does not run})."""
    # a reroute point is a pipe's bend, not a step: the run goes straight through it
    bends = {n.id for n in wf.nodes if (nt := registry.get(n.type)) is not None and nt.pass_through}
    off = {
        n.id: ("bypass" if n.id in bends and n.mode != "mute" else n.mode)
        for n in wf.nodes
        if n.mode or n.id in bends
    }
    if not off:
        return wf, {}
    nodes = wf.node_map()
    into: dict[tuple[str, str], Link] = {(lk.dst[0], lk.dst[1]): lk for lk in wf.links}

    def source(node_id: str, out_port: str) -> tuple[str, str] | None:
        """Where a bypassed node's output really comes from, through chains of bypasses (walked
        in a loop: a chain of thousands never runs out of stack)."""
        seen: set[str] = set()
        while True:
            node = nodes[node_id]
            nt = registry.get(node.type)
            out = nt.output(out_port) if nt else None
            if off.get(node_id) != "bypass" or node_id in seen or nt is None or out is None:
                return None
            seen.add(node_id)
            up = None
            for inp in nt.inputs:
                lk = into.get((node_id, inp.name))
                if lk is not None and can_connect(out.types, inp.types):
                    up = lk.src
                    break
            if up is None or off.get(up[0]) == "mute":
                return None
            if off.get(up[0]) != "bypass":
                return up[0], up[1]
            node_id, out_port = up

    links: list[Link] = []
    for lk in wf.links:
        src, port = lk.src
        if off.get(lk.dst[0]):
            continue  # what goes into a switched-off node is not used
        if off.get(src) == "bypass":
            found = source(src, port)
            if found is not None:
                links.append(Link.model_validate({"from": list(found), "to": list(lk.dst)}))
            continue
        if off.get(src) == "mute":
            continue
        links.append(lk)
    reasons = {
        n: ("muted" if m == "mute" else "a reroute point" if n in bends else "bypassed")
        for n, m in off.items()
    }
    # a node left without a required input (its source muted, or a bypass with nothing to pass)
    # does not run either, and so on downstream
    changed = True
    while changed:
        changed = False
        fed = {(lk.dst[0], lk.dst[1]) for lk in links}
        for node in wf.nodes:
            nt = registry.get(node.type)
            if node.id in reasons or nt is None:
                continue
            lost = [
                i.name
                for i in nt.inputs
                if i.required and (node.id, i.name) in into and (node.id, i.name) not in fed
            ]
            if lost:
                was = into[(node.id, lost[0])].src[0]
                reasons[node.id] = (
                    f"input '{lost[0]}' comes from {was}, which is {reasons.get(was, 'not running')}"
                )
                links = [lk for lk in links if lk.src[0] != node.id]
                changed = True
    kept = [n.model_copy(update={"mode": None}) for n in wf.nodes if n.id not in reasons]
    return wf.model_copy(update={"nodes": kept, "links": links}), reasons
