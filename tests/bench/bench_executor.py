"""Executor overhead on a synthetic 1,000-node graph of trivial nodes (chains and fan-out).

Targets: under 1 ms per node of scheduling overhead; a fully cached re-run under 300 ms.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from app.core.cache import Cache
from app.core.executor import Executor
from app.core.registry import discover
from app.core.workflow import Workflow
from tests.core import testnodes

N = 1000


def synthetic(n: int = N, seed: int = 7) -> Workflow:
    rng = random.Random(seed)
    nodes, links = [], []
    roots = n // 10
    for i in range(roots):
        nodes.append({"id": f"c{i}", "type": "t_const", "params": {"value": f"v{i}"}})
    for i in range(roots, n):
        nid = f"j{i}"
        nodes.append({"id": nid, "type": "t_join", "params": {"sep": "+"}})
        prev = nodes[i - 1]["id"]
        # mostly chains (link to the previous node), sometimes fan-out from any earlier node
        links.append(
            {
                "from": [prev if rng.random() < 0.6 else nodes[rng.randrange(i)]["id"], "out"],
                "to": [nid, "items"],
            }
        )
        if rng.random() < 0.3:
            links.append({"from": [nodes[rng.randrange(roots)]["id"], "out"], "to": [nid, "extra"]})
    return Workflow.model_validate(
        {
            "schema": "reelgraph/workflow",
            "version": 1,
            "name": "bench",
            "nodes": nodes,
            "links": links,
        }
    )


def main() -> None:
    registry = discover("nodes").with_types(*testnodes.NODES)
    wf = synthetic()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ex = Executor(registry, Cache(base / "cache"))

        def timed(w: Workflow) -> tuple[float, int]:
            t0 = time.perf_counter()
            r = ex.run(w, base_dir=base, out_dir=base / "renders")
            assert r.status == "ok", r.errors
            return time.perf_counter() - t0, len(r.executed)

        cold, ran = timed(wf)
        print(
            f"cold run:            {cold * 1000:8.1f} ms for {ran} nodes = {cold * 1000 / N:.3f} ms/node "
            "(includes writing each node's output file and cache entry)"
        )
        cached, ran_c = timed(wf)
        print(
            f"cached re-run:       {cached * 1000:8.1f} ms, {ran_c} nodes executed = {cached * 1000 / N:.3f} ms/node "
            f"(target < 300 ms: {'ok' if cached < 0.3 else 'MISSED'})"
        )
        changed = wf.clone()
        import networkx as nx

        from app.core.validate import build_graph

        g = build_graph(wf)
        order = list(nx.topological_sort(g))
        # around the middle of the order, the node with the most downstream work
        middle = max(order[N // 2 - 50 : N // 2 + 50], key=lambda n: len(nx.descendants(g, n)))
        changed.node(middle).params["sep"] = "-"
        print(f"changing node {middle} ({len(nx.descendants(g, middle))} descendants)")
        t, ran_p = timed(changed)
        print(
            f"one param changed:   {t * 1000:8.1f} ms, {ran_p} nodes re-ran (the node and its descendants) "
            f"= {t * 1000 / N:.3f} ms/node of graph"
        )
        per = cold * 1000 / N
        print(
            f"scheduling overhead: {per:.3f} ms/node cold (target < 1 ms: {'ok' if per < 1 else 'MISSED'})"
        )
