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

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, ValidationError

from app.core.dirs import config_dir
from app.core.resources import resource_path

Task = Literal["generate", "upscale", "lipsync"]
FEATURES = ("end_frame", "motion_brush", "camera")
FEATURE_WORDS = {
    "end_frame": "an end frame",
    "motion_brush": "a motion brush",
    "camera": "camera control",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Feature(_Strict):
    durations: list[PositiveFloat] | None = Field(
        None, min_length=1, description="only on clips of these lengths (s); absent: any"
    )


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
    price_per_second: float = Field(0.0, ge=0)
    price_per_request: float = Field(0.0, ge=0)
    durations: list[PositiveFloat] | None = Field(
        None, min_length=1, description="clip lengths offered; absent: any"
    )
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
    exclusive: list[Literal["end_frame", "motion_brush", "camera"]] = Field(
        default_factory=list, description="features one request cannot combine"
    )
    max_upload_mb: float | None = None  # per input file (lip-sync audio, upscale video)

    def feature(self, name: str, duration: float | None = None) -> Feature | None:
        f = getattr(self, name, None)
        if f is None:
            return None
        if (
            duration is not None
            and f.durations is not None
            and not any(abs(duration - d) < 1e-6 for d in f.durations)
        ):
            return None
        return f


class Model(_Strict):
    title: str = ""
    task: Task = "generate"
    modes: dict[str, Mode] = Field(min_length=1)
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
    key: list[str] = Field(
        default_factory=lambda: ["api_key"], description="key parts; empty: no key"
    )
    open_models: bool = (
        False  # any model id matching model_grammar runs, with the "*" entry's facts
    )
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
        return [
            n for n, b in self.backends.items() if any(m.task == task for m in b.models.values())
        ]

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
        m = b.models.get(name) if name != "*" else None  # '*' is the entry, not an id
        if m is None and b.open_models and valid_model_id(b, name):
            m = b.models.get("*")
        return m if m is not None and m.task == task else None

    def mode(self, backend: str, task: Task, model: str, mode: str = "") -> Mode | None:
        m = self.model(backend, task, model)
        if m is None:
            return None
        return m.modes.get(mode or m.default_mode)

    # -- who can ---------------------------------------------------------------------------------
    def who_can(
        self, backend: str, task: Task, feature: str, duration: float | None = None
    ) -> list[str]:
        """'kling-v1 (std, pro)', 'kling-v1-5 (pro, 5 s)': the models/modes of a backend that honour
        a feature (at this duration, when given)."""
        out = []
        for name, m in self.models(backend, task).items():
            modes = []
            for mname, md in m.modes.items():
                f = getattr(md, feature, None)
                if f is None:
                    continue
                lengths = f.durations or md.durations
                if (
                    duration is not None
                    and lengths
                    and not any(abs(duration - d) < 1e-6 for d in lengths)
                ):
                    continue
                label = mname if m.named_modes else ""
                if lengths:
                    label = f"{label}, {'/'.join(f'{d:g}' for d in lengths)} s".lstrip(", ")
                modes.append(label)
            if modes:
                labels = [x for x in modes if x]
                out.append(f"{name} ({'; '.join(labels)})" if labels else name)
        return out


def valid_model_id(backend: Backend, model: str) -> bool:
    return bool(
        backend.model_grammar and len(model) <= 200 and re.fullmatch(backend.model_grammar, model)
    )


def _merge(base: dict[str, Any], user: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The user's models merged into the shipped catalog: a new model is taken whole; for a
    model that exists, the fields given replace those of the same mode (a price alone changes
    only the price). Accepts {"backends": {...}} and the shape `reelgraph models --json` prints
    ({backend: {...}}). Returns the merged catalog and notes on what was ignored."""
    out = json.loads(json.dumps(base))
    notes: list[str] = []
    given = user.get("backends")
    backends: dict[str, Any] = (
        given
        if isinstance(given, dict)
        else {k: v for k, v in user.items() if k not in ("schema", "version", "about")}
    )
    for bname, b in backends.items():
        if bname not in out["backends"]:
            notes.append(
                f"backend {bname!r} ignored (backends need code; known: {', '.join(out['backends'])})"
            )
            continue
        if not isinstance(b, dict) or not isinstance(b.get("models", {}), dict):
            notes.append(f'backend {bname!r} ignored: expected {{"models": {{...}}}}')
            continue
        target = out["backends"][bname]
        extra = sorted(set(b) - {"models", "title", "notes", "source", "checked"})
        if extra:
            notes.append(
                f"{bname}: only its models can be changed here (ignored: {', '.join(extra)})"
            )
        for mname, m in (b.get("models") or {}).items():
            have = target["models"].get(mname)
            if not isinstance(have, dict) or not isinstance(m, dict):
                target["models"][mname] = m
                continue
            merged = dict(have, **{k: v for k, v in m.items() if k != "modes"})
            modes = dict(have.get("modes") or {})
            for mode_name, mode in (m.get("modes") or {}).items():
                base_mode = modes.get(mode_name)
                modes[mode_name] = (
                    dict(base_mode, **mode)
                    if isinstance(base_mode, dict) and isinstance(mode, dict)
                    else mode
                )
            merged["modes"] = modes
            target["models"][mname] = merged
    return out, notes


def shipped() -> dict[str, Any]:
    return json.loads(resource_path("models.json").read_text(encoding="utf-8"))


def user_file():
    return (
        config_dir(create=False) / "models.json"
    )  # looked at on every check: never creates folders


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
            merged, notes = _merge(base, user)
            cat = Catalog.model_validate(merged)
            if notes:
                warning = f"{user_file()}: " + "; ".join(notes)
            return cat, warning
        except (OSError, ValueError, ValidationError, RecursionError) as e:
            warning = f"{user_file()}: ignored ({_short(e)}); fix it or remove it"
    return Catalog.model_validate(base), warning


def _short(e: Exception) -> str:
    if isinstance(e, ValidationError):
        err = e.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    return str(e)[:200]


def catalog() -> Catalog:
    """The shipped catalog with the user's models.json merged in (re-read when that file changes)."""
    return _load(_user_stamp(), str(config_dir(create=False)))[0]


def user_warning() -> str:
    return _load(_user_stamp(), str(config_dir(create=False)))[1]


@lru_cache(maxsize=1)
def shipped_catalog() -> Catalog:
    """The catalog as shipped (what node params' backend lists are built from: a backend needs
    code, so the user's file cannot add one)."""
    return Catalog.model_validate(shipped())


def backend_names(task: Task) -> tuple[str, ...]:
    return tuple(shipped_catalog().backends_for(task))


# -- checks shared by validation and the adapters -----------------------------------------------------

Problem = tuple[str | None, str]


def check_model(
    backend: str, task: Task, model: str, mode: str
) -> tuple[Model | None, Mode | None, list[Problem]]:
    cat = catalog()
    b = cat.backend(backend)
    if b is None:
        return (
            None,
            None,
            [
                (
                    "param 'backend'",
                    f"unknown backend {backend!r}; backends: {', '.join(cat.backends_for(task))}",
                )
            ],
        )
    m = cat.model(backend, task, model)
    if m is None:
        names = ", ".join(cat.models(backend, task)) or "none listed"
        if b.open_models and model:
            hint = b.model_grammar_help or "check the model id"
            return (
                None,
                None,
                [("param 'model'", f"{model!r} is not a valid {b.title} model id ({hint})")],
            )
        if b.open_models:
            return (
                None,
                None,
                [
                    (
                        "param 'model'",
                        f"name the {b.title} model to run ({b.model_grammar_help}); known: {names}",
                    )
                ],
            )
        return (
            None,
            None,
            [
                (
                    "param 'model'",
                    f"{b.title} has no model {model!r}; models: {names} (add new ones in "
                    f"{user_file()})",
                )
            ],
        )
    md = m.modes.get(mode or m.default_mode)
    if md is None:
        name = model or cat.default_model(backend, task)
        if not m.named_modes:
            return m, None, [("param 'mode'", f"{b.title} {name} has no modes; leave mode empty")]
        return (
            m,
            None,
            [
                (
                    "param 'mode'",
                    f"{b.title} {name} has no mode {mode!r}; modes: {', '.join(m.modes)} "
                    "(or empty: the cheapest that fits)",
                )
            ],
        )
    return m, md, []


PORT_FEATURE = {"end_image": "end_frame", "motion": "motion_brush", "camera": "camera"}


def wanted(connected: frozenset[str]) -> set[str]:
    return {f for port, f in PORT_FEATURE.items() if port in connected}


def resolve_mode(
    backend: str, task: Task, model: str, mode: str, wants: set[str], duration: float
) -> str:
    """The mode to send: the one asked for, or (mode left empty) the first of the model's modes,
    cheapest first, that honours every feature the request uses at this duration (failing that,
    at some duration, so the check can say which length to pick)."""
    m = catalog().model(backend, task, model)
    if m is None or mode:
        return mode
    for at in (duration, None):
        for name, md in m.modes.items():
            if all(md.feature(f, at) is not None for f in wants):
                return name
    return m.default_mode


def _lengths(ds: list[float]) -> str:
    words = [f"{d:g}" for d in sorted(ds)]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def check_generate(
    backend: str, model: str, mode: str, *, duration: float, connected: frozenset[str]
) -> list[Problem]:
    """What this backend/model/mode cannot honour in a generator request, each naming what can."""
    wants = wanted(connected)
    chosen = resolve_mode(backend, "generate", model, mode, wants, duration)
    m, md, problems = check_model(backend, "generate", model, chosen)
    if md is None or m is None:
        return problems
    cat = catalog()
    b = cat.backends[backend]
    name = model or cat.default_model(backend, "generate")
    label = f"{b.title} {name}" + (f" ({chosen})" if m.named_modes else "")
    port = {f: p for p, f in PORT_FEATURE.items()}
    if md.start_frame == "required" and "image" not in connected:
        problems.append(("input 'image'", f"{label} animates a start frame; connect an image"))
    if md.start_frame == "none" and "image" in connected:
        problems.append(
            (
                "input 'image'",
                f"{label} takes no start frame; disconnect it or pick a model that does",
            )
        )
    honoured = []
    for feature in sorted(wants):
        if md.feature(feature) is not None:
            honoured.append(feature)
            continue
        can = cat.who_can(backend, "generate", feature)
        others = [
            n
            for n in cat.backends_for("generate")
            if n != backend and cat.who_can(n, "generate", feature)
        ]
        where = (
            f"; {b.title} models that can: {', '.join(can)}"
            if can
            else f"; no {b.title} model can (backends that can: {', '.join(others)})"
        )
        who = label if mode or not m.named_modes else f"{b.title} {name} (in any mode)"
        problems.append(
            (
                f"input '{port[feature]}'",
                f"{who} cannot take {FEATURE_WORDS[feature]}{where}. "
                "Disconnect it or pick one of those",
            )
        )
    # one word on the clip length: the mode's lengths, narrowed by the features used
    allowed = set(md.durations) if md.durations else None
    limited_by = []
    for feature in honoured:
        f = getattr(md, feature)
        if f.durations:
            allowed = set(f.durations) if allowed is None else allowed & set(f.durations)
            limited_by.append(FEATURE_WORDS[feature])
    if allowed is not None and not any(abs(duration - d) < 1e-6 for d in allowed):
        with_ = f" with {' and '.join(limited_by)}" if limited_by else ""
        fix = (
            f"set duration to {_lengths(sorted(allowed))}"
            if allowed
            else "use one of them at a time"
        )
        problems.append(
            (
                "param 'duration'",
                f"{label} makes {_lengths(sorted(allowed or md.durations or []))} s "
                f"clips{with_}; {fix}"
                if allowed
                else f"{label} has no clip length{with_}; {fix}",
            )
        )
    used = [f for f in md.exclusive if f in honoured]
    if len(used) > 1:
        problems.append(
            (
                f"input '{port[used[-1]]}'",
                f"{label} takes one of "
                f"{', '.join(FEATURE_WORDS[f] for f in md.exclusive)} per request, not "
                f"{' and '.join(FEATURE_WORDS[f] for f in used)}; disconnect all but one",
            )
        )
    return problems


def price(
    backend: str,
    task: Task,
    model: str,
    mode: str,
    seconds: float,
    takes: int = 1,
    wants: set[str] | frozenset[str] = frozenset(),
) -> float:
    """Estimated USD for ``takes`` results of ``seconds`` each, in the mode that would be sent."""
    mode = resolve_mode(backend, task, model, mode, set(wants), seconds)
    md = catalog().mode(backend, task, model, mode)
    if md is None:
        return 0.0
    each = md.price_per_second * seconds + md.price_per_request
    return round(each * max(1, takes), 4)


# -- drop-downs ---------------------------------------------------------------------------------------


def price_label(md: Mode) -> str:
    parts = []
    if md.price_per_second:
        parts.append(f"${md.price_per_second:.3f}/s")
    if md.price_per_request:
        parts.append(f"${md.price_per_request:.3f}/request")
    return " + ".join(parts) or "free"


def model_label(name: str, m: Model) -> str:
    if not m.named_modes:
        return f"{name} · {price_label(m.modes[m.default_mode])}"
    return f"{name} · " + " · ".join(f"{n} {price_label(md)}" for n, md in m.modes.items())


def param_options(
    task: Task, backend: str, model: str, *, with_mode: bool = False
) -> dict[str, Any]:
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
            modes += [
                (n, " · ".join(x for x in (n, md.resolution or "", price_label(md)) if x))
                for n, md in m.modes.items()
            ]
            out["mode"] = Options(tuple(modes))
        else:
            out["mode"] = Options(())
    return out


# -- words ----------------------------------------------------------------------------------------------


def describe(md: Mode, task: Task = "generate") -> str:
    """One line of what a mode takes and costs (`reelgraph models` and the docs' table)."""

    def durs(ds: list[float]) -> str:
        return "/".join(f"{d:g}" for d in ds) + " s"

    parts = [price_label(md)]
    if md.durations:
        parts.append(durs(md.durations))
    if md.resolution:
        parts.append(md.resolution)
    if task == "generate":
        parts.append(
            {
                "required": "start frame required",
                "optional": "start frame",
                "none": "no start frame",
            }[md.start_frame]
        )
    for name, word in (
        ("end_frame", "end frame"),
        ("motion_brush", "motion brush"),
        ("camera", "camera"),
    ):
        f = getattr(md, name)
        if f is not None:
            extra = f" ({f.kind})" if isinstance(f, Camera) else ""
            parts.append(word + extra + (f" on {durs(f.durations)}" if f.durations else ""))
    parts += [
        w
        for w, on in (
            ("seed", md.seed),
            ("negative prompt", md.negative_prompt),
            ("cfg", md.cfg_scale),
            ("sound", md.audio),
        )
        if on
    ]
    if sum(getattr(md, f) is not None for f in md.exclusive) > 1:
        parts.append("one of end frame/brush/camera per request")
    if md.max_upload_mb:
        size = (
            f"{md.max_upload_mb / 1024:g} GB"
            if md.max_upload_mb >= 1024
            else f"{md.max_upload_mb:g} MB"
        )
        parts.append(f"uploads up to {size}")
    return ", ".join(parts)


def markdown_table(cat: Catalog) -> str:
    """The capability table of docs/backends.md, made from the catalog."""
    rows = [
        "| backend | model | task | mode | what it takes and costs | checked |",
        "|---|---|---|---|---|---|",
    ]
    for bname, b in cat.backends.items():
        for mname, m in b.models.items():
            label = "any valid id" if mname == "*" else f"`{mname}`"
            checked = f"[{m.checked}]({m.source})" if m.source else m.checked
            for mode_name, md in m.modes.items():
                rows.append(
                    f"| `{bname}` | {label} | {m.task} | {mode_name if m.named_modes else ''} | "
                    f"{describe(md, m.task)} | {checked} |"
                )
    return "\n".join(rows) + "\n"
