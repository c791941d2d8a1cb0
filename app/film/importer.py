"""A screenplay (Fountain) into a sequence: one shot per scene (or per action paragraph), each a
workflow file made from a recipe, with the prompt filled from the text, a storyboard card as its
still, and for a speaking scene a placeholder voice of the right length wired to lip-sync."""

from __future__ import annotations

import re
import wave
from pathlib import Path
from typing import Literal

from app.core import recipes
from app.core.fileio import save_workflow
from app.core.fountain import Scene, parse
from app.core.limits import limit
from app.core.ports import PortType
from app.core.registry import Registry
from app.core.sequence import MAX_SHOTS, Bible, Sequence, Shot, save_sequence
from app.core.workflow import Link, NodeModel, Workflow
from app.media.cards import card
from app.media.images import write_png

DEFAULT_RECIPE = "library:push_in_shot"
DIALOGUE_RECIPE = "library:dialogue_shot"
WORDS_PER_SECOND = 2.6  # unhurried screen speech
LIGHT = {
    "DAY": "daylight",
    "NIGHT": "night, practical lights",
    "MORNING": "soft morning light",
    "DAWN": "first light of dawn",
    "DUSK": "dusk light",
    "EVENING": "warm evening light",
    "AFTERNOON": "afternoon light",
    "SUNSET": "low sunset light",
    "SUNRISE": "sunrise light",
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40] or "shot"


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def _silence(path: Path, seconds: float, rate: int = 48000) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        left = int(round(seconds * rate))
        while left > 0:  # a second at a time: memory stays small
            n = min(left, rate)
            w.writeframes(b"\0\0" * n)
            left -= n


def _inputs_by_type(info: recipes.Ports) -> dict[PortType, str]:
    found: dict[PortType, str] = {}
    for p in info.inputs:
        for t in p.types:
            found.setdefault(t, p.name)
    return found


def import_screenplay(
    text: str,
    dest: Path,
    registry: Registry,
    *,
    recipe: str = DEFAULT_RECIPE,
    per: Literal["scene", "action"] = "scene",
    size: tuple[int, int] = (1280, 720),
    min_seconds: float = 2.0,
    max_seconds: float = 8.0,
    force: bool = False,
) -> Sequence:
    """Write the sequence ``dest`` and, beside it in ``<stem>_shots/``, each shot's workflow,
    storyboard card and placeholder voice. Raises ValueError for a recipe that cannot be used."""
    folder = dest.parent / f"{dest.stem}_shots"
    if (dest.exists() or folder.exists()) and not force:
        raise ValueError(
            f"{dest.name} (or {folder.name}/) is already there: importing again would replace its shots; "
            "choose another -o, or --force to rewrite the shot files (recorded voices and replaced "
            "stills in it are kept)"
        )
    play = parse(text)
    if not play.scenes:
        raise ValueError("no scenes found: a scene starts with a heading like 'INT. CAFE - DAY'")
    for sub in ("cards", "audio"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    base = NodeModel(id="shot", type=recipes.TYPE, params={"source": recipe})
    try:
        plain = recipes.ports(base, registry, folder, {})
        talking = recipes.ports(
            base.model_copy(update={"params": {"source": DIALOGUE_RECIPE}}), registry, folder, {}
        )
    except ValueError as e:
        raise ValueError(f"cannot use the recipe: {e}") from None
    units: list[tuple[Scene, list[str], bool]] = []
    for sc in play.scenes:
        if per == "action" and len(sc.action) > 1:
            units += [(sc, [a], i == 0) for i, a in enumerate(sc.action)]  # dialogue with the first
        else:
            units.append((sc, sc.action, True))
    if len(units) > MAX_SHOTS:
        raise ValueError(
            f"{len(units)} shots is more than a sequence holds ({MAX_SHOTS}); split the script"
        )
    shots: list[Shot] = []
    characters: dict[str, str] = {}
    time_of_day = "DAY"
    for index, (sc, action, with_dialogue) in enumerate(units, start=1):
        heard = sc.dialogue if with_dialogue else []
        lines = [
            line for line in heard if line.extension not in ("V.O.", "O.S.", "O.C.")
        ]  # seen speaking
        if sc.time in LIGHT:
            time_of_day = sc.time  # CONTINUOUS, LATER, SAME: the light of the scene before
        for line in lines:
            characters.setdefault(line.character.title(), "")
        name = f"{index:02d}_{_slug(sc.place or sc.heading or 'scene')}"
        words = sum(len(line.text.split()) for line in lines)
        # a shot says what fits in one shot: a longer speech is cut to the shot limit (split the scene)
        spoken = min(words / WORDS_PER_SECOND + 0.6, limit("shot_seconds")) if lines else 0.0
        action_text = " ".join(action)
        seconds = max(min_seconds, min(max_seconds, max(spoken, len(action_text.split()) / 6)))
        seconds = round(seconds * 2) / 2
        night = time_of_day in ("NIGHT", "DUSK", "EVENING")
        still = folder / "cards" / f"{name}.png"
        if not still.exists():  # a still you put in its place is kept
            write_png(
                still, card(size[0], size[1], sc.heading or "Opening", action_text, night=night)
            )
        sentences = _sentences(action_text)
        where = {
            "INT": "interior",
            "EXT": "exterior",
            "INT/EXT": "interior and exterior",
            "EST": "establishing shot of",
        }.get(sc.setting, "")
        prompt = {
            "subject": sentences[0][:300] if sentences else sc.place.lower(),
            "action": " ".join(sentences[1:])[:600],
            "environment": f"{where} {sc.place.lower()}".strip(),
            "lighting": LIGHT.get(time_of_day, ""),
        }
        nodes = [
            NodeModel(
                id="prompt",
                type="prompt",
                params={k: v for k, v in prompt.items() if v},
                ui={"pos": [0, 0]},
            ),
            NodeModel(
                id="still",
                type="reference_image",
                params={"path": f"cards/{still.name}"},
                ui={"pos": [0, 220]},
            ),
        ]
        links: list[Link] = []
        info = talking if lines else plain
        source = DIALOGUE_RECIPE if lines else recipe
        by_type = _inputs_by_type(info)
        exposed = {p[0] for p in info.params}
        values: dict[str, object] = {}
        for key, value in (
            ("seconds", seconds),
            ("width", size[0]),
            ("height", size[1]),
            ("file", name),
        ):
            if key in exposed:
                values[key] = value
        if lines and "mouth_box" in exposed:  # the card has no face: below its text, a placeholder
            values["mouth_box"] = [
                int(size[0] * 0.44),
                int(size[1] * 0.86),
                int(size[0] * 0.12),
                int(size[1] * 0.08),
            ]
        nodes.append(
            NodeModel(
                id="shot",
                type=recipes.TYPE,
                params={"source": source, "values": values},
                ui={"pos": [340, 60]},
            )
        )
        if PortType.PROMPT in by_type:
            links.append(
                Link.model_validate(
                    {"from": ["prompt", "prompt"], "to": ["shot", by_type[PortType.PROMPT]]}
                )
            )
        if PortType.IMAGE in by_type:
            links.append(
                Link.model_validate(
                    {"from": ["still", "image"], "to": ["shot", by_type[PortType.IMAGE]]}
                )
            )
        if lines:
            voice = folder / "audio" / f"{name}.wav"
            if not voice.exists():  # a recorded line is never replaced by silence
                _silence(voice, spoken)
            nodes.append(
                NodeModel(
                    id="voice",
                    type="load_audio",
                    params={"path": f"audio/{voice.name}"},
                    ui={"pos": [0, 440]},
                )
            )
            if PortType.AUDIO in by_type:
                links.append(
                    Link.model_validate(
                        {"from": ["voice", "audio"], "to": ["shot", by_type[PortType.AUDIO]]}
                    )
                )
        wf = Workflow(
            name=f"{play.title.get('title', dest.stem)}: {sc.heading or 'opening'}",
            nodes=nodes,
            links=links,
        )
        save_workflow(wf, folder / f"{name}.json")
        notes = "\n".join(
            line.character
            + (f" ({line.extension})" if line.extension else "")
            + (f" ({line.parenthetical})" if line.parenthetical else "")
            + f": {line.text}"
            for line in heard
        )
        if lines:
            notes += (
                "\n(the voice is a silent placeholder of the line's length: replace audio/"
                f"{name}.wav with the recorded or synthesised line)"
            )
        shots.append(
            Shot(
                name=name, workflow=f"{folder.name}/{name}.json", output="shot", notes=notes.strip()
            )
        )
    seq = Sequence(
        name=play.title.get("title", dest.stem),
        shots=shots,
        bible=Bible(style="", characters=characters),
    )
    save_sequence(seq, dest)
    return seq
