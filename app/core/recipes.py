"""Recipes: reusable graphs used as nodes.

A recipe is a workflow with an ``interface`` (the inputs, outputs and params it exposes). A
node of type ``recipe`` uses one: ``source`` says where it lives (a path relative to the
workflow, ``library:NAME`` or ``embedded:NAME``), ``values`` sets its exposed params and ``pin``
keeps one version (its content hash) whatever the file becomes.

Before a run (and before validation) every instance is expanded into its inner nodes, with ids
namespaced as ``instance/inner``: each inner node is planned, cached and reported on its own,
so changing a recipe or an exposed value re-runs only the inner nodes it touches. Recipes nest;
one that reaches itself is refused with the chain.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from app.core.dirs import config_dir
from app.core.errors import Problem, WorkflowError
from app.core.fileio import atomic_write_bytes, load_workflow, parse_workflow
from app.core.limits import limit
from app.core.node import Input, NodeType, Output, Params
from app.core.ports import PortType
from app.core.registry import Registry
from app.core.resources import resource_path
from app.core.workflow import Link, NodeModel, Workflow

TYPE = "recipe"
_BUDGET: ContextVar[list[int]] = ContextVar("reelgraph_recipe_budget")  # set by expand()
_TOP: ContextVar[Path] = ContextVar("reelgraph_recipe_top")  # the run's folder, set by expand()
SEP = "/"
LIBRARY = "library:"
EMBEDDED = "embedded:"
MAX_DEPTH = 16  # recipes inside recipes: deeper is a mistake, not a film


class RecipeParams(Params):
    source: str = Field(
        "",
        description="the recipe: a file relative to the workflow, library:NAME or embedded:NAME",
    )
    values: dict[str, Any] = Field(
        default_factory=dict,
        description="exposed params set on this instance (absent ones keep the recipe's value)",
    )
    pin: str | None = Field(
        None, description="the content hash of the version to keep; empty follows the file"
    )


# -- content, versions, the library ----------------------------------------------------------


def _strip_ui(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k != "ui"}
    out["nodes"] = [{k: v for k, v in n.items() if k != "ui"} for n in doc.get("nodes", [])]
    return out


def digest(wf: Workflow) -> str:
    """The content hash of a recipe: what it does, not where its nodes sit on the canvas."""
    text = json.dumps(_strip_ui(wf.to_json_dict()), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def user_library() -> Path:
    return config_dir(create=False) / "recipes"


def shipped_library() -> Path:
    return resource_path("recipes")


def _versions_dir() -> Path:
    return config_dir(create=False) / "recipe-versions"


def remember(wf: Workflow) -> str:
    """Keep this version of a recipe by its hash, so an instance can pin it after the file
    changes. Returns the hash."""
    h = digest(wf)
    path = _versions_dir() / f"{h}.json"
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, json.dumps(wf.to_json_dict(), indent=1).encode())
        except OSError:
            pass  # a read-only config folder: pins of later versions just cannot be kept
    return h


def remembered(h: str) -> Workflow | None:
    """The kept version ``h``, only if its content still has that hash (a file edited in the
    version store is not that version any more)."""
    if not (h.isascii() and h.isalnum()) or len(h) > 64:
        return None
    path = _versions_dir() / f"{h}.json"
    try:
        if not path.is_file():
            return None
        wf = load_workflow(path)
    except (WorkflowError, OSError):
        return None
    return wf if digest(wf) == h else None


@dataclass(frozen=True)
class LibraryItem:
    name: str
    path: Path
    shipped: bool


def library() -> list[LibraryItem]:
    """The user's recipes, then the shipped ones not shadowed by a user recipe of that name."""
    found: dict[str, LibraryItem] = {}
    for folder, shipped in ((user_library(), False), (shipped_library(), True)):
        if folder.is_dir():
            for p in sorted(folder.glob("*.json")):
                found.setdefault(p.stem, LibraryItem(p.stem, p, shipped))
    return sorted(found.values(), key=lambda i: i.name)


def library_path(name: str) -> Path | None:
    if not name or "/" in name or "\\" in name or name.startswith(".") or len(name.encode()) > 200:
        return None
    for folder in (user_library(), shipped_library()):
        p = folder / f"{name}.json"
        try:
            if p.is_file():
                return p
        except OSError:
            return None
    return None


# -- loading one recipe ----------------------------------------------------------------------


@dataclass
class Loaded:
    wf: Workflow
    digest: str  # of the version used
    current: str  # of what the source holds now (differs from digest when pinned to an older one)
    ident: str  # what it is, for the self-reference check and messages
    folder: Path  # where its relative paths point


def load(
    source: str, *, base_dir: Path, embedded: dict[str, dict[str, Any]], pin: str | None = None
) -> Loaded:
    """Read the recipe ``source`` names. Raises ValueError with a message for the user."""
    source = source.strip()
    if not source:
        raise ValueError("no recipe chosen; set 'source' to a file, library:NAME or embedded:NAME")
    if source.startswith(EMBEDDED):
        name = source[len(EMBEDDED) :]
        doc = embedded.get(name)
        if doc is None:
            known = ", ".join(sorted(embedded)) or "none"
            raise ValueError(f"no embedded recipe {name!r} in this workflow (embedded: {known})")
        try:
            wf = parse_workflow(json.dumps(doc), source=source)
        except WorkflowError as e:
            raise ValueError(
                f"embedded recipe {name!r} is not a valid workflow: {_first(e)}"
            ) from None
        ident, folder = f"{source}@{digest(wf)}", base_dir  # two recipes may share a name
    else:
        if source.startswith(LIBRARY):
            name = source[len(LIBRARY) :]
            path = library_path(name)
            kept = remembered(pin) if pin and path is None else None
            if kept is not None:
                return Loaded(kept, pin or "", pin or "", source, base_dir)
            if path is None:
                names = ", ".join(i.name for i in library()) or "none"
                raise ValueError(f"no recipe {name!r} in the library (library: {names})")
        else:
            path = Path(source).expanduser()
            path = path if path.is_absolute() else base_dir / path
            try:
                exists = path.is_file()
            except OSError as e:  # a name too long for the file system, a loop of links
                raise ValueError(
                    f"cannot use recipe file {source[:80]!r}: {e.strerror or e}"
                ) from None
            if not exists:
                kept = remembered(pin) if pin else None
                if kept is not None:  # the file is gone, but the version this shot keeps is not
                    return Loaded(kept, pin or "", pin or "", str(path), path.parent)
                raise ValueError(f"recipe file not found: {path}")
        try:
            wf = load_workflow(path)
        except WorkflowError as e:
            raise ValueError(f"recipe {path} is not a valid workflow: {_first(e)}") from None
        ident, folder = str(path.resolve()), path.resolve().parent
    if wf.interface is None:
        raise ValueError(f"{source} is a workflow without an interface, not a recipe")
    current = remember(wf) if not source.startswith(EMBEDDED) else digest(wf)
    if pin and pin != current:
        old = remembered(pin)
        if old is None:
            raise ValueError(
                f"the pinned version {pin} of {source} is not on this machine "
                "(clear 'pin' to use the current one, or embed the recipe)"
            )
        return Loaded(old, pin, current, ident, folder)
    return Loaded(wf, current, current, ident, folder)


def _first(e: WorkflowError) -> str:
    return str(e.problems[0]) if e.problems else str(e)


# -- expansion -------------------------------------------------------------------------------


@dataclass
class Instance:
    """One recipe node as the run sees it (ids are flat: ``shot/gen``, ``shot/inner/gen``)."""

    id: str
    source: str
    digest: str
    current: str
    inputs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    outputs: dict[str, tuple[str, str]] = field(default_factory=dict)
    nodes: list[str] = field(default_factory=list)


@dataclass
class Expanded:
    workflow: Workflow  # no recipe nodes left
    instances: dict[str, Instance] = field(default_factory=dict)

    def targets(self, ids: list[str]) -> list[str]:
        """Run targets with each instance replaced by what it makes: its outputs and the ends
        of its inner graph (its exports)."""
        out: list[str] = []
        for t in ids:
            inst = self.instances.get(t)
            if inst is None:
                out.append(t)
                continue
            inner = set(inst.nodes)
            feeds = {lk.src[0] for lk in self.workflow.links if lk.dst[0] in inner}
            ends = {n for n in inner if n not in feeds}
            out += sorted(ends | {src[0] for src in inst.outputs.values()})
        return list(dict.fromkeys(out))


def has_recipes(wf: Workflow) -> bool:
    return any(n.type == TYPE for n in wf.nodes)


def expand(wf: Workflow, registry: Registry, base_dir: Path) -> Expanded:
    """The workflow with every recipe instance replaced by its inner nodes. Raises
    WorkflowError naming the instance (and the inner node) for anything wrong."""
    if not has_recipes(wf):
        return Expanded(wf)
    problems: list[Problem] = []
    _BUDGET.set([limit("recipe_nodes")])
    _TOP.set(base_dir)
    result = _expand(wf, registry, base_dir, dict(wf.recipes), (), problems)
    if problems:
        raise WorkflowError(problems)
    return result


def _expand(
    wf: Workflow,
    registry: Registry,
    base_dir: Path,
    embedded: dict[str, dict[str, Any]],
    chain: tuple[str, ...],
    problems: list[Problem],
) -> Expanded:
    nodes: list[NodeModel] = []
    links: list[Link] = []
    instances: dict[str, Instance] = {}
    for node in wf.nodes:
        if node.type != TYPE:
            nodes.append(node)
            continue
        inst = _instance(node, registry, base_dir, embedded, chain, problems)
        if inst is None:
            continue
        inner, info = inst
        nodes += inner.workflow.nodes
        links += inner.workflow.links
        instances[node.id] = info
        instances.update(inner.instances)
    failed = {n.id for n in wf.nodes if n.type == TYPE} - set(instances)
    for n in wf.nodes:  # "shot/x" beside an instance "shot" would be mistaken for its inner node
        head = n.id.split(SEP, 1)[0]
        if n.type != TYPE and SEP in n.id and head in {m.id for m in wf.nodes if m.type == TYPE}:
            problems.append(
                Problem(
                    f"its id starts with the recipe node {head!r} and {SEP!r}; rename it",
                    n.id,
                    n.type,
                    "id",
                )
            )
    for lk in wf.links:
        if lk.src[0] in failed or lk.dst[0] in failed:
            continue  # an instance that failed to expand: its problem is already reported
        src = _source(lk, instances, problems)
        if src is None:
            continue
        for dst in _targets(lk, instances, problems):
            links.append(Link.model_validate({"from": list(src), "to": list(dst)}))
    flat = wf.model_copy(update={"nodes": nodes, "links": links})
    return Expanded(flat, instances)


def _source(
    lk: Link, instances: dict[str, Instance], problems: list[Problem]
) -> tuple[str, str] | None:
    inst = instances.get(lk.src[0])
    if inst is None:
        return lk.src[0], lk.src[1]
    if lk.src[1] not in inst.outputs:
        outs = ", ".join(inst.outputs) or "none"
        problems.append(
            Problem(
                f"the recipe has no output {lk.src[1]!r} (outputs: {outs}); "
                "reconnect from one it has",
                inst.id,
                TYPE,
                "link",
            )
        )
        return None
    return inst.outputs[lk.src[1]]


def _targets(
    lk: Link, instances: dict[str, Instance], problems: list[Problem]
) -> list[tuple[str, str]]:
    inst = instances.get(lk.dst[0])
    if inst is None:
        return [(lk.dst[0], lk.dst[1])]
    if lk.dst[1] not in inst.inputs:
        ins = ", ".join(inst.inputs) or "none"
        problems.append(
            Problem(
                f"the recipe has no input {lk.dst[1]!r} (inputs: {ins}); reconnect to one it has",
                inst.id,
                TYPE,
                "link",
            )
        )
        return []
    return inst.inputs[lk.dst[1]]


def _instance(
    node: NodeModel,
    registry: Registry,
    base_dir: Path,
    embedded: dict[str, dict[str, Any]],
    chain: tuple[str, ...],
    problems: list[Problem],
) -> tuple[Expanded, Instance] | None:
    def fail(msg: str, where: str = "param 'source'") -> None:
        problems.append(Problem(msg, node.id, TYPE, where))

    if SEP in node.id:
        fail(f"a recipe node's id may not contain {SEP!r}; rename it", "id")
        return None
    try:
        p = RecipeParams.model_validate(node.params)
    except ValidationError as e:
        err = e.errors()[0]
        fail(f"{err['msg']}", f"param '{'.'.join(str(x) for x in err['loc'])}'")
        return None
    if len(chain) >= MAX_DEPTH:
        fail(f"recipes nested more than {MAX_DEPTH} deep; flatten some of them")
        return None
    try:
        loaded = load(p.source, base_dir=base_dir, embedded=embedded, pin=p.pin)
    except ValueError as e:
        fail(str(e))
        return None
    if loaded.ident in chain:
        path = " -> ".join([*chain[chain.index(loaded.ident) :], loaded.ident])
        fail(f"the recipe reaches itself: {path}; remove the inner use of it")
        return None
    inner = loaded.wf.clone()
    iface = inner.interface
    assert iface is not None  # load() refuses a workflow without one
    inner_ids = {n.id for n in inner.nodes}
    for what, pairs in [("input " + i.name, i.to) for i in iface.inputs] + [
        ("output " + o.name, [o.src]) for o in iface.outputs
    ]:
        missing = [n for n, _ in pairs if n not in inner_ids]
        if missing:
            fail(f"the recipe's {what} names node {missing[0]!r}, which it lacks")
            return None
    if loaded.folder != _TOP.get():  # its files from its own folder, not the run's
        _rebase_files(inner, registry, loaded.folder)
    # the instance's values after: a file it names is relative to its own workflow
    for name, value in p.values.items():
        exposed = next((x for x in iface.params if x.name == name), None)
        if exposed is None:
            names = ", ".join(x.name for x in iface.params) or "none"
            fail(
                f"the recipe exposes no param {name!r} (exposed: {names})", f"param 'values.{name}'"
            )
            return None
        target = inner.node(exposed.node)
        if target is None:
            fail(
                f"exposed param {name!r} names node {exposed.node!r}, which the recipe lacks",
                f"param 'values.{name}'",
            )
            return None
        target.params[exposed.param] = copy.deepcopy(value)
    budget = _BUDGET.get()
    budget[0] -= len(inner.nodes)
    if budget[0] < 0:  # nested fan-out: ten recipes of ten recipes of ten...
        fail(
            f"the recipes expand into more than {limit('recipe_nodes'):,} nodes; nest fewer of them"
        )
        return None
    inner_problems: list[Problem] = []
    sub = _expand(
        inner,
        registry,
        loaded.folder,
        {**embedded, **inner.recipes},
        (*chain, loaded.ident),
        inner_problems,
    )
    prefix = node.id + SEP
    for ip in inner_problems:  # named by their whole path: shot/inner/gen
        node_id = prefix + ip.node if ip.node is not None else node.id
        problems.append(Problem(ip.message, node_id, ip.node_type, ip.where))

    def flat(pair: tuple[str, str]) -> tuple[str, str]:
        return prefix + pair[0], pair[1]

    info = Instance(node.id, p.source, loaded.digest, loaded.current)
    for i in iface.inputs:
        targets: list[tuple[str, str]] = []
        for n, port in i.to:
            nested = sub.instances.get(n)
            targets += (
                [flat(t) for t in nested.inputs.get(port, [])] if nested else [flat((n, port))]
            )
        info.inputs[i.name] = targets
    for o in iface.outputs:
        nested = sub.instances.get(o.src[0])
        src = nested.outputs.get(o.src[1]) if nested else o.src
        if src is None:
            fail(f"the recipe's output {o.name!r} comes from a recipe output it lacks")
            return None
        info.outputs[o.name] = flat(src)
    renamed = [
        n.model_copy(update={"id": prefix + n.id, "mode": node.mode or n.mode})
        for n in sub.workflow.nodes
    ]
    info.nodes = [n.id for n in renamed]
    inner_links = [
        Link.model_validate({"from": list(flat(lk.src)), "to": list(flat(lk.dst))})
        for lk in sub.workflow.links
    ]
    nested_instances = {
        prefix + k: Instance(
            prefix + k,
            v.source,
            v.digest,
            v.current,
            {n: [flat(t) for t in ts] for n, ts in v.inputs.items()},
            {n: flat(s) for n, s in v.outputs.items()},
            [prefix + x for x in v.nodes],
        )
        for k, v in sub.instances.items()
    }
    return Expanded(Workflow(nodes=renamed, links=inner_links), nested_instances), info


def absolutized(
    wf: Workflow, registry: Registry, folder: Path, host: dict[str, dict[str, Any]] | None = None
) -> Workflow:
    """A copy that means the same wherever it is saved: relative file params and nested recipe
    files made absolute (resolved from ``folder``), and the embedded recipes it uses from its
    host (``host``) carried inside it. What a recipe needs before it moves (library, a file)."""
    out = wf.clone()
    _rebase_files(out, registry, folder)
    wanted = [n for n in out.nodes if n.type == TYPE]
    for n in wanted:
        source = str(n.params.get("source", ""))
        if (
            source
            and not source.startswith((LIBRARY, EMBEDDED))
            and not Path(source).expanduser().is_absolute()
        ):
            n.params = {**n.params, "source": str((folder / source).resolve())}
    pending = [
        str(n.params.get("source", ""))[len(EMBEDDED) :]
        for n in wanted
        if str(n.params.get("source", "")).startswith(EMBEDDED)
    ]
    seen: set[str] = set()
    while pending:  # the host's embedded recipes it uses, and those they use
        name = pending.pop()
        if name in seen or name in out.recipes or not host or name not in host:
            continue
        seen.add(name)
        out.recipes[name] = copy.deepcopy(host[name])
        for n in host[name].get("nodes", []):
            src = str((n.get("params") or {}).get("source", "")) if isinstance(n, dict) else ""
            if n.get("type") == TYPE and src.startswith(EMBEDDED):
                pending.append(src[len(EMBEDDED) :])
    return out


def _rebase_files(inner: Workflow, registry: Registry, folder: Path) -> None:
    """File params inside a recipe are relative to the recipe's folder, not the workflow's."""
    for n in inner.nodes:
        nt = registry.get(n.type)
        if nt is None:
            continue
        for name, f in nt.params.model_fields.items():
            extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
            value = n.params.get(name)
            if extra.get("widget") == "file" and isinstance(value, str) and value:
                p = Path(value).expanduser()
                if not p.is_absolute():
                    n.params[name] = str(folder / p)


# -- what an instance looks like from outside ------------------------------------------------


@dataclass
class Port:
    name: str
    types: tuple[PortType, ...]
    required: bool = False


@dataclass
class Ports:
    inputs: list[Port]
    outputs: list[Port]
    params: list[tuple[str, str, str, Any]]  # (name, inner node, inner param, recipe's value)
    digest: str
    current: str


def ports(
    node: NodeModel,
    registry: Registry,
    base_dir: Path,
    embedded: dict[str, dict[str, Any]],
    _chain: tuple[str, ...] = (),
    _memo: dict[tuple[str, str], Ports] | None = None,
) -> Ports:
    """The instance's ports typed from the inner ports, and its exposed params. Raises
    ValueError when the recipe cannot be read, nests too deep or reaches itself."""
    p = RecipeParams.model_validate(node.params)
    loaded = load(p.source, base_dir=base_dir, embedded=embedded, pin=p.pin)
    if loaded.ident in _chain:
        raise ValueError(f"the recipe reaches itself ({loaded.ident})")
    if len(_chain) >= MAX_DEPTH:
        raise ValueError(f"recipes nested more than {MAX_DEPTH} deep")
    memo = {} if _memo is None else _memo  # each nested recipe asked once, however many ports
    key = (loaded.ident, loaded.digest)
    if key in memo:
        return memo[key]
    wf = loaded.wf
    iface = wf.interface
    assert iface is not None
    inner = {n.id: n for n in wf.nodes}

    def port_types(node_id: str, port: str, out: bool) -> tuple[tuple[PortType, ...], bool]:
        n = inner.get(node_id)
        if n is None:
            return (), False
        if n.type == TYPE:  # a nested recipe: ask it
            try:
                sub = ports(
                    n,
                    registry,
                    loaded.folder,
                    {**embedded, **wf.recipes},
                    (*_chain, loaded.ident),
                    memo,
                )
            except ValueError:
                return (), False
            found = next((x for x in (sub.outputs if out else sub.inputs) if x.name == port), None)
            return (found.types, found.required) if found else ((), False)
        nt = registry.get(n.type)
        spec = (nt.output(port) if out else nt.input(port)) if nt else None
        if spec is None:
            return (), False
        return tuple(spec.types), bool(getattr(spec, "required", False))

    ins = []
    for i in iface.inputs:
        types: tuple[PortType, ...] = ()
        required = False
        for n, port in i.to:
            t, req = port_types(n, port, False)
            types = types or t
            required = required or req
        try:
            declared: tuple[PortType, ...] = (PortType(i.type),)
        except ValueError:
            declared = types
        ins.append(Port(i.name, declared or types, required))
    outs = [Port(o.name, port_types(o.src[0], o.src[1], True)[0]) for o in iface.outputs]
    params = [
        (x.name, x.node, x.param, inner[x.node].params.get(x.param) if x.node in inner else None)
        for x in iface.params
    ]
    memo[key] = Ports(ins, outs, params, loaded.digest, loaded.current)
    return memo[key]


# -- differences between two versions --------------------------------------------------------


def diff(old: Workflow, new: Workflow) -> list[str]:
    """What changed from ``old`` to ``new``, one line each: nodes, links, params, interface."""
    lines: list[str] = []
    a, b = old.node_map(), new.node_map()
    for nid in sorted(b.keys() - a.keys()):
        lines.append(f"added node {nid} ({b[nid].type})")
    for nid in sorted(a.keys() - b.keys()):
        lines.append(f"removed node {nid} ({a[nid].type})")
    for nid in sorted(a.keys() & b.keys()):
        if a[nid].type != b[nid].type:
            lines.append(f"node {nid}: type {a[nid].type} -> {b[nid].type}")
        pa, pb = a[nid].params, b[nid].params
        for k in sorted(pa.keys() | pb.keys()):
            if pa.get(k) != pb.get(k):
                lines.append(f"{nid}.{k}: {_short(pa.get(k))} -> {_short(pb.get(k))}")
        if a[nid].mode != b[nid].mode:
            lines.append(f"node {nid}: {a[nid].mode or 'on'} -> {b[nid].mode or 'on'}")
    la, lb = {lk.key for lk in old.links}, {lk.key for lk in new.links}
    for lk in sorted(lb - la):
        lines.append(f"added link {lk[0]}.{lk[1]} -> {lk[2]}.{lk[3]}")
    for lk in sorted(la - lb):
        lines.append(f"removed link {lk[0]}.{lk[1]} -> {lk[2]}.{lk[3]}")
    ia = old.interface.model_dump(by_alias=True) if old.interface else {}
    ib = new.interface.model_dump(by_alias=True) if new.interface else {}
    for part in ("inputs", "outputs", "params"):
        na = {x["name"]: x for x in ia.get(part, [])}
        nb = {x["name"]: x for x in ib.get(part, [])}
        for name in sorted(nb.keys() - na.keys()):
            lines.append(f"exposed {part[:-1]} {name} added")
        for name in sorted(na.keys() - nb.keys()):
            lines.append(f"exposed {part[:-1]} {name} removed")
        for name in sorted(na.keys() & nb.keys()):
            if na[name] != nb[name]:
                lines.append(f"exposed {part[:-1]} {name} changed")
    return lines


def _short(v: Any) -> str:
    text = "-" if v is None else json.dumps(v, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


# -- cutting a recipe out of a workflow ------------------------------------------------------


def make(
    wf: Workflow, ids: set[str], registry: Registry, *, name: str
) -> tuple[Workflow, Workflow]:
    """Cut the nodes ``ids`` out of ``wf`` as a recipe: links crossing the selection become the
    interface (one input per outside source, one output per inner port read outside). Returns
    (the recipe, the workflow with one ``recipe`` node in their place, already connected, using
    the recipe embedded under ``name``)."""
    missing = sorted(ids - {n.id for n in wf.nodes})
    if missing:
        raise ValueError(f"no node {missing[0]!r} in the workflow")
    if not ids:
        raise ValueError("choose at least one node")
    inside = [n for n in wf.nodes if n.id in ids]
    links_in = [lk for lk in wf.links if lk.dst[0] in ids and lk.src[0] not in ids]
    links_out = [lk for lk in wf.links if lk.src[0] in ids and lk.dst[0] not in ids]
    inner_links = [lk for lk in wf.links if lk.src[0] in ids and lk.dst[0] in ids]

    inputs: dict[tuple[str, str], dict[str, Any]] = {}
    used: set[str] = set()
    for lk in links_in:
        entry = inputs.get(lk.src)
        if entry is None:
            dst = wf.node(lk.dst[0])
            nt = registry.get(dst.type) if dst else None
            spec = nt.input(lk.dst[1]) if nt else None
            entry = {
                "name": _unique(lk.dst[1], used),
                "type": spec.types[0].value if spec else "ANY",
                "to": [],
            }
            inputs[lk.src] = entry
        entry["to"].append([lk.dst[0], lk.dst[1]])
    outputs: dict[tuple[str, str], str] = {}
    out_used: set[str] = set()
    for lk in links_out:
        if lk.src not in outputs:
            outputs[lk.src] = _unique(lk.src[1], out_used)
    if not outputs:  # the selection ends in itself (an export): what its ends make is shown
        feeding = {lk.src[0] for lk in inner_links}
        for n in inside:
            nt = registry.get(n.type)
            if n.id not in feeding and nt is not None:
                for o in nt.outputs:
                    outputs[(n.id, o.name)] = _unique(o.name, out_used)
    doc = {
        "schema": "reelgraph/workflow",
        "version": 1,
        "name": name,
        "nodes": [n.model_dump(mode="json", exclude_none=True) for n in inside],
        "links": [lk.model_dump(mode="json", by_alias=True) for lk in inner_links],
        "interface": {
            "inputs": list(inputs.values()),
            "outputs": [{"name": v, "from": list(k)} for k, v in outputs.items()],
            "params": [],
        },
    }
    recipe = Workflow.model_validate(doc)
    # where the work ends (the rightmost node): the instance sits in the flow, not on its inputs
    last = max(inside, key=lambda n: float(n.ui.get("pos", [0, 0])[0]))
    pos = [float(v) for v in last.ui.get("pos", [0, 0])[:2]]
    taken = {n.id for n in wf.nodes if n.id not in ids}
    inst_id = _unique(_slug(name), taken)
    instance = NodeModel(
        id=inst_id,
        type=TYPE,
        params={"source": EMBEDDED + name, "values": {}, "pin": None},
        ui={"pos": pos},
    )
    rest = wf.clone()
    rest.nodes = [n for n in rest.nodes if n.id not in ids]
    index = min(i for i, n in enumerate(wf.nodes) if n.id in ids)
    rest.nodes.insert(min(index, len(rest.nodes)), instance)
    rest.links = [lk for lk in rest.links if lk.src[0] not in ids and lk.dst[0] not in ids]
    for src, entry in inputs.items():
        rest.links.append(Link.model_validate({"from": list(src), "to": [inst_id, entry["name"]]}))
    for lk in links_out:
        rest.links.append(
            Link.model_validate({"from": [inst_id, outputs[lk.src]], "to": list(lk.dst)})
        )
    rest.recipes = {**rest.recipes, name: recipe.to_json_dict()}
    return recipe, rest


def _slug(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "recipe"


def _unique(base: str, used: set[str]) -> str:
    name, n = base, 2
    while name in used:
        name, n = f"{base}_{n}", n + 1
    used.add(name)
    return name


def expose(recipe: Workflow, node_id: str, param: str, name: str | None = None) -> Workflow:
    """The recipe with ``node_id.param`` exposed (under ``name``, default the param's name)."""
    if recipe.node(node_id) is None:
        raise ValueError(f"the recipe has no node {node_id!r}")
    out = recipe.clone()
    assert out.interface is not None
    taken = {x.name for x in out.interface.params}
    if any(x.node == node_id and x.param == param for x in out.interface.params):
        return out
    from app.core.workflow import InterfaceParam

    out.interface.params.append(
        InterfaceParam(name=_unique(name or param, taken), node=node_id, param=param)
    )
    return out


# -- embedding and linking -------------------------------------------------------------------


def embed(wf: Workflow, node_id: str, base_dir: Path, registry: Registry | None = None) -> Workflow:
    """The workflow with instance ``node_id``'s recipe copied into its ``recipes`` (the version
    it uses now) and the instance pointing there: the file travels as one."""
    node = wf.node(node_id)
    if node is None or node.type != TYPE:
        raise ValueError(f"{node_id!r} is not a recipe node")
    p = RecipeParams.model_validate(node.params)
    if p.source.startswith(EMBEDDED):
        return wf
    loaded = load(p.source, base_dir=base_dir, embedded=wf.recipes, pin=p.pin)
    stem = Path(p.source.removeprefix(LIBRARY)).stem
    name = (
        stem
        if wf.recipes.get(stem) in (None, loaded.wf.to_json_dict())
        else _unique(stem, set(wf.recipes))
    )
    out = wf.clone()
    out.recipes[name] = (
        absolutized(loaded.wf, registry, loaded.folder, wf.recipes).to_json_dict()
        if registry is not None and loaded.folder != base_dir
        else loaded.wf.to_json_dict()
    )
    inst = out.node(node_id)
    assert inst is not None
    inst.params = {**inst.params, "source": EMBEDDED + name, "pin": None}
    return out


def link(
    wf: Workflow, node_id: str, path: Path, base_dir: Path, registry: Registry | None = None
) -> Workflow:
    """The workflow with instance ``node_id``'s embedded recipe written to ``path`` and the
    instance linked to that file (relative to the workflow when it can be)."""
    import os

    from app.core.fileio import save_workflow

    node = wf.node(node_id)
    if node is None or node.type != TYPE:
        raise ValueError(f"{node_id!r} is not a recipe node")
    p = RecipeParams.model_validate(node.params)
    loaded = load(p.source, base_dir=base_dir, embedded=wf.recipes, pin=p.pin)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_workflow(
        absolutized(loaded.wf, registry, loaded.folder, wf.recipes) if registry else loaded.wf, path
    )
    out = wf.clone()
    inst = out.node(node_id)
    assert inst is not None
    try:
        source = os.path.relpath(path.resolve(), base_dir.resolve())
    except ValueError:  # another drive
        source = str(path.resolve())
    inst.params = {**inst.params, "source": source, "pin": None}
    name = p.source.removeprefix(EMBEDDED)
    still_used = any(
        n.type == TYPE and n.params.get("source") == EMBEDDED + name for n in out.nodes
    )
    if p.source.startswith(EMBEDDED) and not still_used:
        out.recipes.pop(name, None)
    return out


# -- the node type of one instance -------------------------------------------------------------

_TYPES: dict[tuple[str, ...], NodeType] = {}


def instance_type(
    node: NodeModel, registry: Registry, base_dir: Path, embedded: dict[str, dict[str, Any]]
) -> NodeType | None:
    """The ``recipe`` node type with this instance's ports (typed from the inner ports), for
    the checks that look at one link or one port: None when the recipe cannot be read."""
    base = registry.get(TYPE)
    if base is None:
        return None
    try:
        p = RecipeParams.model_validate(node.params)
    except ValidationError:
        return None
    source = p.source.strip()
    if source.startswith(EMBEDDED):
        stamp = json.dumps(embedded.get(source[len(EMBEDDED) :]), sort_keys=True)
    else:
        path = (
            library_path(source[len(LIBRARY) :])
            if source.startswith(LIBRARY)
            else (base_dir / Path(source).expanduser())
        )
        try:
            st = path.stat() if path is not None else None
        except OSError:
            st = None
        stamp = f"{path}:{st.st_mtime_ns}:{st.st_size}" if st else f"{path}:missing"
    key = (source, p.pin or "", str(base_dir), stamp)
    found = _TYPES.get(key)
    if found is not None:
        return found
    try:
        info = ports(node, registry, base_dir, embedded)
    except (ValueError, WorkflowError, RecursionError, OSError):
        return None
    nt = dataclasses.replace(
        base,
        inputs=tuple(
            Input(i.name, i.types or tuple(PortType), required=i.required) for i in info.inputs
        ),
        outputs=tuple(Output(o.name, o.types or tuple(PortType)) for o in info.outputs),
    )
    if len(_TYPES) > 256:
        _TYPES.clear()
    _TYPES[key] = nt
    return nt


def inline(
    wf: Workflow, node_id: str, registry: Registry, base_dir: Path
) -> tuple[Workflow, list[str]]:
    """The workflow with instance ``node_id`` turned back into its nodes (its values applied,
    ids made unique, laid out around where the instance was, links rewired); nested recipes
    stay recipe nodes. Returns (the workflow, the new node ids)."""
    node = wf.node(node_id)
    if node is None or node.type != TYPE:
        raise ValueError(f"{node_id!r} is not a recipe node")
    p = RecipeParams.model_validate(node.params)
    loaded = load(p.source, base_dir=base_dir, embedded=wf.recipes, pin=p.pin)
    inner = loaded.wf.clone()
    iface = inner.interface
    assert iface is not None
    if loaded.folder != base_dir:
        _rebase_files(inner, registry, loaded.folder)
    for name, value in p.values.items():
        exposed = next((x for x in iface.params if x.name == name), None)
        target = inner.node(exposed.node) if exposed else None
        if exposed is not None and target is not None:
            target.params[exposed.param] = copy.deepcopy(value)
    taken = {n.id for n in wf.nodes if n.id != node_id}
    renamed: dict[str, str] = {}
    for n in inner.nodes:
        renamed[n.id] = _unique(f"{node_id}_{n.id}", taken)
    xs = [float(n.ui.get("pos", [0, 0])[0]) for n in inner.nodes] or [0.0]
    ys = [float(n.ui.get("pos", [0, 0])[1]) for n in inner.nodes] or [0.0]
    ox, oy = node.ui.get("pos", [0, 0])
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    new_nodes = []
    for n in inner.nodes:
        x, y = n.ui.get("pos", [0, 0])
        ui = {**n.ui, "pos": [float(ox) + float(x) - cx, float(oy) + float(y) - cy]}
        new_nodes.append(n.model_copy(update={"id": renamed[n.id], "ui": ui}))
    out = wf.clone()
    index = next(i for i, n in enumerate(out.nodes) if n.id == node_id)
    out.nodes[index : index + 1] = new_nodes
    links = [lk for lk in out.links if node_id not in (lk.src[0], lk.dst[0])]
    links += [
        Link.model_validate(
            {"from": [renamed[lk.src[0]], lk.src[1]], "to": [renamed[lk.dst[0]], lk.dst[1]]}
        )
        for lk in inner.links
    ]
    for lk in wf.links:
        if lk.dst[0] == node_id:
            i = next((x for x in iface.inputs if x.name == lk.dst[1]), None)
            for inner_id, port in i.to if i else []:
                links.append(
                    Link.model_validate({"from": list(lk.src), "to": [renamed[inner_id], port]})
                )
        elif lk.src[0] == node_id:
            o = next((x for x in iface.outputs if x.name == lk.src[1]), None)
            if o is not None:
                links.append(
                    Link.model_validate({"from": [renamed[o.src[0]], o.src[1]], "to": list(lk.dst)})
                )
    out.links = links
    out.recipes = {
        **out.recipes,
        **{k: v for k, v in inner.recipes.items() if k not in out.recipes},
    }
    return out, [renamed[n.id] for n in inner.nodes]
