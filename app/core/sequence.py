"""A film as a sequence of shots: the file format (``reelgraph/sequence``) and what a render
needs from it. Each shot is a workflow (a file beside the sequence, or embedded in it) and the
node whose video is the shot; the ``bible`` holds what shots share (a style, characters'
reference images) and reaches the shots through the params it names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.core.errors import Problem, WorkflowError
from app.core.fileio import atomic_write_bytes, load_workflow, parse_workflow, too_deep
from app.core.limits import limit
from app.core.safefiles import is_regular
from app.core.workflow import Workflow

SCHEMA: Final = "reelgraph/sequence"
VERSION = 1
MAX_SHOTS = 2000


class Shot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    workflow: str | dict[str, Any]  # a path relative to the sequence, or the workflow itself
    output: str = Field(min_length=1, max_length=400)  # the node whose video is the shot
    notes: str = ""

    @field_validator("name")
    @classmethod
    def _printable(cls, v: str) -> str:
        # names go into file names, EDLs and terminals: no line breaks or escapes
        if any(not c.isprintable() for c in v):
            raise ValueError("may not contain line breaks or control characters")
        return v

    def load(self, base_dir: Path) -> tuple[Workflow, Path]:
        """The shot's workflow and the folder its relative paths start from."""
        if isinstance(self.workflow, dict):
            return parse_workflow(json.dumps(self.workflow), source=f"shot {self.name}"), base_dir
        path = Path(self.workflow).expanduser()
        path = path if path.is_absolute() else base_dir / path
        return load_workflow(path), path.parent


class Bible(BaseModel):
    """What the shots share. ``style`` fills the style of every prompt that leaves it empty;
    ``characters`` maps a name (as the screenplay writes it) to a reference image."""

    model_config = ConfigDict(extra="allow")

    style: str = ""
    characters: dict[str, str] = Field(default_factory=dict)


class Sequence(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: Literal["reelgraph/sequence"] = Field(default=SCHEMA, alias="schema")
    version: int = VERSION
    name: str = "untitled film"
    shots: list[Shot] = Field(default_factory=list, max_length=MAX_SHOTS)
    bible: Bible = Field(default_factory=Bible)

    @field_validator("version")
    @classmethod
    def _current(cls, v: int) -> int:
        if v != VERSION:
            raise ValueError(f"expected version {VERSION}, got {v}")
        return v

    @field_validator("shots")
    @classmethod
    def _unique(cls, shots: list[Shot]) -> list[Shot]:
        names = [s.name for s in shots]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"shot names must be unique: {', '.join(dupes)}")
        return shots

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def load_sequence(path: Path) -> Sequence:
    p = Path(path)
    try:
        if p.exists() and not is_regular(p):
            raise WorkflowError(
                Problem("is a device, pipe or folder, not a sequence file", where="file"),
                path=str(p),
            )
        if p.stat().st_size > limit("workflow_bytes"):
            raise WorkflowError(Problem("too large for a sequence file", where="file"), path=str(p))
        doc = json.loads(p.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise WorkflowError(
            Problem("file not found; check the path", where="file"), path=str(p)
        ) from None
    except (OSError, ValueError, RecursionError) as e:
        raise WorkflowError(Problem(f"cannot read: {e}", where="file"), path=str(p)) from None
    deep = too_deep(doc, limit("json_depth"))
    if deep:
        raise WorkflowError(Problem(f"{deep} is nested too deeply", where="file"), path=str(p))
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise WorkflowError(
            Problem(f"not a sequence file (its schema is not {SCHEMA!r})", where="file"),
            path=str(p),
        )
    try:
        return Sequence.model_validate(doc)
    except ValidationError as e:
        problems = [
            Problem(err["msg"], where=".".join(str(x) for x in err["loc"]))
            for err in e.errors()[:20]
        ]
        raise WorkflowError(problems, path=str(p)) from None


def save_sequence(seq: Sequence, path: Path) -> None:
    atomic_write_bytes(
        path, (json.dumps(seq.to_json_dict(), indent=2, ensure_ascii=False) + "\n").encode()
    )


def apply_bible(wf: Workflow, bible: Bible, registry: Any) -> Workflow:
    """The shot with the bible's style in every prompt that has none of its own."""
    if not bible.style:
        return wf
    out = wf.clone()
    for n in out.nodes:
        nt = registry.get(n.type)
        if nt is not None and "style" in nt.params.model_fields and not n.params.get("style"):
            n.params["style"] = bible.style
    return out
