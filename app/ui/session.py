"""Editor state kept between sessions: recovery files written by autosave, and recent files.

Lives in the user's state folder (``REELGRAPH_STATE_DIR`` overrides it). A recovery file names
the editor process that wrote it; one whose process is gone is work a crash left behind.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.cache import pid_alive
from app.core.dirs import state_dir
from app.core.fileio import atomic_write_bytes
from app.core.workflow import Workflow

MAX_RECENT = 10


@dataclass
class Recovery:
    file: Path
    workflow: Workflow
    path: Path | None  # the file the work belongs to (None: never saved)
    saved_at: float

    def describe(self) -> str:
        name = self.path.name if self.path else f"{self.workflow.name} (never saved)"
        return f"{name}, autosaved {time.strftime('%Y-%m-%d %H:%M', time.localtime(self.saved_at))}"


class Autosaver:
    """Writes the document to this session's recovery file; removes it when the work is safe."""

    def __init__(self) -> None:
        self.file = state_dir() / "recovery" / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.json"

    def write(self, wf: Workflow, path: Path | None) -> Path:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "pid": os.getpid(),
            "saved_at": time.time(),
            "path": str(path) if path else None,
            "workflow": wf.to_json_dict(),
        }
        atomic_write_bytes(self.file, json.dumps(doc).encode())
        return self.file

    def discard(self) -> None:
        self.file.unlink(missing_ok=True)


def leftovers() -> list[Recovery]:
    """Recovery files of editor sessions that are no longer running, newest first."""
    folder = state_dir() / "recovery"
    found: list[Recovery] = []
    if not folder.is_dir():
        return found
    for f in folder.glob("*.json"):
        try:
            doc = json.loads(f.read_text())
            if int(doc.get("pid", 0)) > 0 and pid_alive(int(doc["pid"])):
                continue  # another editor that is still open
            wf = Workflow.model_validate(doc["workflow"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # unreadable: left for the user to inspect, never deleted silently
        found.append(
            Recovery(
                f, wf, Path(doc["path"]) if doc.get("path") else None, float(doc.get("saved_at", 0))
            )
        )
    return sorted(found, key=lambda r: -r.saved_at)


# -- recent files ------------------------------------------------------------------------------------


def _recent_file() -> Path:
    return state_dir() / "recent.json"


def recent_files() -> list[Path]:
    try:
        items: Any = json.loads(_recent_file().read_text())
        if not isinstance(items, list):
            return []  # not ours: ignored
        return [Path(p) for p in items if isinstance(p, str) and "\0" not in p][:MAX_RECENT]
    except (OSError, ValueError):
        return []


def add_recent(path: Path) -> list[Path]:
    p = Path(path).resolve()
    items = [p] + [q for q in recent_files() if q != p]
    items = items[:MAX_RECENT]
    atomic_write_bytes(_recent_file(), json.dumps([str(q) for q in items]).encode())
    return items


# -- run history: earlier results of a node, still in the cache, to compare with -------------------------

MAX_HISTORY = 20


def _history_file() -> Path:
    return state_dir() / "history.json"


def _load_history() -> dict[str, Any]:
    try:
        data = json.loads(_history_file().read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def record_runs(document: str, entries: dict[str, str], when: float | None = None) -> None:
    """Remember the cache key each node ran (or was found) with, newest first, per document."""
    data = _load_history()
    doc = data.setdefault(document, {})
    stamp = when or time.time()
    for node_id, key in entries.items():
        items = [e for e in doc.get(node_id, []) if e.get("key") != key]
        doc[node_id] = [{"key": key, "t": stamp}, *items][:MAX_HISTORY]
    atomic_write_bytes(_history_file(), json.dumps(data).encode())


def run_history(document: str, node_id: str) -> list[dict[str, Any]]:
    return list(_load_history().get(document, {}).get(node_id, []))
