"""The model catalog: every backend's models, their modes, prices and what each mode honours.

One data file (resources/models.json) is the single source of truth: the generator, upscale and
lip-sync params, their validation, cost estimates, `reelgraph models`, the editor's Model and
Mode drop-downs and the capability table in docs/backends.md all come from it. A user adds or
overrides models without a code change in models.json in the config folder: a model entry
there replaces (or adds) the model of the same name under the same backend.

A capability of a mode is absent (not honoured), or an object; its ``durations`` limit it to
those clip lengths (Kling's camera control only on 5 s clips of some models).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.core.resources import resource_path

Task = Literal["generate", "upscale", "lipsync"]
FEATURES = ("end_frame", "motion_brush", "camera")
FEATURE_WORDS = {"end_frame": "an end frame", "motion_brush": "a motion brush", "camera": "camera control"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Feature(_Strict):
    durations: list[float] | None = Field(None, description="only on clips of these lengths (s); absent: any")
    modes_note: str = ""


class MotionBrush(Feature):
    max_regions: int = 6
    max_points: int = 77
    static_mask: bool = True


class Camera(Feature):
    # path: the whole keyframed path (local engine); simple: one axis of -10..10 (Kling);
    # concepts: a named move chosen from the provider's live list (Luma)
    kind: Literal["path", "simple", "concepts"]


class Mode(_Strict):
    title: str = ""
    price_per_second: float = 0.0
    price_per_request: float = 0.0
    durations: list[float] | None = Field(None, description="clip lengths offered; absent: any")
    ratios: list[str] | None = None
    resolution: str | None = None
    start_frame: Literal["required", "optional", "none"] = "optional"
    end_frame: Feature | None = None
    motion_brush: MotionBrush | None = None
    camera: Camera | None = None
    audio: bool = False  # the result carries generated sound
    seed: bool = False
    negative_prompt: bool = False
    cfg_scale: bool = False
    max_prompt: int | None = None
    exclusive: list[str] = Field(default_factory=list, description="features one request cannot combine")
    max_upload_mb: float | None = None  # per input file (lip-sync audio, upscale video)

    def feature(self, name: str, duration: float | None = None) -> Feature | None:
        f = getattr(self, name, None)
        if f is None:
            return None
        if duration is not None and f.durations is not None and not any(abs(duration - d) < 1e-6 for d in f.durations):
            return None
        return f


class Model(_Strict):
    title: str = ""
    task: Task = "generate"
    modes: dict[str, Mode]
    source: str = ""
    checked: str = ""
    notes: str = ""

    @property
    def named_modes(self) -> bool:
        """Whether the user picks a mode (Kling std/pro); a single 'default' is no choice."""
        return list(self.modes) != ["default"]

    @property
    def default_mode(self) -> str:
        return next(iter(self.modes))


class Backend(_Strict):
    title: str
    base_url: str = ""
    key: list[str] = Field(default_factory=lambda: ["api_key"], description="key parts; empty: no key")
    open_models: bool = False  # any model id matching model_grammar runs, with the "*" entry's facts
    model_grammar: str | None = None
    model_grammar_help: str = ""
    source: str = ""
    checked: str = ""
    notes: str = ""
    models: dict[str, Model]


class Catalog(_Strict):
    schema_: Literal["reelgraph/models"] = Field("reelgraph/models", alias="schema")
    version: Literal[1] = 1
    about: str = ""
    backends: dict[str, Backend]

    # -- lookups ---------------------------------------------------------------------------------
    def backend(self, name: str) -> Backend | None:
        return self.backends.get(name)

    def backends_for(self, task: Task) -> list[str]:
        return [n for n, b in self.backends.items() if any(m.task == task for m in b.models.values())]

    def models(self, backend: str, task: Task) -> dict[str, Model]:
        b = self.backends.get(backend)
        return {n: m for n, m in (b.models.items() if b else ()) if m.task == task and n != "*"}

    def default_model(self, backend: str, task: Task) -> str:
        names = list(self.models(backend, task))
        return names[0] if names else ""

    def model(self, backend: str, task: Task, name: str) -> Model | None:
        """The named model (empty: the default); an open backend's unknown id gets its '*' entry."""
        b = self.backends.get(backend)
        if b is None:
            return None
        name = name or self.default_model(backend, task)
        m = b.models.get(name)
        if m is None and b.open_models and valid_model_id(b, name):
            m = b.models.get("*")
        return m if m is not None and m.task == task else None

    def mode(self, backend: str, task: Task, model: str, mode: str = "") -> Mode | None:
        m = self.model(backend, task, model)
        if m is None:
            return None
        return m.modes.get(mode or m.default_mode)

    # -- who can ---------------------------------------------------------------------------------
    def who_can(self, backend: str, task: Task, feature: str, duration: float | None = None) -> list[str]:
        """'kling-v1 (std, pro)', 'kling-v1-5 (pro, 5 s)': the models/modes of a backend that honour
        a feature (at this duration, when given)."""
        out = []
        for name, m in self.models(backend, task).items():
            modes = []
            for mname, md in m.modes.items():
                f = getattr(md, feature, None)
                if f is None:
                    continue
                if duration is not None and f.durations and not any(abs(duration - d) < 1e-6 for d in f.durations):
                    continue
                label = mname if m.named_modes else ""
                if f.durations:
                    label = f"{label}, {'/'.join(f'{d:g}' for d in f.durations)} s".lstrip(", ")
                modes.append(label)
            if modes:
                labels = [x for x in modes if x]
                out.append(f"{name} ({'; '.join(labels)})" if labels else name)
        return out


def valid_model_id(backend: Backend, model: str) -> bool:
    return bool(backend.model_grammar and re.fullmatch(backend.model_grammar, model))


def _merge(base: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """User models replace or add whole model entries; backend fields other than models are
    taken as given (a base URL, say)."""
    out = json.loads(json.dumps(base))
    for bname, b in (user.get("backends") or {}).items():
        if bname not in out["backends"] or not isinstance(b, dict):
            continue  # a backend needs an adapter in code: unknown ones are ignored (and reported)
        target = out["backends"][bname]
        for k, v in b.items():
            if k == "models" and isinstance(v, dict):
                target["models"].update(v)
            elif k in ("notes", "source", "checked"):
                target[k] = v
    return out


class CatalogError(Exception):
    pass


def shipped() -> dict[str, Any]:
    return json.loads(resource_path("models.json").read_text(encoding="utf-8"))


def user_file():
    from app.providers.settings import config_dir

    return config_dir() / "models.json"


def _user_stamp() -> tuple[float, int]:
    try:
        st = user_file().stat()
        return (st.st_mtime, st.st_size)
    except OSError:
        return (0.0, 0)


@lru_cache(maxsize=4)
def _load(stamp: tuple[float, int], config: str) -> tuple[Catalog, str]:
    base = shipped()
    warning = ""
    if stamp != (0.0, 0):
        try:
            user = json.loads(user_file().read_text(encoding="utf-8"))
            if not isinstance(user, dict):
                raise ValueError("the top level must be an object")
            merged = _merge(base, user)
            return Catalog.model_validate(merged), warning
        except (OSError, ValueError, ValidationError) as e:
            warning = f"{user_file()}: ignored ({_short(e)}); fix it or remove it"
    return Catalog.model_validate(base), warning


def _short(e: Exception) -> str:
    if isinstance(e, ValidationError):
        err = e.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    return str(e)[:200]


def catalog() -> Catalog:
    """The shipped catalog with the user's models.json merged in (re-read when that file changes)."""
    from app.providers.settings import config_dir

    return _load(_user_stamp(), str(config_dir()))[0]


def user_warning() -> str:
    from app.providers.settings import config_dir

    return _load(_user_stamp(), str(config_dir()))[1]


@lru_cache(maxsize=1)
def shipped_catalog() -> Catalog:
    """The catalog as shipped (what node params' backend lists are built from: a backend needs
    code, so the user's file cannot add one)."""
    return Catalog.model_validate(shipped())


def backend_names(task: Task) -> tuple[str, ...]:
    return tuple(shipped_catalog().backends_for(task))


# -- checks shared by validation and the adapters -----------------------------------------------------

Problem = tuple[str | None, str]


def check_model(backend: str, task: Task, model: str, mode: str) -> tuple[Model | None, Mode | None, list[Problem]]:
    cat = catalog()
    b = cat.backend(backend)
    if b is None:
        return None, None, [("param 'backend'", f"unknown backend {backend!r}; backends: "
                                                 f"{', '.join(cat.backends_for(task))}")]
    m = cat.model(backend, task, model)
    if m is None:
        names = ", ".join(cat.models(backend, task)) or "none listed"
        if b.open_models and model:
            hint = b.model_grammar_help or "check the model id"
            return None, None, [("param 'model'", f"{model!r} is not a valid {b.title} model id ({hint})")]
        if b.open_models:
            return None, None, [("param 'model'", f"name the {b.title} model to run ({b.model_grammar_help}); "
                                                  f"known: {names}")]
        return None, None, [("param 'model'", f"{b.title} has no model {model!r}; models: {names} (add new ones in "
                                              f"{user_file()})")]
    md = m.modes.get(mode or m.default_mode)
    if md is None:
        return m, None, [("param 'mode'", f"{b.title} {model or cat.default_model(backend, task)} has no mode "
                                          f"{mode!r}; modes: {', '.join(m.modes)}")]
    return m, md, []


PORT_FEATURE = {"end_image": "end_frame", "motion": "motion_brush", "camera": "camera"}


def wanted(connected: frozenset[str]) -> set[str]:
    return {f for port, f in PORT_FEATURE.items() if port in connected}


def resolve_mode(backend: str, task: Task, model: str, mode: str, wants: set[str], duration: float) -> str:
    """The mode to send: the one asked for, or (mode left empty) the first of the model's modes,
    cheapest first, that honours every feature the request uses at this duration."""
    m = catalog().model(backend, task, model)
    if m is None or mode:
        return mode
    for name, md in m.modes.items():
        if all(md.feature(f, duration) is not None for f in wants):
            return name
    return m.default_mode


def check_generate(backend: str, model: str, mode: str, *, duration: float,
                   connected: frozenset[str]) -> list[Problem]:
    """What this backend/model/mode cannot honour in a generator request, each naming what can."""
    chosen = resolve_mode(backend, "generate", model, mode, wanted(connected), duration)
    m, md, problems = check_model(backend, "generate", model, chosen)
    if md is None or m is None:
        return problems
    cat = catalog()
    b = cat.backends[backend]
    name = model or cat.default_model(backend, "generate")
    label = f"{b.title} {name}" + (f" ({mode})" if mode and m.named_modes else "")
    # a feature no mode honours: said of the model, since the mode was left to choose
    any_mode = " (in any mode)" if m.named_modes and not mode else ""
    if md.durations and not any(abs(duration - d) < 1e-6 for d in md.durations):
        allowed = ", ".join(f"{d:g}" for d in md.durations)
        problems.append(("param 'duration'", f"{label} makes {allowed} s clips; set duration to one of those"))
    if md.start_frame == "required" and "image" not in connected:
        problems.append(("input 'image'", f"{label} animates a start frame; connect an image"))
    if md.start_frame == "none" and "image" in connected:
        problems.append(("input 'image'", f"{label} takes no start frame; disconnect it or pick a model that does"))
    wants = wanted(connected)
    port = {f: p for p, f in PORT_FEATURE.items()}
    for feature in sorted(wants):
        if md.feature(feature) is None:
            can = cat.who_can(backend, "generate", feature)
            others = [n for n in cat.backends_for("generate")
                      if n != backend and cat.who_can(n, "generate", feature)]
            where = (f"; {b.title} models that can: {', '.join(can)}" if can else
                     f"; no {b.title} model can (backends that can: {', '.join(others)})")
            problems.append((f"input '{port[feature]}'", f"{label}{any_mode} cannot take {FEATURE_WORDS[feature]}{where}. "
                             "Disconnect it or pick one of those"))
        elif md.feature(feature, duration) is None:
            f = getattr(md, feature)
            allowed = ", ".join(f"{d:g}" for d in f.durations)
            problems.append(("param 'duration'", f"{label} takes {FEATURE_WORDS[feature]} on {allowed} s clips only; "
                             f"set duration to {allowed}"))
    used = [f for f in md.exclusive if f in wants]
    if len(used) > 1:
        problems.append((f"input '{port[used[-1]]}'", f"{label} takes one of "
                         f"{', '.join(FEATURE_WORDS[f] for f in md.exclusive)} per request, not "
                         f"{' and '.join(FEATURE_WORDS[f] for f in used)}; disconnect all but one"))
    return problems


def price(backend: str, task: Task, model: str, mode: str, seconds: float, takes: int = 1,
          wants: set[str] | frozenset[str] = frozenset()) -> float:
    """Estimated USD for ``takes`` results of ``seconds`` each, in the mode that would be sent."""
    mode = resolve_mode(backend, task, model, mode, set(wants), seconds)
    md = catalog().mode(backend, task, model, mode)
    if md is None:
        return 0.0
    each = md.price_per_second * seconds + md.price_per_request
    return round(each * max(1, takes), 4)


# -- drop-downs ---------------------------------------------------------------------------------------

def price_label(md: Mode) -> str:
    if md.price_per_second:
        return f"${md.price_per_second:.3f}/s"
    if md.price_per_request:
        return f"${md.price_per_request:.2f}/request"
    return "free"


def model_label(name: str, m: Model) -> str:
    if not m.named_modes:
        return f"{name} · {price_label(m.modes[m.default_mode])}"
    return f"{name} · " + " · ".join(f"{n} {price_label(md)}" for n, md in m.modes.items())


def param_options(task: Task, backend: str, model: str, *, with_mode: bool = False) -> dict[str, Any]:
    """Model (and mode) drop-downs for a node's backend, labelled with prices."""
    from app.core.node import Options

    cat = catalog()
    b = cat.backend(backend)
    if b is None:
        return {}
    models = cat.models(backend, task)
    default = cat.default_model(backend, task)
    choices: list[tuple[Any, str]] = []
    if default:
        choices.append(("", f"default ({model_label(default, models[default])})"))
    choices += [(name, model_label(name, m)) for name, m in models.items()]
    out: dict[str, Any] = {"model": Options(tuple(choices), free=b.open_models)}
    if with_mode:
        m = cat.model(backend, task, model)
        if m is not None and m.named_modes:
            modes = [("", "auto (the cheapest that fits the inputs)")]
            modes += [(n, " · ".join(x for x in (n, md.resolution or "", price_label(md)) if x))
                      for n, md in m.modes.items()]
            out["mode"] = Options(tuple(modes))
        else:
            out["mode"] = Options(())
    return out


# -- words ----------------------------------------------------------------------------------------------

def describe(md: Mode) -> str:
    """One line of what a mode takes and costs (`reelgraph models` and the docs' table)."""

    def durs(ds: list[float]) -> str:
        return "/".join(f"{d:g}" for d in ds) + " s"

    parts = [price_label(md)]
    if md.durations:
        parts.append(durs(md.durations))
    if md.resolution:
        parts.append(md.resolution)
    parts.append({"required": "start frame required", "optional": "start frame", "none": "no start frame"}
                 [md.start_frame])
    for name, word in (("end_frame", "end frame"), ("motion_brush", "motion brush"), ("camera", "camera")):
        f = getattr(md, name)
        if f is not None:
            extra = f" ({f.kind})" if isinstance(f, Camera) else ""
            parts.append(word + extra + (f" on {durs(f.durations)}" if f.durations else ""))
    parts += [w for w, on in (("seed", md.seed), ("negative prompt", md.negative_prompt), ("cfg", md.cfg_scale),
                              ("sound", md.audio)) if on]
    if sum(getattr(md, f) is not None for f in md.exclusive) > 1:
        parts.append("one of end frame/brush/camera per request")
    if md.max_upload_mb:
        parts.append(f"uploads up to {md.max_upload_mb:g} MB")
    return ", ".join(parts)


def markdown_table(cat: Catalog) -> str:
    """The capability table of docs/backends.md, made from the catalog."""
    rows = ["| backend | model | task | mode | what it takes and costs | checked |", "|---|---|---|---|---|---|"]
    for bname, b in cat.backends.items():
        for mname, m in b.models.items():
            label = "any valid id" if mname == "*" else f"`{mname}`"
            checked = f"[{m.checked}]({m.source})" if m.source else m.checked
            for mode_name, md in m.modes.items():
                rows.append(f"| `{bname}` | {label} | {m.task} | {mode_name if m.named_modes else ''} | "
                            f"{describe(md)} | {checked} |")
    return "\n".join(rows) + "\n"
