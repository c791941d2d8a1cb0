"""reroute: a point on a pipe, to lead a long connection around the graph. It carries whatever
comes in, unchanged; a run passes straight through it (app.core.modes), so it never computes,
never caches and never changes a result's key."""

from __future__ import annotations

from app.core.errors import NodeError
from app.core.node import Input, NodeType, Output, Params
from app.core.ports import PortType

ANY = tuple(PortType)


class RerouteParams(Params):
    pass


def run(ctx, p: RerouteParams, inputs):
    raise NodeError(
        "a reroute point only passes its input through; this run should not have reached it"
    )


NODE = NodeType(
    id="reroute",
    title="Reroute",
    category="Utility",
    params=RerouteParams,
    run=run,
    pass_through=True,
    description="A point on a pipe: leads a connection around the graph. Double-click a pipe to add one.",
    inputs=(Input("in", ANY, description="anything"),),
    outputs=(Output("out", ANY, "what comes in, unchanged", same_as="in"),),
)
