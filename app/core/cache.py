"""Persistent, content-addressed cache of node outputs.

An entry is a folder named by the node's key holding the output files and a manifest.json.
Nodes run in a staging folder that is renamed into place only on success, so a failed or
cancelled node never leaves a partial entry, and a crash leaves only staging folders that the
next start sweeps away. Last use is the manifest's mtime (touched on every hit: cheap, no
rewrite), which drives least-recently-used eviction.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.dirs import cache_dir
from app.core.values import Value

MANIFEST = "manifest.json"
DEFAULT_LIMIT_BYTES = 50 * 1024**3


def default_cache_dir() -> Path:
    return cache_dir()


def canonical_json(data: Any) -> str:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def hash_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_file_hashes: dict[tuple[str, int, int], str] = {}
_file_hash_lock = threading.Lock()


def file_hash(path: Path) -> str:
    """Content hash of a file, remembered per (path, size, mtime) for this process."""
    st = path.stat()
    memo_key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    with _file_hash_lock:
        cached = _file_hashes.get(memo_key)
    if cached:
        return cached
    with path.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    with _file_hash_lock:
        _file_hashes[memo_key] = digest
    return digest


@dataclass
class Entry:
    key: str
    outputs: dict[str, Value]
    manifest: dict[str, Any]
    root: Path


def _dir_size(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total


class Cache:
    def __init__(self, root: Path | None = None, limit_bytes: int | None = None):
        self.root = Path(root) if root else default_cache_dir()
        env_limit = os.environ.get("REELGRAPH_CACHE_LIMIT_GB")
        if limit_bytes is None:
            limit_bytes = int(float(env_limit) * 1024**3) if env_limit else DEFAULT_LIMIT_BYTES
        self.limit_bytes = limit_bytes
        self.entries_dir = self.root / "entries"
        self.staging_dir = self.root / "staging"
        self.entries_dir.mkdir(parents=True, exist_ok=True)
        self.staging_dir.mkdir(parents=True, exist_ok=True)
        self._entries_str = str(self.entries_dir)
        # Running total of bytes, so eviction scans the folder only when the limit may be hit.
        self._known_total: int | None = None
        self._ledger_lock = threading.Lock()
        self.sweep_staging()

    # -- entries -------------------------------------------------------------------------------
    def entry_dir(self, key: str) -> Path:
        return self.entries_dir / key[:2] / key

    def get(self, key: str) -> Entry | None:
        root_str = os.path.join(self._entries_str, key[:2], key)
        manifest_path = os.path.join(root_str, MANIFEST)
        try:
            with open(manifest_path, "rb") as fh:
                manifest = json.loads(fh.read())
            root = Path(root_str)
            outputs = {
                port: Value.from_manifest(root, v) for port, v in manifest["outputs"].items()
            }
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self._discard(Path(root_str))  # a damaged entry is a miss, never an error
            return None
        if not all(os.path.exists(v.path) for v in outputs.values()):
            self._discard(root)
            return None
        try:
            os.utime(manifest_path)
        except OSError:
            pass
        return Entry(key, outputs, manifest, root)

    def stage(self) -> Path:
        """A fresh folder for a running node; commit() or abort() it."""
        path = self.staging_dir / f"{os.getpid()}-{uuid.uuid4().hex}"
        path.mkdir(parents=True)
        return path

    def commit(
        self, key: str, staging: Path, outputs: dict[str, Value], manifest: dict[str, Any]
    ) -> Entry:
        record = {
            **manifest,
            "key": key,
            "created": time.time(),
            "outputs": {port: v.to_manifest(staging) for port, v in outputs.items()},
        }
        record["size_bytes"] = _dir_size(staging)
        (staging / MANIFEST).write_text(canonical_json(record), encoding="utf-8")
        final = self.entry_dir(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        existing = self.get(key)  # also drops a damaged entry in the way
        if existing is not None:  # the same result was committed meanwhile: keep the first
            shutil.rmtree(staging, ignore_errors=True)
            return existing
        try:
            os.rename(staging, final)
            with self._ledger_lock:
                if self._known_total is not None:
                    self._known_total += record["size_bytes"]
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            existing = self.get(key)  # another process committed it first
            if existing is None:
                raise
            return existing
        entry = self.get(key)
        if entry is None:
            raise OSError(f"cache entry {key} vanished right after it was written")
        return entry

    def abort(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)

    def _discard(self, root: Path) -> None:
        # Rename first so a reader never sees half a deleted entry.
        trash = self.staging_dir / f"trash-{uuid.uuid4().hex}"
        try:
            os.rename(root, trash)
        except OSError:
            return
        shutil.rmtree(trash, ignore_errors=True)

    def sweep_staging(self) -> None:
        """Remove staging folders left by processes that are gone."""
        for child in self.staging_dir.iterdir() if self.staging_dir.exists() else ():
            pid_text = child.name.split("-", 1)[0]
            if pid_text.isdigit() and pid_alive(int(pid_text)):
                continue
            shutil.rmtree(child, ignore_errors=True)

    # -- housekeeping --------------------------------------------------------------------------
    def _manifests(self) -> list[tuple[Path, float, int]]:
        out = []
        for shard in self.entries_dir.iterdir():
            if not shard.is_dir():
                continue
            for entry in shard.iterdir():
                m = entry / MANIFEST
                try:
                    st = m.stat()
                    size = int(json.loads(m.read_bytes()).get("size_bytes", 0))
                except (OSError, ValueError, AttributeError):
                    self._discard(entry)
                    continue
                out.append((entry, st.st_mtime, size))
        return out

    def info(self) -> dict[str, Any]:
        items = self._manifests()
        return {
            "path": str(self.root),
            "entries": len(items),
            "size_bytes": sum(s for _, _, s in items),
            "limit_bytes": self.limit_bytes,
        }

    def evict_if_needed(self, keep: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
        """Evict when the running total says the limit may be exceeded (scans once per process)."""
        with self._ledger_lock:
            known = self._known_total
        if known is not None and known <= self.limit_bytes:
            return []
        return self.evict(keep)

    def evict(self, keep: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
        """Delete least recently used entries until the cache is under its limit."""
        items = sorted(self._manifests(), key=lambda t: t[1])
        total = sum(s for _, _, s in items)
        removed = []
        for root, _mtime, size in items:
            if total <= self.limit_bytes:
                break
            if root.name in keep:
                continue
            self._discard(root)
            total -= size
            removed.append(root.name)
        with self._ledger_lock:
            self._known_total = total
        return removed

    def clear(self) -> int:
        count = len(self._manifests())
        with self._ledger_lock:
            self._known_total = None
        for shard in list(self.entries_dir.iterdir()):
            trash = self.staging_dir / f"trash-{uuid.uuid4().hex}"
            try:
                os.rename(shard, trash)
            except OSError:
                continue
            shutil.rmtree(trash, ignore_errors=True)
        return count


def pid_alive(pid: int) -> bool:
    """True if process ``pid`` is running (this process counts)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
