"""Runs a workflow: networkx order, parallel branches on bounded pools, persistent cache.

Planning happens up front in the calling thread: every node's cache key is computed from its
type, version, canonical params, its upstream keys and the hash of the files it reads, so
cached nodes are resolved before anything runs and upstream nodes that only feed cached
results are not run at all (a paid result is never paid for twice). Execution then dispatches
ready nodes to worker threads with a separate concurrency limit for CPU-bound and remote work.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from app import __version__
from app.core import recipes
from app.core.cache import Cache, Entry, canonical_json, file_hash, hash_text
from app.core.context import CancelToken, NodeContext
from app.core.errors import Cancelled, NodeError, Problem, WorkflowError
from app.core.events import Event
from app.core.modes import effective
from app.core.node import Finished, NodeType
from app.core.publish import publish
from app.core.redact import redact
from app.core.registry import Registry
from app.core.safefiles import checked_file
from app.core.validate import Index, build_graph, check, needed_for
from app.core.values import Value
from app.core.workflow import Workflow

log = logging.getLogger("reelgraph.executor")

EventSink = Callable[[Event], None]


@dataclass
class RunResult:
    run_id: str
    status: str  # "ok", "failed" or "cancelled"
    states: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, dict[str, Value]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    delivered: dict[str, list[Path]] = field(default_factory=dict)
    executed: list[str] = field(default_factory=list)  # nodes that ran (in start order)
    keys: dict[str, str] = field(default_factory=dict)
    run_files: list[Path] = field(default_factory=list)  # written once per run (e.g. timelines)
    notes: list[str] = field(default_factory=list)  # run-level problems that failed no node
    wall_s: float = 0.0

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.states.values():
            out[s] = out.get(s, 0) + 1
        return out


@dataclass
class Plan:
    """What a run will do: the graph and its order, each node's cache key (None: it cannot be
    made), what the cache already holds, what must execute, what failed while planning and what
    is skipped because something it needs cannot be made."""

    graph: nx.DiGraph
    order: list[str]
    keys: dict[str, str | None]
    cached: dict[str, Entry]
    execute: set[str]
    failed: dict[str, str]
    skipped: dict[str, str]


def default_targets(wf: Workflow, registry: Registry) -> list[str] | None:
    """What a run without targets makes: the connected outputs (export, compare); None (every
    node) in a workflow without any, where each chain's end is what the user looks at."""
    fed = {lk.dst[0] for lk in wf.links}
    outputs = [
        n.id
        for n in wf.nodes
        if (nt := registry.get(n.type)) is not None and nt.category == "Output" and n.id in fed
    ]
    return outputs or None


def node_key(nt: NodeType, params: Any, inputs: dict[str, list[str]], files: dict[str, str]) -> str:
    dumped = params.model_dump(mode="json")
    for name in nt.choices:
        dumped.pop(name, None)
    for name in nt.later_params:
        field = type(params).model_fields.get(name)
        if (
            field is not None
            and name in dumped
            and getattr(params, name) == field.get_default(call_default_factory=True)
        ):
            dumped.pop(name)
    return hash_text(
        canonical_json(
            {
                "type": nt.id,
                "version": nt.version,
                "params": dumped,
                "inputs": inputs,
                "files": files,
            }
        )
    )


def output_key(nt: NodeType, params: Any, key: str) -> str:
    """What downstream keys are made from: the cache key plus the node's choices."""
    if not nt.choices:
        return key
    chosen = {name: getattr(params, name) for name in nt.choices}
    return hash_text(canonical_json({"key": key, "choices": chosen}))


def present(nt: NodeType, params: Any, outputs: dict[str, Value]) -> dict[str, Value]:
    return nt.present(params, outputs) if nt.present is not None else outputs


class Executor:
    def __init__(
        self,
        registry: Registry,
        cache: Cache,
        *,
        cpu_workers: int | None = None,
        remote_workers: int = 16,
    ) -> None:
        self.registry = registry
        self.cache = cache
        self.cpu_workers = max(1, cpu_workers or os.cpu_count() or 1)
        self.remote_workers = max(1, remote_workers)

    # -- planning ------------------------------------------------------------------------------
    def plan_keys(
        self, workflow: Workflow, base_dir: Path, params: dict[str, Any], order: list[str]
    ) -> tuple[dict[str, str | None], dict[str, str]]:
        """Cache keys per node of ``order`` (a topological order; None where a key cannot be
        made) and the planning errors. ``params`` are the parsed params per node."""
        idx = Index(workflow)
        keys: dict[str, str | None] = {}
        out_keys: dict[str, str] = {}
        errors: dict[str, str] = {}
        for node_id in order:
            nt = self.registry.get(idx.nodes[node_id].type)
            assert nt is not None
            input_keys: dict[str, list[str]] = {}
            missing = False
            for link in idx.links_into.get(node_id, []):
                up = out_keys.get(link.src[0]) if keys.get(link.src[0]) else None
                if up is None:
                    missing = True
                    break
                input_keys.setdefault(link.dst[1], []).append(f"{up}/{link.src[1]}")
            if missing:
                keys[node_id] = None
                continue
            try:
                files: dict[str, str] = {}
                if nt.reads is not None:
                    for path in nt.reads(params[node_id], base_dir):
                        files[str(path)] = _hash_for_key(path)
                if nt.identity is not None:  # who makes the result, beyond params and files
                    files.update(
                        {f"identity:{k}": v for k, v in nt.identity(params[node_id]).items()}
                    )
                key = node_key(nt, params[node_id], input_keys, files)
                keys[node_id] = key
                out_keys[node_id] = output_key(nt, params[node_id], key)
            except NodeError as e:
                keys[node_id] = None
                errors[node_id] = str(e)
        return keys, errors

    def peek(self, workflow: Workflow, base_dir: Path) -> dict[str, dict[str, Value]]:
        """The outputs already in the cache for every node whose result is current, without
        running anything: the editor shows them as previews when a workflow is opened."""
        if recipes.has_recipes(workflow):
            try:
                workflow = recipes.expand(workflow, self.registry, base_dir).workflow
            except WorkflowError:
                return {}
        workflow, _ = effective(workflow, self.registry)
        _, params = check(workflow, self.registry, base_dir=base_dir)
        graph = build_graph(workflow)
        if not nx.is_directed_acyclic_graph(graph):
            return {}
        order = [n for n in nx.topological_sort(graph) if n in params]
        keys, _ = self.plan_keys(workflow, base_dir, params, order)
        found: dict[str, dict[str, Value]] = {}
        types = {n.id: n.type for n in workflow.nodes}
        for node_id, key in keys.items():
            entry = self.cache.get(key) if key else None
            if entry is not None:
                nt = self.registry.get(types[node_id])
                found[node_id] = (
                    present(nt, params[node_id], entry.outputs) if nt else entry.outputs
                )
        return found

    def estimate(
        self,
        workflow: Workflow,
        *,
        base_dir: Path,
        targets: list[str] | None = None,
        use_cache: bool = True,
    ) -> dict[str, float]:
        """What a run would cost, per node that would execute (cached nodes cost nothing and
        are absent). Raises WorkflowError like run() for a workflow that cannot run."""
        run = _Run(self, workflow, base_dir, base_dir, targets, use_cache, None, CancelToken())
        plan = run.plan()
        order, execute = plan.order, plan.execute
        out: dict[str, float] = {}
        inputs: dict[str, set[str]] = {}
        for link in run.wf.links:
            inputs.setdefault(link.dst[0], set()).add(link.dst[1])
        types = {n.id: n.type for n in run.workflow.nodes}
        for node_id in order:
            if node_id in execute:
                nt = self.registry.get(types[node_id])
                connected = frozenset(inputs.get(node_id, ()))
                out[node_id] = (
                    float(nt.cost(run.params[node_id], connected)) if nt and nt.cost else 0.0
                )
        return out

    # -- running -------------------------------------------------------------------------------
    def run(
        self,
        workflow: Workflow,
        *,
        base_dir: Path,
        out_dir: Path,
        targets: list[str] | None = None,
        use_cache: bool = True,
        on_event: EventSink | None = None,
        cancel: CancelToken | None = None,
    ) -> RunResult:
        run = _Run(
            self, workflow, base_dir, out_dir, targets, use_cache, on_event, cancel or CancelToken()
        )
        return run.execute()


def _hash_for_key(path: Path) -> str:
    checked_file(path)  # never a FIFO, a device or a folder: hashing those would block or never end
    try:
        return file_hash(path)
    except FileNotFoundError:
        raise NodeError(
            f"file not found: {path}", hint="check the path, or pick the file again"
        ) from None
    except IsADirectoryError:
        raise NodeError(f"{path} is a folder, not a file", hint="pick a file") from None
    except OSError as e:
        raise NodeError(f"cannot read {path}: {e.strerror}") from None


class _Run:
    """State of one run; the scheduler loop lives in the calling thread."""

    def __init__(
        self,
        ex: Executor,
        workflow: Workflow,
        base_dir: Path,
        out_dir: Path,
        targets: list[str] | None,
        use_cache: bool,
        on_event: EventSink | None,
        cancel: CancelToken,
    ) -> None:
        self.ex = ex
        self.workflow = workflow
        self.base_dir = Path(base_dir)
        self.out_dir = Path(out_dir)
        self.targets = targets
        self.use_cache = use_cache
        self.on_event = on_event
        self.cancel = cancel
        self.run_id = uuid.uuid4().hex[:12]
        self.t0 = time.monotonic()
        self.result = RunResult(self.run_id, "ok")
        self._lock = threading.Lock()
        self._started: set[str] = set()

    def emit(self, name: str, node: str | None = None, **kw: Any) -> None:
        if self.on_event is None:
            return
        kw = {k: redact(v) if isinstance(v, str) else v for k, v in kw.items()}
        node_type = self.nodes[node].type if node is not None else None
        ev = Event(name, self.run_id, time.monotonic() - self.t0, node=node, type=node_type, **kw)  # type: ignore[arg-type]
        with self._lock:
            try:
                self.on_event(ev)
            except Exception:  # a broken display must not break the run
                log.exception("event sink failed")

    def plan(self) -> Plan:
        """What a run will do, before it does anything."""
        reg = self.ex.registry
        self.nodes = self.workflow.node_map()  # events name every node, the switched-off ones too
        unknown = [t for t in self.targets or [] if t not in self.nodes]
        if unknown:
            raise WorkflowError([Problem(f"no node with id {t!r} to target") for t in unknown])
        if recipes.has_recipes(self.workflow):  # a recipe runs as its inner nodes, ids inst/inner
            self.expanded = recipes.expand(self.workflow, reg, self.base_dir)
            self.workflow = self.expanded.workflow
            if self.targets:
                self.targets = self.expanded.targets(self.targets)
            self.nodes = self.workflow.node_map()
        wf, self.off = effective(self.workflow, reg)
        self.wf = wf
        off_targets = [t for t in self.targets or [] if t in self.off]
        if off_targets:
            raise WorkflowError(
                [
                    Problem(f"{self.off[t]}: switch it back on (Ctrl+B / Ctrl+M) to run it", node=t)
                    for t in off_targets
                ]
            )
        targets = self.targets or default_targets(wf, reg)
        if not self.targets and targets is None:
            outputs = default_targets(self.workflow, reg)
            if outputs:  # there are exports, but every one is switched off or fed by what is
                raise WorkflowError(
                    [
                        Problem(
                            f"nothing to make: {self.off.get(t, 'switched off')}; switch it back on "
                            "(Ctrl+B / Ctrl+M)",
                            node=t,
                        )
                        for t in outputs
                    ]
                )
        needed = needed_for(wf, targets)
        # what feeds no output is left alone: an empty, unconnected node never fails a run
        self.unused = (
            {}
            if self.targets
            else {
                n.id: "feeds no export or compare: not run (select it and Run selected to run it)"
                for n in wf.nodes
                if n.id not in needed
            }
        )
        problems, self.params = check(wf, reg, only=needed, base_dir=self.base_dir)
        if problems:
            raise WorkflowError(problems)
        self.index = Index(wf)
        self.workflow_json = wf.to_json_dict()

        graph = build_graph(wf).subgraph(needed)
        order = list(nx.topological_sort(graph))
        keys, plan_errors = self.ex.plan_keys(wf, self.base_dir, self.params, order)
        self.result.keys = {k: v for k, v in keys.items() if v}
        wanted = set(targets) if targets else {n for n in order if graph.out_degree(n) == 0}

        # Walk back from what is wanted: a cached node stops the walk, so what only feeds
        # cached results is never run.
        cached: dict[str, Entry] = {}
        execute: set[str] = set()
        failed_plan: dict[str, str] = {}
        skipped: dict[str, str] = {}
        for node_id in reversed(order):
            required = node_id in wanted or any(d in execute for d in graph.successors(node_id))
            # feeding only nodes that cannot run: reported as skipped, never run (nor paid for)
            blocked = not required and any(d in skipped for d in graph.successors(node_id))
            key = keys.get(node_id)
            if key is None:
                if node_id in plan_errors:
                    failed_plan[node_id] = plan_errors[node_id]
                elif required or blocked:
                    skipped[node_id] = "upstream failed"
                continue
            entry = self.ex.cache.get(key) if self.use_cache else None
            if entry is not None:
                cached[node_id] = entry
            elif required:
                execute.add(node_id)
            elif blocked:
                skipped[node_id] = "not run: what needs it cannot run"
        return Plan(graph, order, keys, cached, execute, failed_plan, skipped)

    def execute(self) -> RunResult:
        plan = self.plan()
        graph, order, keys, cached, execute = (
            plan.graph,
            plan.order,
            plan.keys,
            plan.cached,
            plan.execute,
        )
        failed_plan, skipped = plan.failed, plan.skipped
        # nodes to run whose inputs cannot be made are skipped (failed key upstream)
        self.emit(
            "run_started",
            data={
                "nodes": [
                    n
                    for n in order
                    if n in execute or n in cached or n in failed_plan or n in skipped
                ],
                "to_run": len(execute),
                "cached": len(cached),
            },
        )
        for node_id, why in {**self.off, **self.unused}.items():
            self.result.states[node_id] = "idle"
            nt = self.ex.registry.get(self.nodes[node_id].type)
            if nt is not None and nt.pass_through:
                continue  # a pipe's bend: nothing to say about it
            self.emit("skipped", node_id, message=why)
        for node_id in order:
            if node_id in cached:
                self._finish_cached(node_id, cached[node_id])
            elif node_id in failed_plan:
                self.result.states[node_id] = "failed"
                self.result.errors[node_id] = failed_plan[node_id]
                self.emit("failed", node_id, error=failed_plan[node_id])
            elif node_id in skipped:
                self.result.states[node_id] = "skipped"
                self.emit("skipped", node_id, message=skipped[node_id])
            elif node_id in execute:
                self.result.states[node_id] = "queued"
                self.emit("queued", node_id)

        self._schedule(graph, order, execute, keys, self._aliases(order, execute, keys))
        self._finalize(order)
        try:
            self.ex.cache.evict_if_needed(keep=set(self.result.keys.values()))
        except OSError:
            log.exception("cache eviction failed")
        states = self.result.states.values()
        if any(s == "cancelled" for s in states) or self.cancel.cancelled:
            self.result.status = "cancelled"
        elif any(s in ("failed", "skipped") for s in states):
            self.result.status = "failed"
        self.result.wall_s = time.monotonic() - self.t0
        self.emit(
            "run_finished",
            delivered=[str(p) for p in self.result.run_files] or None,
            data={
                "status": self.result.status,
                "counts": self.result.counts(),
                "wall_s": round(self.result.wall_s, 4),
                "notes": self.result.notes,
            },
        )
        return self.result

    def _finalize(self, order: list[str]) -> None:
        """Run-level outputs (e.g. the timeline of everything exported), once per node type."""
        by_type: dict[str, list[Finished]] = {}
        for n in order:
            if self.result.states.get(n) in ("finished", "cached"):
                nt = self.ex.registry.get(self.nodes[n].type)
                if nt is not None and nt.finalize is not None:
                    by_type.setdefault(nt.id, []).append(
                        Finished(
                            n,
                            self.params[n],
                            self.result.outputs[n],
                            self.result.delivered.get(n, []),
                        )
                    )
        for type_id, items in by_type.items():
            nt = self.ex.registry.get(type_id)
            assert nt is not None and nt.finalize is not None
            with tempfile.TemporaryDirectory(prefix="reelgraph-final-") as tmp:
                written = []
                try:
                    files = nt.finalize(items, Path(tmp), self.workflow_json)
                    for name, path in files.items():
                        if isinstance(
                            path, Exception
                        ):  # one file could not be made: said, the rest kept
                            self.result.notes.append(f"{type_id}: {name} was not written: {path}")
                            continue
                        try:
                            written.append(publish(path, self.out_dir, name))
                        except NodeError as e:
                            self.result.notes.append(f"{type_id}: {name}: {e}")
                except NodeError as e:
                    self.result.notes.append(f"{type_id}: {e}")
                except Exception as e:
                    log.exception("finalize of %s failed", type_id)
                    self.result.notes.append(f"{type_id}: internal error: {type(e).__name__}: {e}")
            self.result.run_files.extend(written)

    @staticmethod
    def _aliases(
        order: list[str], execute: set[str], keys: dict[str, str | None]
    ) -> dict[str, str]:
        """Nodes whose key equals an earlier node's share its result instead of running again."""
        first: dict[str, str] = {}
        aliases: dict[str, str] = {}
        for n in order:
            key = keys[n]
            if n in execute and key:
                if key in first:
                    aliases[n] = first[key]
                else:
                    first[key] = n
        return aliases

    def _present(self, node_id: str, entry: Entry) -> dict[str, Value]:
        nt = self.ex.registry.get(self.nodes[node_id].type)
        outputs = present(nt, self.params[node_id], entry.outputs) if nt else entry.outputs
        self.result.outputs[node_id] = outputs
        return outputs

    def _finish_cached(self, node_id: str, entry: Entry) -> None:
        self.result.states[node_id] = "cached"
        outputs = self._present(node_id, entry)
        try:
            delivered = self._deliver(node_id, entry)
        except (
            NodeError
        ) as e:  # the result is safe in the cache; only its copy into the output folder failed
            message = redact(str(e))
            self.result.states[node_id] = "failed"
            self.result.errors[node_id] = message
            self.result.outputs[node_id] = outputs
            self.emit("failed", node_id, error=message)
            return
        self.emit(
            "cached",
            node_id,
            outputs={p: str(v.path) for p, v in outputs.items()},
            delivered=[str(p) for p in delivered] or None,
        )

    def _deliver(self, node_id: str, entry: Entry) -> list[Path]:
        out = []
        for d in entry.manifest.get("deliveries", []):
            out.append(publish(entry.root / d["file"], self.out_dir, d["name"]))
        if out:
            self.result.delivered[node_id] = out
        return out

    # -- scheduling ----------------------------------------------------------------------------
    def _schedule(
        self,
        graph: nx.DiGraph,
        order: list[str],
        execute: set[str],
        keys: dict[str, str | None],
        aliases: dict[str, str],
    ) -> None:
        if not execute:
            return
        reg = self.ex.registry
        types: dict[str, NodeType] = {}
        run_keys: dict[str, str] = {}
        for n in execute:  # every node that runs was checked (known type) and has a key
            nt, key = reg.get(self.nodes[n].type), keys[n]
            assert nt is not None and key is not None
            types[n], run_keys[n] = nt, key
        params = self.params
        kinds = {n: types[n].kind_of(params[n]) for n in execute}
        waiting = {n: sum(1 for u in graph.predecessors(n) if u in execute) for n in execute}
        followers: dict[str, list[str]] = {}
        for n, primary in aliases.items():
            waiting[n] = 1  # waits for its primary only: same key means same inputs
            followers.setdefault(primary, []).append(n)
        ready = [n for n in order if n in execute and waiting[n] == 0]
        limits = {"cpu": self.ex.cpu_workers, "remote": self.ex.remote_workers}
        running = {"cpu": 0, "remote": 0}
        done_q: queue.Queue[tuple[str, str, Any]] = queue.Queue()
        in_flight = 0
        pending = set(execute)

        pool = ThreadPoolExecutor(
            max_workers=limits["cpu"] + limits["remote"], thread_name_prefix="reelgraph-node"
        )
        try:
            while pending:
                if self.cancel.cancelled:
                    for n in order:
                        if (
                            n in pending
                            and self.result.states.get(n) == "queued"
                            and n not in self._started
                        ):
                            self._set_end(n, "cancelled")
                            pending.discard(n)
                    ready.clear()
                i = 0
                while i < len(ready):
                    n = ready[i]
                    if n in aliases:  # resolved at once from the primary's fresh result
                        ready.pop(i)
                        pending.discard(n)
                        done_q.put((n, "finished", None))
                        in_flight += 1
                        running[kinds[n]] += 1
                        self._share(n, aliases[n])
                        continue
                    kind = kinds[n]
                    if running[kind] < limits[kind]:
                        ready.pop(i)
                        running[kind] += 1
                        in_flight += 1
                        self._started.add(n)
                        pool.submit(self._work, n, types[n], params[n], run_keys[n], done_q)
                    else:
                        i += 1
                if in_flight == 0:
                    break
                try:
                    node_id, state, payload = done_q.get(timeout=0.05)
                except queue.Empty:
                    continue
                in_flight -= 1
                running[kinds[node_id]] -= 1
                pending.discard(node_id)
                for f in followers.get(node_id, []):
                    if state == "finished":
                        waiting[f] = 0
                        ready.append(f)
                    elif f in pending:
                        pending.discard(f)
                        self._end_unstarted(f, state, f"identical node {node_id} failed")
                        self._drop_downstream(graph, f, state, pending, ready)
                if state == "finished":
                    for d in graph.successors(node_id):
                        if d in execute and d not in aliases:
                            waiting[d] -= 1
                            if waiting[d] == 0 and d in pending:
                                ready.append(d)
                elif state in ("failed", "cancelled"):
                    self._drop_downstream(graph, node_id, state, pending, ready)
        finally:
            pool.shutdown(wait=True)

    def _end_unstarted(self, node_id: str, cause: str, reason: str) -> None:
        """A node that will not run because of ``cause`` (failed -> skipped, or cancelled)."""
        if cause == "failed":
            self.result.states[node_id] = "skipped"
            self.emit("skipped", node_id, message=reason)
        else:
            self._set_end(node_id, "cancelled")

    def _drop_downstream(
        self, graph: nx.DiGraph, origin: str, cause: str, pending: set[str], ready: list[str]
    ) -> None:
        for d in nx.descendants(graph, origin):
            if d in pending and d not in self._started:
                pending.discard(d)
                self._end_unstarted(d, cause, f"upstream node {origin} failed")
                if d in ready:
                    ready.remove(d)

    def _share(self, node_id: str, primary: str) -> None:
        entry = self.ex.cache.get(self.result.keys[primary])
        if entry is None:  # evicted in between (tiny cache): fall back to the primary's values
            self.result.outputs[node_id] = self.result.outputs[primary]
            self._set_end(
                node_id,
                "cached",
                outputs={p: str(v.path) for p, v in self.result.outputs[primary].items()},
            )
            return
        self._finish_cached(node_id, entry)

    def _set_end(self, node_id: str, state: str, **kw: Any) -> None:
        self.result.states[node_id] = state
        self.emit(state, node_id, **kw)

    def _inputs(self, node_id: str, nt: NodeType) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for link in self.index.links_into.get(node_id, []):
            v = self.result.outputs[link.src[0]][link.src[1]]
            inp = nt.input(link.dst[1])
            if inp is not None and inp.multi:
                values.setdefault(link.dst[1], []).append(v)
            else:
                values[link.dst[1]] = v
        return values

    def _work(self, node_id: str, nt: NodeType, params: Any, key: str, done_q: queue.Queue) -> None:
        cache = self.ex.cache
        staging: Path | None = None
        try:
            self.cancel.check()
            staging = cache.stage()
            inputs = self._inputs(node_id, nt)
            ctx = NodeContext(
                node_id=node_id,
                node_type=nt.id,
                work_dir=staging,
                base_dir=self.base_dir,
                out_dir=self.out_dir,
                cancel=self.cancel,
                cache_dir=cache.root,
                workflow=self.workflow_json,
                key=key,
                emit_progress=lambda f, m: self.emit("progress", node_id, progress=f, message=m),
            )
            self.result.states[node_id] = "running"
            self.result.executed.append(node_id)
            self.emit("started", node_id)
            t_start = time.monotonic()
            outputs = nt.run(ctx, params, inputs)
            outputs = self._check_outputs(nt, staging, outputs)
            entry = cache.commit(
                key,
                staging,
                outputs,
                {
                    "node_type": nt.id,
                    "type_version": nt.version,
                    "node_id": node_id,
                    "workflow": self.workflow.name,
                    "app_version": __version__,
                    "params": params.model_dump(mode="json"),
                    "duration_s": round(time.monotonic() - t_start, 4),
                    "deliveries": ctx.deliveries,
                },
            )
            staging = None
            presented = self._present(node_id, entry)
            delivered = self._deliver(node_id, entry)
            self._set_end(
                node_id,
                "finished",
                outputs={p: str(v.path) for p, v in presented.items()},
                delivered=[str(p) for p in delivered] or None,
            )
            done_q.put((node_id, "finished", None))
        except Cancelled:
            self._set_end(node_id, "cancelled")
            done_q.put((node_id, "cancelled", None))
        except NodeError as e:
            self._fail(node_id, str(e), done_q)
        except MemoryError:
            self._fail(node_id, "ran out of memory; lower the resolution or duration", done_q)
        except Exception as e:  # node bugs: a clear line for the user, the traceback in the log
            log.exception("node %s (%s) raised", node_id, nt.id)
            self._fail(node_id, f"internal error: {type(e).__name__}: {e}", done_q)
        finally:
            if staging is not None:
                cache.abort(staging)

    def _fail(self, node_id: str, message: str, done_q: queue.Queue) -> None:
        message = redact(message)
        self.result.errors[node_id] = message
        self._set_end(node_id, "failed", error=message)
        done_q.put((node_id, "failed", message))

    def _check_outputs(
        self, nt: NodeType, staging: Path, outputs: dict[str, Value]
    ) -> dict[str, Value]:
        if not isinstance(outputs, dict):
            raise TypeError(f"run() returned {type(outputs).__name__}, not a dict of outputs")
        declared = {o.name for o in nt.outputs}
        if set(outputs) != declared:
            raise TypeError(
                f"run() returned outputs {sorted(outputs)}, declared {sorted(declared)}"
            )
        fixed = {}
        for port, value in outputs.items():
            out = nt.output(port)
            assert out is not None
            if value.type not in out.types:
                raise TypeError(f"output {port!r} is {value.type}, declared {'/'.join(out.types)}")
            path = value.path
            if not path.is_relative_to(staging):
                # Passing an upstream file through: copy it in so every entry is self-contained.
                dest = staging / f"{port}{path.suffix}"
                try:
                    os.link(path, dest)
                except OSError:
                    shutil.copyfile(path, dest)
                path = dest
            if not path.exists():
                raise TypeError(f"output {port!r} file {path.name} was not written")
            fixed[port] = Value(value.type, path, value.meta)
        return fixed
