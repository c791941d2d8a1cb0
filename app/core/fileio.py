"""Reading and writing workflow files: validation with located errors, migration, atomic save."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.core import workflow as wf
from app.core.errors import Problem, WorkflowError
from app.core.limits import limit
from app.core.safefiles import is_regular
from app.core.workflow import Workflow

# MIGRATIONS[n] turns a version-n document into a version n+1 document (plain dicts).
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}

MAX_FILE_BYTES = limit(
    "workflow_bytes"
)  # masks are inline base64; a sane workflow is far below this


def too_deep(doc: Any, max_depth: int) -> str | None:
    """Where a document nests deeper than ``max_depth`` (walked without recursion), or None.
    Deeper documents would pass JSON parsing and then break saving, hashing and copying."""
    stack: list[tuple[Any, int, str]] = [(doc, 1, "document")]
    while stack:
        value, depth, where = stack.pop()
        items: Iterable[tuple[Any, Any]]
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, list):
            items = ((f"[{i}]", v) for i, v in enumerate(value))
        else:
            continue
        if depth > max_depth:
            return where
        for k, v in items:
            if isinstance(v, (dict, list)):
                key = str(k)[:40]
                stack.append(
                    (v, depth + 1, f"{where}{key}" if key.startswith("[") else f"{where}.{key}")
                )
    return None


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "document"


def _validation_problems(err: ValidationError, doc: Any) -> list[Problem]:
    problems = []
    for e in err.errors():
        loc = tuple(e.get("loc", ()))
        node_id = node_type = None
        if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int):
            try:
                raw = doc["nodes"][loc[1]]
                node_id = raw.get("id") if isinstance(raw.get("id"), str) else None
                node_type = raw.get("type") if isinstance(raw.get("type"), str) else None
            except (KeyError, IndexError, TypeError, AttributeError):
                pass
        msg = e.get("msg", "invalid")
        if len(loc) >= 3 and loc[0] == "links" and loc[2] in ("from", "to"):
            msg += '; a link end is ["node_id", "port_name"]'
        problems.append(Problem(msg, node=node_id, node_type=node_type, where=_loc(loc)))
    return problems


def migrate(doc: dict[str, Any], *, current: int | None = None) -> dict[str, Any]:
    """Bring a document of an older version up to the current one, step by step."""
    current = wf.CURRENT_VERSION if current is None else current
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise WorkflowError(Problem("must be a whole number", where="version"))
    if version > current:
        raise WorkflowError(
            Problem(
                f"this file was written by a newer Reelgraph (format version {version}; this "
                f"build reads up to {current}); update Reelgraph to open it",
                where="version",
            )
        )
    if version < 1:
        raise WorkflowError(Problem(f"unknown format version {version}", where="version"))
    while version < current:
        step = MIGRATIONS.get(version)
        if step is None:
            raise WorkflowError(
                Problem(f"no migration from format version {version}", where="version")
            )
        doc = step(doc)
        version += 1
        doc["version"] = version
    return doc


class _NonFinite(ValueError):
    pass


def _reject_constant(name: str) -> float:
    raise _NonFinite(name)


def parse_workflow(text: str | bytes, *, source: str | None = None) -> Workflow:
    """Parse, migrate and validate a workflow document. Only ever raises WorkflowError."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        doc = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError as e:
        raise WorkflowError(
            Problem(f"not UTF-8 text (byte {e.start})", where="file"), path=source
        ) from None
    except json.JSONDecodeError as e:
        raise WorkflowError(
            Problem(f"not valid JSON: {e.msg}", where=f"line {e.lineno} column {e.colno}"),
            path=source,
        ) from None
    except RecursionError:
        raise WorkflowError(Problem("JSON nested too deeply", where="file"), path=source) from None
    except _NonFinite as e:
        raise WorkflowError(
            Problem(f"{e} is not a number JSON allows; use a finite value", where="file"),
            path=source,
        ) from None
    if not isinstance(doc, dict):
        raise WorkflowError(
            Problem("a workflow must be a JSON object", where="document"), path=source
        )
    deep = too_deep(doc, limit("json_depth"))
    if deep is not None:
        where = deep.removeprefix("document.")
        raise WorkflowError(
            Problem(
                f"nested more than {limit('json_depth')} levels deep; a workflow never needs "
                "that (the file may be damaged or hostile)",
                where=where if len(where) <= 60 else where[:60] + "...",
            ),
            path=source,
        )
    if doc.get("schema") != wf.SCHEMA:
        raise WorkflowError(
            Problem(f"not a Reelgraph workflow: 'schema' must be {wf.SCHEMA!r}", where="schema"),
            path=source,
        )
    try:
        doc = migrate(doc)
        return Workflow.model_validate(doc)
    except WorkflowError as e:
        e.path = source
        raise
    except ValidationError as e:
        raise WorkflowError(_validation_problems(e, doc), path=source) from None
    except RecursionError:
        raise WorkflowError(
            Problem("document nested too deeply", where="document"), path=source
        ) from None


def load_workflow(path: str | os.PathLike[str]) -> Workflow:
    """Read a workflow file. Never modifies the file, whatever happens."""
    p = Path(path)
    try:
        if p.exists() and not p.is_dir() and not is_regular(p):
            raise WorkflowError(
                Problem("is a device, pipe or socket, not a workflow file", where="file"),
                path=str(p),
            )
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise WorkflowError(
                Problem(f"file is {size} bytes; too large for a workflow", where="file"),
                path=str(p),
            )
        data = p.read_bytes()
    except FileNotFoundError:
        raise WorkflowError(
            Problem("file not found; check the path", where="file"), path=str(p)
        ) from None
    except IsADirectoryError:
        raise WorkflowError(
            Problem("is a folder, not a workflow file", where="file"), path=str(p)
        ) from None
    except OSError as e:
        raise WorkflowError(
            Problem(f"cannot read: {e.strerror}", where="file"), path=str(p)
        ) from None
    return parse_workflow(data, source=str(p))


def dumps_workflow(workflow: Workflow) -> str:
    return json.dumps(workflow.to_json_dict(), indent=2, ensure_ascii=False) + "\n"


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, mode: int | None = None
) -> None:
    """Write to a temp file beside the target, fsync, then rename over it.

    Killing the process at any point leaves either the old or the new file, never a mix.
    ``mode`` (0o600 for secrets) is the file's mode from its creation: the temp file is made
    0600 and never widened, so no reader ever sees the content with looser permissions.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        elif target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def save_workflow(workflow: Workflow, path: str | os.PathLike[str]) -> None:
    atomic_write_bytes(path, dumps_workflow(workflow).encode("utf-8"))
