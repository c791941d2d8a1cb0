"""Publishing output-node files into the run's output folder, never overwriting a different file."""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
import uuid
from pathlib import Path, PurePosixPath, PureWindowsPath

from app.core.cache import file_hash
from app.core.errors import NodeError
from app.core.limits import limit

_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    "conin$",
    "conout$",
    *(f"com{i}" for i in "123456789¹²³"),
    *(f"lpt{i}" for i in "123456789¹²³"),
}


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be written inside the output folder on every OS, or None. Checked
    by the rules of the strictest system (Windows drive letters and reserved names too), so a
    workflow made on one OS is safe on another."""
    text = name.replace("\\", "/")
    if not text.strip():
        return "is empty"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text):
        return "has control or direction-changing characters in it"
    if PureWindowsPath(name).drive or text.startswith("/") or ":" in text:
        return "must be a relative name inside the output folder (no drive, no leading '/', no ':')"
    for part in text.split("/"):
        if part in ("", ".", ".."):
            return "may not have empty, '.' or '..' parts"
        if part != part.strip() or part.endswith("."):
            return f"part {part!r} starts or ends with a space or ends with '.'"
        if part.startswith("."):
            return f"part {part!r} would be a hidden file"
        if any(c in part for c in '<>"|?*'):
            return f'part {part!r} has a character Windows refuses (<>"|?*)'
        if part.split(".")[0].strip().lower() in _RESERVED:
            return f"part {part!r} is a reserved name on Windows"
        if len(part.encode("utf-8")) > limit("name_bytes"):
            return f"part {part[:20]!r}... is {len(part.encode('utf-8'))} bytes; the limit is {limit('name_bytes')}"
    return None


def safe_relative_name(name: str) -> str | None:
    """A relative name that stays inside the output folder on every OS, or None."""
    if name_problem(name) is not None:
        return None
    return PurePosixPath(name.replace("\\", "/")).as_posix()


def _inside(out_dir: Path, rel: str) -> Path:
    """out_dir/rel, refused when a folder on the way is a link (it could lead outside)."""
    cur = out_dir
    for part in PurePosixPath(rel).parts:
        cur = cur / part
        if cur.is_symlink():
            raise NodeError(
                f"{cur} is a link; Reelgraph does not write through links in the output folder",
                hint="remove the link or pick another name",
            )
    return cur


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
            return (
                a.is_dir()
                and b.is_dir()
                and names == sorted(f.name for f in b.iterdir())
                and all(_same(a / n, b / n) for n in names)
            )
        return a.stat().st_size == b.stat().st_size and file_hash(a) == file_hash(b)
    except OSError:
        return False


def publish(src: Path, out_dir: Path, name: str) -> Path:
    """Copy ``src`` to ``out_dir/name``; an identical file already there is reused, a different
    one is kept and the copy gets the next free ``_vNNN`` name. A folder (an image sequence)
    is published and versioned as one unit: ``shot/``, then ``shot_v002/``. Failures (a full
    disk, a name the file system refuses) are NodeErrors that leave no partial file behind."""
    problem = name_problem(name)
    if problem is not None:
        raise NodeError(f"output name {name!r} {problem}", field="param 'filename'")
    rel = PurePosixPath(name.replace("\\", "/")).as_posix()
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise NodeError(
                f"the output folder {out_dir} is a file", hint="pick a folder for the renders"
            )
        if out_dir.is_symlink():  # a shared bundle can carry renders/ -> somewhere else
            raise NodeError(
                f"the output folder {out_dir} is a link to {os.path.realpath(out_dir)}; Reelgraph "
                "does not write through links",
                hint="pass the real folder with --out, or remove the link",
            )
        target = _inside(out_dir, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.parent.resolve().is_relative_to(out_dir.resolve()):
            raise NodeError(
                f"{name} would be written outside the output folder", field="param 'filename'"
            )
        folder = src.is_dir()
        for candidate in _versions(target, folder):
            if _same(candidate, src):
                return candidate
        return _publish_folder(src, target) if folder else _publish_file(src, target)
    except shutil.Error as e:  # copytree's list of (src, dst, why): the first why says it
        first = e.args[0][0][2] if e.args and isinstance(e.args[0], list) and e.args[0] else str(e)
        raise NodeError(
            f"cannot write {name} into {out_dir}: {str(first).split(':')[0]}",
            hint="free disk space, or pick a shorter name or another output folder",
        ) from None
    except OSError as e:
        raise NodeError(
            f"cannot write {name} into {out_dir}: {e.strerror or e}",
            hint="free disk space, or pick a shorter name or another output folder",
        ) from None


def _publish_file(src: Path, target: Path) -> Path:
    tmp = target.parent / f".{target.name[:60]}.{uuid.uuid4().hex}.part"
    try:
        shutil.copyfile(src, tmp)
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
    tmp = target.parent / f".{target.name[:60]}.{uuid.uuid4().hex}.part"
    dest: Path | None = None
    try:
        shutil.copytree(src, tmp)
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
    except BaseException:
        if dest is not None and dest.exists() and not any(dest.iterdir()):
            dest.rmdir()  # a claimed but unfilled name is released
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
