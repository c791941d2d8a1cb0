"""The `reelgraph` command: run, validate, nodes, cache, and the editor when given no command."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from app import __version__
from app.cli_progress import shown
from app.core.redact import RedactingFormatter

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_CANCELLED = 0, 1, 2, 130
GRACE_SECONDS = 10.0  # after a cancel, how long a run may take to stop before the process exits


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="reelgraph", description="Node-graph editor and runner for AI video shots."
    )
    p.add_argument("--version", action="version", version=f"reelgraph {__version__}")
    sub = p.add_subparsers(dest="command")

    r = sub.add_parser("run", help="run a workflow headless")
    r.add_argument("workflow", help="workflow JSON file")
    r.add_argument(
        "--out", help="output folder for exported files (default: renders/ beside the workflow)"
    )
    r.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NODE.PARAM=VALUE",
        help="override a param; VALUE is parsed as JSON when it parses, else taken as a string; "
        "a recipe's exposed value is INSTANCE.values.NAME=VALUE",
    )
    r.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="NODE",
        help="run only what this node needs (repeatable; a recipe instance makes its outputs)",
    )
    r.add_argument(
        "--no-cache",
        action="store_true",
        help="ignore cached results (new results are still stored)",
    )
    r.add_argument("--cache-dir", help="cache folder (default: the user cache dir)")
    r.add_argument(
        "--events",
        choices=["jsonl"],
        help="print one JSON object per event on stdout, nothing else",
    )
    r.add_argument(
        "--dry-run",
        action="store_true",
        help="print what each node would cost (cached nodes cost nothing) and the total; run nothing",
    )

    v = sub.add_parser("validate", help="check a workflow without running it")
    v.add_argument("workflow")

    n = sub.add_parser("nodes", help="list node types with their ports and params")
    n.add_argument("--json", action="store_true", help="the full catalog with params JSON schemas")
    n.add_argument(
        "--markdown", action="store_true", help="the node reference as Markdown (docs/nodes.md)"
    )

    c = sub.add_parser("cache", help="inspect or clear the result cache")
    c.add_argument("action", choices=["info", "clear"])
    c.add_argument("--cache-dir", help="cache folder (default: the user cache dir)")

    k = sub.add_parser("keys", help="API keys for cloud backends (kept in the system keyring)")
    k.add_argument("action", choices=["set", "list", "remove"])
    k.add_argument(
        "backend", nargs="?", help="a backend that takes a key (see `reelgraph providers`)"
    )

    j = sub.add_parser(
        "jobs", help="the journal of paid remote jobs: list them, or forget one to submit it anew"
    )
    j.add_argument("action", choices=["list", "forget"])
    j.add_argument(
        "job", nargs="?", help="the job key to forget (from `jobs list` or an error message)"
    )
    j.add_argument("--cache-dir", help="cache folder (default: the user cache dir)")

    pr = sub.add_parser("providers", help="backends: base URL, models, and whether a key is set")
    pr.add_argument("--json", action="store_true")

    mo = sub.add_parser(
        "models", help="the model catalog: each backend's models, modes, prices and what they take"
    )
    mo.add_argument("--backend", help="only this backend")
    mo.add_argument(
        "--json", action="store_true", help="the catalog as JSON (with sources and dates)"
    )
    mo.add_argument(
        "--markdown", action="store_true", help="the capability table of docs/backends.md"
    )
    mo.add_argument(
        "--update", metavar="FILE", help=argparse.SUPPRESS
    )  # `make docs`: docs/backends.md's table

    cu = sub.add_parser(
        "comfyui", help="ComfyUI templates: add an Export (API) workflow, list them, show one"
    )
    cu.add_argument("action", choices=["add", "list", "show"])
    cu.add_argument(
        "file",
        nargs="?",
        help="add: the workflow exported with Export (API); show: a template name",
    )
    cu.add_argument("--name", help="add: the template's name (default: the file's name)")
    cu.add_argument(
        "--offline", action="store_true", help="add: do not ask the server's /object_info"
    )

    sq = sub.add_parser("sequence", help="a film from a screenplay: import a Fountain script")
    sq.add_argument("action", choices=["import"])
    sq.add_argument("script", help="the screenplay, in Fountain (.fountain)")
    sq.add_argument(
        "-o", "--output", required=True, metavar="FILM.json", help="the sequence file to write"
    )
    sq.add_argument(
        "--recipe",
        default="library:push_in_shot",
        help="the recipe each shot is made from (default library:push_in_shot; speaking "
        "scenes use library:dialogue_shot)",
    )
    sq.add_argument(
        "--per",
        choices=["scene", "action"],
        default="scene",
        help="one shot per scene (default) or per action paragraph",
    )
    sq.add_argument("--size", default="1280x720", metavar="WxH", help="the shots' frame size")
    sq.add_argument(
        "--force",
        action="store_true",
        help="import over an earlier import (shot files rewritten; recorded voices and stills kept)",
    )
    rn = sub.add_parser("render", help="render every shot of a sequence and write the cut")
    rn.add_argument("film", help="the sequence file (reelgraph/sequence)")
    rn.add_argument("--out", help="output folder (default: renders/ beside the sequence)")
    rn.add_argument(
        "--ray",
        metavar="auto|ADDRESS",
        help="run local-engine shots on a Ray cluster: auto starts (or joins) one here",
    )
    rn.add_argument("--cache-dir", help="cache folder (on a cluster: a path every machine mounts)")
    rn.add_argument(
        "--dry-run", action="store_true", help="say what each shot would cost and run nothing"
    )

    ex = sub.add_parser(
        "examples", help="the example workflows shipped with Reelgraph; --copy DIR to try them"
    )
    ex.add_argument(
        "--copy", metavar="DIR", help="copy the examples and their media into DIR (a new folder)"
    )

    rc = sub.add_parser(
        "recipe", help="recipes (reusable graphs as nodes): list the library, show one, make one"
    )
    rc.add_argument("action", choices=["list", "show", "make"])
    rc.add_argument(
        "target", nargs="?", help="show: a library name or a recipe file; make: the workflow"
    )
    rc.add_argument("--nodes", help="make: the node ids to cut out, comma-separated")
    rc.add_argument("--name", help="make: the recipe's name (its file name in the library)")
    rc.add_argument(
        "--out", help="make: write the recipe to this file instead of your recipe library"
    )
    rc.add_argument(
        "--replace",
        action="store_true",
        help="make: also rewrite the workflow with one recipe node in place of those nodes",
    )
    rc.add_argument("--force", action="store_true", help="make: overwrite a recipe of that name")
    rc.add_argument(
        "--expose",
        action="append",
        metavar="NODE.PARAM[=NAME]",
        help="make: show this setting on the recipe's instances (repeatable)",
    )

    e = sub.add_parser("edit", help="open the editor")
    e.add_argument("workflow", nargs="?")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in (None, "edit"):
        from app.launch import launch_editor

        return launch_editor(getattr(args, "workflow", None))
    _setup_logging()
    try:
        return _dispatch(args)
    except (FileExistsError, NotADirectoryError, PermissionError, IsADirectoryError) as e:
        from app.core.dirs import folder_problem

        _err(f"reelgraph: {folder_problem(e)}")  # a folder of ours that cannot be used
        return EXIT_INVALID
    except BrokenPipeError:  # `reelgraph models | head`: the reader left; not an error
        os.dup2(
            os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno()
        )  # nothing more to flush at exit
        return EXIT_OK


def _dispatch(args: argparse.Namespace) -> int:
    if args.command in ("run", "validate"):
        from app.providers.catalog import user_warning

        if user_warning():  # the user's models.json: say why a model of theirs is missing
            _err("warning: " + user_warning())
    if args.command == "run":
        return cmd_run(args)
    if args.command == "validate":
        return cmd_validate(args)
    if args.command == "nodes":
        return cmd_nodes(args)
    if args.command == "cache":
        return cmd_cache(args)
    if args.command == "keys":
        return cmd_keys(args)
    if args.command == "providers":
        return cmd_providers(args)
    if args.command == "models":
        return cmd_models(args)
    if args.command == "jobs":
        return cmd_jobs(args)
    if args.command == "comfyui":
        return cmd_comfyui(args)
    if args.command == "recipe":
        return cmd_recipe(args)
    if args.command == "examples":
        return cmd_examples(args)
    if args.command == "sequence":
        return cmd_sequence(args)
    if args.command == "render":
        return cmd_render(args)
    return EXIT_INVALID


def _setup_logging() -> None:
    """Tracebacks go to a log file, never to the user's terminal."""
    from app.core.dirs import log_dir as user_log_dir

    log_dir = user_log_dir()
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(log_dir / "reelgraph.log", encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("reelgraph")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False


def _err(msg: str) -> None:
    print(shown(msg), file=sys.stderr)


def _load(path: str):
    from app.core.fileio import load_workflow

    return load_workflow(path)


def _apply_sets(workflow, sets: list[str], registry) -> None:
    from app.core.errors import Problem, WorkflowError

    problems = []
    for item in sets:
        target, sep, raw = item.partition("=")
        node_id, dot, param = target.partition(".")
        if not sep or not dot or not node_id or not param:
            problems.append(Problem(f"--set {item!r}: expected NODE.PARAM=VALUE"))
            continue
        node = workflow.node(node_id)
        if node is None:
            problems.append(Problem(f"--set {item!r}: no node with id {node_id!r}"))
            continue
        nt = registry.get(node.type)
        param, _, key = param.partition(".")  # NODE.values.NAME: one entry of a dict param
        if nt is not None and param not in nt.params.model_fields:
            names = ", ".join(nt.params.model_fields) or "none"
            problems.append(
                Problem(f"no param {param!r}; params are: {names}", node.id, node.type, "--set")
            )
            continue
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        if key:
            current = node.params.get(param)
            if current is None and nt is not None:
                current = nt.params.model_fields[param].get_default(call_default_factory=True)
            if not isinstance(current, dict):
                problems.append(
                    Problem(
                        f"param {param!r} is not an object; set it as NODE.{param}=VALUE",
                        node.id,
                        node.type,
                        "--set",
                    )
                )
                continue
            node.params[param] = {**current, key: value}
        else:
            node.params[param] = value
    if problems:
        raise WorkflowError(problems)


def cmd_run(args: argparse.Namespace) -> int:
    from app.cli_progress import make_sink
    from app.core.cache import Cache
    from app.core.context import CancelToken
    from app.core.errors import WorkflowError
    from app.core.executor import Executor
    from app.core.registry import default_registry

    token = CancelToken()

    def on_signal(
        signum, frame
    ):  # the first Ctrl-C/SIGTERM cancels cleanly, a second one quits at once
        if token.cancelled:
            os._exit(EXIT_CANCELLED)
        token.cancel()
        # whatever does not notice the cancel in time (a stuck read) does not keep the process alive
        timer = threading.Timer(GRACE_SECONDS, lambda: os._exit(EXIT_CANCELLED))
        timer.daemon = True  # a run that stops in time exits normally
        timer.start()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
    registry = default_registry()
    try:
        workflow = _load(args.workflow)
        _apply_sets(workflow, args.set, registry)
    except WorkflowError as e:
        _print_problems(e)
        return EXIT_INVALID
    wf_path = Path(args.workflow).resolve()
    base_dir = wf_path.parent
    out_dir = Path(args.out).resolve() if args.out else base_dir / "renders"
    if not args.out and not _in_clone() and base_dir.is_relative_to(_shipped_workflows()):
        out_dir = Path.cwd() / "renders"  # an example run where it is installed: never write there
    if out_dir.exists() and not out_dir.is_dir():
        _err(f"--out {args.out or out_dir}: that is a file; name a folder for the renders")
        return EXIT_INVALID
    try:
        cache = Cache(Path(args.cache_dir) if args.cache_dir else None)
    except OSError as e:
        _err(f"cache folder unusable: {e}; pass --cache-dir to choose another")
        return EXIT_INVALID
    executor = Executor(registry, cache)
    if args.dry_run:
        return _dry_run(executor, workflow, base_dir, args)
    sink, close = make_sink(args.events, workflow)
    try:
        result = executor.run(
            workflow,
            base_dir=base_dir,
            out_dir=out_dir,
            targets=args.target or None,
            use_cache=not args.no_cache,
            on_event=sink,
            cancel=token,
        )
    except WorkflowError as e:
        close(None)
        _print_problems(e)
        return EXIT_INVALID
    close(result)
    if result.status == "cancelled":
        return EXIT_CANCELLED
    return EXIT_OK if result.status == "ok" else EXIT_FAILED


def _dry_run(executor, workflow, base_dir: Path, args: argparse.Namespace) -> int:
    from app.core.errors import WorkflowError

    try:
        costs = executor.estimate(
            workflow, base_dir=base_dir, targets=args.target or None, use_cache=not args.no_cache
        )
    except WorkflowError as e:
        _print_problems(e)
        return EXIT_INVALID
    from app.core import recipes

    shown_wf = workflow
    if recipes.has_recipes(workflow):  # recipe instances cost what their inner nodes do
        shown_wf = recipes.expand(workflow, executor.registry, base_dir).workflow
    types = {n.id: n.type for n in shown_wf.nodes}
    cached = [n.id for n in shown_wf.nodes if n.id not in costs]
    for node_id, cost in costs.items():
        print(f"{shown(node_id):<24} {shown(types[node_id]):<16} would run   ${cost:,.2f}")
    for node_id in cached:
        print(f"{shown(node_id):<24} {shown(types[node_id]):<16} cached      $0.00")
    print(
        f"total estimate: ${sum(costs.values()):,.2f} ({len(costs)} node(s) would run; nothing was run)"
    )
    return EXIT_OK


def cmd_keys(args: argparse.Namespace) -> int:
    import getpass

    from app.providers import key_backends
    from app.providers.settings import (
        FALLBACK_WARNING,
        _fallback_file,
        key_parts,
        key_source,
        keyring_available,
        remove_key,
        set_key,
    )

    remote = key_backends()
    if args.action == "list":
        for b in remote:
            src = key_source(b)
            print(f"{b:<10} {'set (' + src + ')' if src else 'not set'}")
        if not keyring_available():
            print("note: " + FALLBACK_WARNING.format(path=_fallback_file()))
        return EXIT_OK
    if not args.backend or args.backend not in remote:
        _err(f"name a backend: {', '.join(remote)}")
        return EXIT_INVALID
    if args.action == "remove":
        print(f"{args.backend}: {'removed' if remove_key(args.backend) else 'no key was stored'}")
        return EXIT_OK
    parts = {}
    for part in key_parts(args.backend):
        value = (
            getpass.getpass(f"{args.backend} {part.replace('_', ' ')}: ")
            if sys.stdin.isatty()
            else sys.stdin.readline().strip()
        )
        parts[part] = value
    try:
        where = set_key(args.backend, parts)
    except ValueError as e:
        _err(str(e))
        return EXIT_INVALID
    print(f"{args.backend}: key stored in {where}")
    if not keyring_available():
        _err("warning: " + FALLBACK_WARNING.format(path=_fallback_file()))
    return EXIT_OK


def cmd_jobs(args: argparse.Namespace) -> int:
    from app.core.cache import default_cache_dir
    from app.providers.journal import Journal

    journal = Journal(Path(args.cache_dir or default_cache_dir()) / "jobs.sqlite")
    if args.action == "list":
        jobs = journal.all()
        for job in jobs:
            print(
                f"{job.state:<11} {job.backend:<10} {shown(job.provider_id or '-'):<28} {job.job_key}"
                + (f"  ({shown(job.detail[:80])})" if job.detail else "")
            )
        if not jobs:
            print("no remote jobs recorded")
        return EXIT_OK
    if not args.job:
        _err("name the job key to forget (see `reelgraph jobs list`)")
        return EXIT_INVALID
    if not journal.forget(args.job):
        _err(f"no job {args.job!r} in {journal.path}")
        return EXIT_INVALID
    print(f"forgot {args.job}: the next run submits it again (and pays for it)")
    return EXIT_OK


def cmd_providers(args: argparse.Namespace) -> int:
    from app.providers.catalog import catalog
    from app.providers.settings import base_url, key_source

    rows = []
    for name, b in catalog().backends.items():
        tasks = sorted({m.task for m in b.models.values()})
        rows.append(
            {
                "backend": name,
                "title": b.title,
                "tasks": tasks,
                "base_url": base_url(name, b.base_url) if b.base_url else "",
                "models": [m for m in b.models if m != "*"],
                "any_model": b.open_models,
                "key": "not needed" if not b.key else (key_source(name) or "not set"),
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    for r in rows:
        models = ", ".join(r["models"] + (["or any valid id"] if r["any_model"] else []))
        print(f"{r['backend']:<10} {'/'.join(r['tasks']):<22} key: {r['key']:<12} {r['base_url']}")
        print(f"{'':<10} models: {models or '(your templates)'}")
    print("`reelgraph models` lists each model's modes, prices and what they take.")
    print("OpenAI's Sora video API shut down on 24 September 2026: there is no Sora backend.")
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    from app.providers.catalog import (
        catalog,
        describe,
        markdown_table,
        shipped_catalog,
        user_file,
        user_warning,
    )

    cat = catalog()
    if args.backend and cat.backend(args.backend) is None:
        _err(f"no backend {args.backend!r}; backends: {', '.join(cat.backends)}")
        return EXIT_INVALID
    if user_warning():
        _err("warning: " + user_warning())
    chosen = {n: b for n, b in cat.backends.items() if not args.backend or n == args.backend}
    if (
        args.markdown or args.update
    ):  # docs/backends.md's table: the catalog as shipped, not the user's
        table = markdown_table(shipped_catalog())
        if not args.update:
            print(table, end="")
            return EXIT_OK
        path = Path(args.update)
        text = path.read_text(encoding="utf-8")
        begin, end = "<!-- model-table:begin (make docs) -->\n", "<!-- model-table:end -->"
        if begin not in text or end not in text:
            _err(f"{path} has no model-table markers")
            return EXIT_INVALID
        head, rest = text.split(begin, 1)
        path.write_text(head + begin + table + end + rest.split(end, 1)[1], encoding="utf-8")
        return EXIT_OK
    if args.json:
        print(
            json.dumps(
                {n: b.model_dump(mode="json", exclude_none=True) for n, b in chosen.items()},
                indent=2,
            )
        )
        return EXIT_OK
    for name, b in chosen.items():
        print(f"{name} ({b.title})" + (f": {b.notes}" if b.notes else ""))
        for mname, m in b.models.items():
            label = "any valid id" if mname == "*" else mname
            print(f"  {label} ({m.task}): {m.title}")
            for mode_name, md in m.modes.items():
                print(f"    {mode_name if m.named_modes else '':<8}{describe(md, m.task)}")
            if m.source:
                print(f"    checked {m.checked or '?'} against {m.source}")
    print(
        f"Add a model, or change a price, in {user_file()}: the shape of `reelgraph models --json` (a model's "
        "fields you give replace those of the same name)."
    )
    return EXIT_OK


def cmd_comfyui(args: argparse.Namespace) -> int:
    from app.core.errors import NodeError
    from app.providers import comfy_templates as ct
    from app.providers.comfy import server_object_info

    if args.action == "list":
        for name in ct.names():
            print(name)
        if not ct.names():
            print(
                f"no templates yet: `reelgraph comfyui add wf_api.json` (they go to {ct.user_folder()})"
            )
        return EXIT_OK
    if not args.file:
        _err("name the file to add (or the template to show)")
        return EXIT_INVALID
    try:
        if args.action == "show":
            t = ct.load(args.file, Path.cwd())
        else:
            path = Path(args.file)
            graph = ct.api_graph(ct.read_file(path))
            info = None if args.offline else server_object_info()
            mapping, frames, output, notes = ct.propose(graph, info)
            t = ct.Template(
                name=args.name or path.stem,
                workflow=graph,
                mapping=mapping,
                frames=frames,
                output=output,
                source=path.name,
                added=ct.added_today(),
            )
            for note in notes:
                print(f"note: {note}")
            if info is None and not args.offline:
                print(
                    "note: the ComfyUI server did not answer, so the mapping was found by node class only; it is "
                    "checked against the server before each run"
                )
            problems = ct.problems(t, info)
            if problems:
                for p in problems:
                    _err(f"template {t.name}: {p}")
                return EXIT_INVALID
            saved = ct.save(t)
            print(f"added ComfyUI template {t.name!r} ({saved})")
    except (ct.TemplateError, NodeError) as e:
        _err(str(e))
        return EXIT_INVALID
    for role in ct.ROLES:
        targets = t.mapping.get(role) or []
        where = ", ".join(
            f"node {n} ({t.workflow[n]['class_type']}).{i}" for n, i in targets if n in t.workflow
        )
        print(f"  {role:<10} {where or '- (not mapped)'}")
    if t.frames:
        print(
            f"  frames are {t.frames['step']}n+{t.frames['offset']} (at least {t.frames['min']}): durations are "
            "rounded to that and the result says so"
        )
    if t.output:
        print(f"  output     node {t.output} ({t.workflow[t.output]['class_type']})")
    missing = ct.missing(t, set(ct.ALWAYS_SET))
    if missing:
        print(
            f"  not mapped: {', '.join(missing)} — a generator using this template is refused until they are "
            f'(edit "mapping" in {t.path})'
        )
    print(f"Use it: set a generator's backend to comfyui and its model to {t.name!r}.")
    return EXIT_OK


def _print_problems(e) -> None:
    if e.path:
        _err(f"{e.path}:")
    for p in e.problems:
        _err(str(p))


def cmd_validate(args: argparse.Namespace) -> int:
    from app.core.errors import WorkflowError
    from app.core.registry import default_registry
    from app.core.validate import validate

    try:
        workflow = _load(args.workflow)
    except WorkflowError as e:
        _print_problems(e)
        return EXIT_INVALID
    registry = default_registry()
    # what a run checks: the nodes that lead to an export or compare (an unconnected node is skipped)
    from app.core.executor import default_targets
    from app.core.modes import effective
    from app.core.validate import needed_for

    runnable, _ = effective(workflow, registry)
    targets = default_targets(runnable, registry)
    only = needed_for(runnable, targets) if targets else None
    problems = validate(
        runnable if targets else workflow,
        registry,
        only=only,
        base_dir=Path(args.workflow).resolve().parent,
    )
    for p in problems:
        print(shown(p))
    if problems:
        return EXIT_INVALID
    print(f"{shown(args.workflow)}: ok ({len(workflow.nodes)} nodes, {len(workflow.links)} links)")
    return EXIT_OK


def cmd_nodes(args: argparse.Namespace) -> int:
    from app.core.registry import default_registry

    if args.markdown:
        from app.core.reference import markdown

        sys.stdout.write(markdown(default_registry()))
        return EXIT_OK
    catalog = [t.catalog_entry() for t in default_registry()]
    if args.json:
        print(json.dumps(catalog, indent=2))
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Reelgraph node types", show_lines=True)
    for col in ("type", "inputs", "outputs", "params"):
        table.add_column(col)
    for entry in catalog:
        ins = "\n".join(
            f"{p['name']}: {'/'.join(p['types'])}{'' if p['required'] else '?'}{'*' if p['multi'] else ''}"
            for p in entry["inputs"]
        )
        outs = "\n".join(f"{p['name']}: {'/'.join(p['types'])}" for p in entry["outputs"])
        props = entry["params_schema"].get("properties", {})
        params = "\n".join(f"{k} = {json.dumps(v.get('default'))}" for k, v in props.items())
        table.add_row(
            f"[bold]{entry['type']}[/] v{entry['version']}\n{entry['description']}",
            ins,
            outs,
            params,
        )
    Console().print(table)
    print("(? optional input, * takes several links)")
    return EXIT_OK


def cmd_cache(args: argparse.Namespace) -> int:
    from app.core.cache import Cache

    cache = Cache(Path(args.cache_dir) if args.cache_dir else None)
    if args.action == "info":
        info = cache.info()
        print(f"path:    {info['path']}")
        print(f"entries: {info['entries']}")
        print(f"size:    {_human(info['size_bytes'])} of {_human(info['limit_bytes'])} limit")
        return EXIT_OK
    removed = cache.clear()
    print(f"removed {removed} cached results from {cache.root}")
    return EXIT_OK


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return str(n)


def cmd_recipe(args: argparse.Namespace) -> int:
    from app.core import recipes
    from app.core.errors import WorkflowError
    from app.core.fileio import load_workflow, save_workflow
    from app.core.registry import default_registry

    registry = default_registry()

    def print(text: str = "") -> None:
        sys.stdout.write("\n".join(shown(line) for line in str(text).split("\n")) + "\n")

    if args.action == "list":
        items = recipes.library()
        if not items:
            print(f"no recipes yet (yours go to {recipes.user_library()})")
            return EXIT_OK
        for item in items:
            try:
                wf = load_workflow(item.path)
            except WorkflowError as e:
                print(f"{item.name:<20} (unreadable: {e.problems[0] if e.problems else e})")
                continue
            iface = wf.interface
            if iface is None:
                continue
            ins = ", ".join(f"{i.name}:{i.type}" for i in iface.inputs) or "-"
            outs = ", ".join(o.name for o in iface.outputs) or "-"
            where = "shipped" if item.shipped else "yours"
            print(f"{item.name:<20} {where:<8} {wf.name}")
            print(f"{'':<20} in: {ins}  out: {outs}")
            print(f"{'':<20} settings: {', '.join(p.name for p in iface.params) or '-'}")
        print(
            f"\nuse one: a node of type recipe with source library:NAME; yours: {recipes.user_library()}"
        )
        return EXIT_OK
    if args.action == "show":
        if not args.target:
            _err("recipe show: name a recipe (library name or file)")
            return EXIT_INVALID
        source = args.target
        if not (source.endswith(".json") or source.startswith(recipes.LIBRARY)):
            source = recipes.LIBRARY + source
        try:
            loaded = recipes.load(source, base_dir=Path.cwd(), embedded={})
        except ValueError as e:
            _err(str(e))
            return EXIT_INVALID
        wf = loaded.wf
        assert wf.interface is not None
        print(f"{wf.name}  (version {loaded.digest}; {loaded.ident})")
        print("nodes: " + ", ".join(f"{n.id} ({n.type})" for n in wf.nodes))
        for i in wf.interface.inputs:
            print(f"  in   {i.name:<12} {i.type:<8} -> " + ", ".join(f"{n}.{p}" for n, p in i.to))
        for o in wf.interface.outputs:
            print(f"  out  {o.name:<12} <- {o.src[0]}.{o.src[1]}")
        for p in wf.interface.params:
            node = wf.node(p.node)
            value = node.params.get(p.param) if node else None
            print(f"  set  {p.name:<12} = {json.dumps(value)}  ({p.node}.{p.param})")
        return EXIT_OK
    # make
    if not args.target or not args.nodes or not args.name:
        _err("recipe make: give the workflow, --nodes a,b,c and --name NAME")
        return EXIT_INVALID
    wf_path = Path(args.target)
    try:
        workflow = load_workflow(wf_path)
    except WorkflowError as e:
        _print_problems(e)
        return EXIT_INVALID
    name = args.name.strip()
    if (
        not name
        or any(c in name for c in "/\\")
        or name.startswith(".")
        or len(name.encode()) > 100
        or any(not c.isprintable() for c in name)
    ):
        _err(f"recipe make: {args.name!r} cannot be a recipe name (no slashes, not hidden)")
        return EXIT_INVALID
    ids = {x.strip() for x in args.nodes.split(",") if x.strip()}
    try:
        recipe, rest = recipes.make(workflow, ids, registry, name=name)
    except ValueError as e:
        _err(f"recipe make: {e}")
        return EXIT_INVALID
    dest = Path(args.out) if args.out else recipes.user_library() / f"{name}.json"
    if dest.resolve() == wf_path.resolve():
        _err("recipe make: --out is the workflow itself; write the recipe to another file")
        return EXIT_INVALID
    if dest.exists() and not dest.is_file():
        _err(f"recipe make: {dest} is not a regular file; choose a file for the recipe")
        return EXIT_INVALID
    if dest.exists() and not args.force:
        _err(f"recipe make: {dest} exists; choose another --name or add --force")
        return EXIT_INVALID
    for item in args.expose or []:  # node.param[=name]
        target, _, exposed_as = item.partition("=")
        node_id, _, param = target.partition(".")
        if not param or recipe.node(node_id) is None:
            _err(
                f"recipe make: --expose {item!r}: expected NODE.PARAM[=NAME] with NODE one of the cut nodes"
            )
            return EXIT_INVALID
        recipe = recipes.expose(recipe, node_id, param, exposed_as or None)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # its file params from where the workflow is, so it works from the library too
    save_workflow(
        recipes.absolutized(recipe, registry, wf_path.resolve().parent, workflow.recipes), dest
    )
    iface = recipe.interface
    assert iface is not None
    print(f"wrote recipe {name!r} to {dest}")
    print("  in:  " + (", ".join(f"{i.name}:{i.type}" for i in iface.inputs) or "-"))
    print("  out: " + (", ".join(o.name for o in iface.outputs) or "-"))
    print(
        "  settings: "
        + (", ".join(p.name for p in iface.params) or "- (add some with --expose NODE.PARAM)")
    )
    if args.replace:
        inst = next(
            n
            for n in rest.nodes
            if n.type == recipes.TYPE and n.params.get("source") == recipes.EMBEDDED + name
        )
        if args.out:
            rel = os.path.relpath(dest.resolve(), wf_path.resolve().parent)
            inst.params["source"] = rel
        else:
            inst.params["source"] = recipes.LIBRARY + name
        rest.recipes = {k: v for k, v in rest.recipes.items() if k != name}
        save_workflow(rest, wf_path)
        print(f"rewrote {wf_path}: node {inst.id} uses it in place of {', '.join(sorted(ids))}")
    else:
        print("the workflow is unchanged (--replace puts a recipe node in place of those nodes)")
    return EXIT_OK


def cmd_sequence(args: argparse.Namespace) -> int:
    from app.core.errors import NodeError
    from app.core.registry import default_registry
    from app.core.safefiles import checked_file
    from app.film.importer import import_screenplay

    script = Path(args.script)
    try:
        checked_file(script, what="screenplay", max_bytes=8 * 2**20)  # never a FIFO or a device
        text = script.read_text(encoding="utf-8-sig")  # a byte-order mark is not the title page
    except NodeError as e:
        _err(str(e))
        return EXIT_INVALID
    except (OSError, UnicodeDecodeError) as e:
        _err(f"{script}: cannot read it ({e})")
        return EXIT_INVALID
    if not args.output.strip() or Path(args.output).suffix.lower() != ".json":
        _err("-o: name the sequence file to write, ending in .json (e.g. -o film.json)")
        return EXIT_INVALID
    recipe = args.recipe
    if not recipe.startswith(("library:", "embedded:")):
        recipe = str(
            Path(recipe).expanduser().resolve()
        )  # a file named from here, not from the shots
    try:
        w, h = (int(x) for x in args.size.lower().split("x"))
        if not (16 <= w <= 7680 and 16 <= h <= 4320):
            raise ValueError
    except ValueError:
        _err(f"--size {args.size!r}: expected WIDTHxHEIGHT, e.g. 1280x720")
        return EXIT_INVALID
    dest = Path(args.output)
    try:
        seq = import_screenplay(
            text,
            dest,
            default_registry(),
            recipe=recipe,
            per=args.per,
            size=(w - w % 2, h - h % 2),
            force=args.force,
        )
    except ValueError as e:
        _err(f"{script}: {e}")
        return EXIT_INVALID
    except OSError as e:
        _err(f"cannot write the sequence {dest}: {e.strerror or e}")
        return EXIT_INVALID
    print(shown(f"wrote {dest}: {len(seq.shots)} shot(s) of {seq.name[:120]!r}"))
    for shot in seq.shots:
        first = shot.notes.splitlines()[0][:100] if shot.notes else ""
        print(shown(f"  {shot.name}" + (f"  - {first}" if first else "")))
    print(f"render it: reelgraph render {dest}")
    return EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    from app.core.cache import Cache
    from app.core.context import CancelToken
    from app.core.errors import WorkflowError
    from app.core.registry import default_registry
    from app.core.sequence import load_sequence
    from app.film.render import ClusterError, render_film

    path = Path(args.film).resolve()
    try:
        seq = load_sequence(path)
    except WorkflowError as e:
        _print_problems(e)
        return EXIT_INVALID
    out_dir = Path(args.out).resolve() if args.out else path.parent / "renders"
    cache = Cache(Path(args.cache_dir)) if args.cache_dir else Cache()
    token = CancelToken()

    def on_signal(signum, frame) -> None:  # Ctrl-C: cancel the shots (Ray tasks too); twice: quit
        if token.cancelled:
            os._exit(EXIT_CANCELLED)
        token.cancel()
        _err("cancelling the shots (Ctrl-C again to quit at once)")

    signal.signal(signal.SIGINT, on_signal)

    def say(name: str, state: str, msg: str) -> None:
        print(shown(f"{state:<10}{name}" + (f": {msg}" if msg else "")), flush=True)

    if out_dir.exists() and not out_dir.is_dir():
        _err(f"--out {out_dir}: that is a file; name a folder for the renders")
        return EXIT_INVALID
    if args.dry_run:
        return _film_estimate(seq, path, default_registry(), cache)
    try:
        film = render_film(
            seq, path, default_registry(), cache, out_dir, ray=args.ray, progress=say, cancel=token
        )
    except ClusterError as e:
        _err(str(e))
        return EXIT_INVALID
    except OSError as e:
        _err(f"cannot write the renders into {out_dir}: {e.strerror or e}")
        return EXIT_FAILED
    if token.cancelled:
        _err("cancelled")
        return EXIT_CANCELLED
    for name, written in film.timeline.items():
        print(
            f"wrote {written}" if isinstance(written, Path) else f"not written: {name}: {written}"
        )
    if film.cut is not None:
        print(f"wrote {film.cut}")
    failed = [s for s in film.shots if s.status != "ok"]
    for s in failed:
        _err(f"shot {s.name}: {s.status}: {s.error}")
    ran = sum(len(s.executed) for s in film.shots)
    print(
        f"render {'ok' if not failed else 'failed'} in {film.wall_s:.1f} s: {len(film.shots)} shot(s), "
        f"{ran} node(s) ran" + (" (all cached)" if ran == 0 else "")
    )
    return EXIT_OK if not failed and film.cut is not None else EXIT_FAILED


def _film_estimate(seq, path: Path, registry, cache) -> int:
    """Each shot's price before anything runs (cached work is free)."""
    from app.core.errors import WorkflowError
    from app.core.executor import Executor
    from app.core.sequence import apply_bible

    ex = Executor(registry, cache)
    total, bad = 0.0, 0
    for shot in seq.shots:
        try:
            wf, folder = shot.load(path.parent)
            costs = ex.estimate(
                apply_bible(wf, seq.bible, registry), base_dir=folder, targets=[shot.output]
            )
        except WorkflowError as e:
            bad += 1
            print(shown(f"{shot.name:<28} cannot run: {e.problems[0] if e.problems else e}"))
            continue
        cost = sum(costs.values())
        total += cost
        state = f"{len(costs)} node(s) would run" if costs else "cached"
        print(shown(f"{shot.name:<28} ${cost:,.2f}  {state}"))
    print(f"total estimate: ${total:,.2f} for {len(seq.shots)} shot(s); nothing was run")
    return EXIT_INVALID if bad else EXIT_OK


def _in_clone() -> bool:
    from app.core.resources import in_clone

    return in_clone()


def _shipped_workflows() -> Path:
    from app.core.resources import data_dir

    return data_dir("workflows").resolve()


def cmd_examples(args: argparse.Namespace) -> int:
    import shutil

    from app.core.fileio import load_workflow
    from app.core.resources import data_dir

    shipped = data_dir("workflows")
    if args.copy:
        dest = Path(args.copy).expanduser()
        if dest.exists() and any(dest.iterdir()):
            _err(f"{dest} exists and is not empty; name a new folder")
            return EXIT_INVALID
        # the examples name their media as ../resources/media/...: the same layout keeps them valid
        shutil.copytree(shipped, dest / "workflows", ignore=shutil.ignore_patterns("renders"))
        shutil.copytree(data_dir("resources") / "media", dest / "resources" / "media")
        print(f"copied the examples into {dest}; try:")
        print(f"  reelgraph run {dest / 'workflows' / 'demo.json'}")
        print(f"  reelgraph edit {dest / 'workflows' / 'demo.json'}")
        return EXIT_OK
    for path in sorted(shipped.glob("*.json")):
        try:
            name = load_workflow(path).name
        except Exception:  # noqa: BLE001 - a listing: a broken file is named, not fatal
            name = "(unreadable)"
        print(f"{path.stem:<24} {name}")
    print(f"\nthey are in {shipped}")
    print(
        "copy them somewhere to run and change them: reelgraph examples --copy ~/reelgraph-examples"
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
