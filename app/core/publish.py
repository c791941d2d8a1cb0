"""Publishing output-node files into the run's output folder, never overwriting a different file."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path, PurePosixPath

from app.core.cache import file_hash


def safe_relative_name(name: str) -> str | None:
    """A relative name that stays inside the output folder, or None."""
    p = PurePosixPath(name.replace("\\", "/"))
    if not name.strip() or p.is_absolute() or any(part in ("..", "") for part in p.parts):
        return None
    return p.as_posix()


def _versioned(target: Path, n: int, folder: bool = False) -> Path:
    if n == 1:
        return target
    if folder:
        return target.with_name(f"{target.name}_v{n:03d}")
    return target.with_name(f"{target.stem}_v{n:03d}{target.suffix}")


def _versions(target: Path, folder: bool = False) -> list[Path]:
    stem, suffix = (target.name, "") if folder else (target.stem, target.suffix)
    pattern = re.compile(rf"^{re.escape(stem)}_v(\d{{3,}}){re.escape(suffix)}$")
    found = [target] if target.exists() else []
    if target.parent.exists():
        found += sorted(p for p in target.parent.iterdir() if pattern.match(p.name))
    return found


def _same(a: Path, b: Path) -> bool:
    try:
        if a.is_dir() or b.is_dir():
            names = sorted(f.name for f in a.iterdir()) if a.is_dir() else None
            return (a.is_dir() and b.is_dir() and names == sorted(f.name for f in b.iterdir())
                    and all(_same(a / n, b / n) for n in names))
        return a.stat().st_size == b.stat().st_size and file_hash(a) == file_hash(b)
    except OSError:
        return False


def publish(src: Path, out_dir: Path, name: str) -> Path:
    """Copy ``src`` to ``out_dir/name``; an identical file already there is reused, a different
    one is kept and the copy gets the next free ``_vNNN`` name. A folder (an image sequence)
    is published and versioned as one unit: ``shot/``, then ``shot_v002/``."""
    rel = safe_relative_name(name)
    if rel is None:
        raise ValueError(f"output name {name!r} must be a relative path inside the output folder")
    target = out_dir / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = src.is_dir()
    for candidate in _versions(target, folder):
        if _same(candidate, src):
            return candidate
    if folder:
        return _publish_folder(src, target)
    tmp = target.parent / f".{target.name}.{uuid.uuid4().hex}.part"
    shutil.copyfile(src, tmp)
    try:
        n = 1
        while True:
            dest = _versioned(target, n)
            try:
                os.link(tmp, dest)  # fails if dest exists: no silent overwrite, even in a race
                return dest
            except FileExistsError:
                n += 1
            except OSError:
                if dest.exists():
                    n += 1
                    continue
                shutil.copyfile(tmp, dest)  # filesystems without hard links
                return dest
    finally:
        tmp.unlink(missing_ok=True)


def _publish_folder(src: Path, target: Path) -> Path:
    tmp = target.parent / f".{target.name}.{uuid.uuid4().hex}.part"
    shutil.copytree(src, tmp)
    try:
        n = 1
        while True:
            dest = _versioned(target, n, folder=True)
            try:
                dest.mkdir()  # claims the name: an existing folder is never written into
                break
            except FileExistsError:
                n += 1
        for f in sorted(tmp.iterdir()):
            os.replace(f, dest / f.name)
        return dest
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
