"""Reading Fountain screenplays (https://fountain.io/syntax): the parts a shot list needs.

Scene headings (INT./EXT./EST./INT./EXT./I/E, or forced with a leading "."), action, character
cues with their parentheticals and dialogue (extensions like (V.O.) and (CONT'D), dual dialogue
"^"), transitions (upper case ending in "TO:", or forced with ">"), centred text, sections "#",
synopses "=", notes [[...]], boneyard /* ... */ and the title page. Everything else of the
syntax (emphasis, page breaks, lyrics) is kept as plain text. No third-party parser on PyPI is
maintained; this reader is small and tested on a screenplay written for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HEADING = re.compile(r"^(INT\.?/EXT|INT/EXT|I/E|INT|EXT|EST)[\.\s]", re.IGNORECASE)
TIME_WORDS = (
    "DAY",
    "NIGHT",
    "MORNING",
    "EVENING",
    "DUSK",
    "DAWN",
    "AFTERNOON",
    "CONTINUOUS",
    "LATER",
    "MOMENTS LATER",
    "SUNSET",
    "SUNRISE",
    "SAME",
)
TRANSITION = re.compile(r"^(FADE IN:|FADE OUT\.?|FADE TO BLACK\.?|[A-Z0-9 .'\-]+TO:)$")
CHARACTER = re.compile(r"^[^\W\d_][\w.'\- ]*(?:\([^()]*\))?\^?$")  # any alphabet
MAX_LINE = 2000  # a screenplay line longer than this is text, not structure (and regexes stay fast)


@dataclass
class Line:
    character: str
    text: str
    parenthetical: str = ""
    extension: str = ""  # V.O., O.S., CONT'D: a voice-over is heard, not seen speaking


@dataclass
class Scene:
    heading: str
    number: int
    setting: str = ""  # INT, EXT, INT/EXT, EST
    place: str = ""
    time: str = ""  # DAY, NIGHT, ...
    action: list[str] = field(default_factory=list)  # paragraphs
    dialogue: list[Line] = field(default_factory=list)
    transition: str = ""  # the transition out of this scene

    @property
    def speakers(self) -> list[str]:
        return list(dict.fromkeys(line.character for line in self.dialogue))

    def words_spoken(self) -> int:
        return sum(len(line.text.split()) for line in self.dialogue)


@dataclass
class Screenplay:
    title: dict[str, str]
    scenes: list[Scene]


def _cut(text: str, start: str, end: str) -> str:
    """``text`` without the spans from ``start`` to ``end`` (an unclosed one runs to the end),
    found with str.find: linear whatever the text (a regex of lazy dots is not)."""
    out: list[str] = []
    pos = 0
    while True:
        a = text.find(start, pos)
        if a < 0:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos:a])
        b = text.find(end, a + len(start))
        if b < 0:
            return "".join(out)
        pos = b + len(end)


def _caps(cue: str) -> bool:
    """A character cue is the name in capitals; its extension may be in any case
    (MARA (cont'd), HANS (on the radio))."""
    name = re.sub(r"\([^()]*\)", "", cue)
    return name.upper() == name and any(c.isalpha() for c in name)


def _strip_markup(text: str) -> str:
    return _cut(_cut(text, "/*", "*/"), "[[", "]]")  # boneyard, then notes


def _heading_parts(heading: str) -> tuple[str, str, str]:
    h = " ".join(heading.split())[:300].lstrip(".").strip()  # one space between words, bounded
    h = re.sub(r"\s*#[^#]*#\s*$", "", h)  # scene number
    m = HEADING.match(h + " ")
    setting = ""
    rest = h
    if m:
        setting = m.group(1).upper().replace("INT./EXT", "INT/EXT").replace("I/E", "INT/EXT")
        rest = h[m.end() :].strip(" .")
    place, time = rest, ""
    parts = re.split(r"\s+[-–—]\s+", rest)
    if len(parts) > 1 and parts[-1].strip().upper() in TIME_WORDS:  # a time of day; else a place
        place, time = " - ".join(parts[:-1]).strip(), parts[-1].strip().upper()
    return setting, place.strip(), time


def parse(text: str) -> Screenplay:
    """The screenplay's title page and scenes, in order. Text before the first scene heading is
    a scene of its own only when it has action or dialogue (a cold open)."""
    text = _strip_markup(text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    "))
    text = text.replace("\0", "")
    lines = text.split("\n")
    title: dict[str, str] = {}
    i = 0
    # the title page: "Key: value" lines at the very top, up to the first blank line
    if lines and re.match(r"^[A-Za-z ]+:", lines[0]):
        key = ""
        while i < len(lines) and lines[i].strip():
            m = re.match(r"^([A-Za-z ]+):\s*(.*)$", lines[i])
            if m:
                key = m.group(1).strip().lower()
                title[key] = m.group(2).strip()
            elif key:
                title[key] = (title[key] + " " + lines[i].strip()).strip()
            i += 1
    scenes: list[Scene] = []
    current = Scene("", 0)

    def close() -> None:
        nonlocal current
        if current.heading or current.action or current.dialogue:
            current.number = len(scenes) + 1
            scenes.append(current)

    blocks: list[list[str]] = []
    block: list[str] = []
    for line in lines[i:]:
        if line.strip() == "" and not line.startswith("  "):
            if block:
                blocks.append(block)
                block = []
        else:
            block.append(line.rstrip())
    if block:
        blocks.append(block)

    for b in blocks:
        first = b[0].strip()[:MAX_LINE]
        if first.startswith(("#", "=")) and not first.startswith("==="):
            continue  # sections and synopses: structure for the writer, not the film
        if first == "===":
            continue  # page break
        is_heading = (first.startswith(".") and not first.startswith("..")) or (
            HEADING.match(first + " ") is not None
        )
        if is_heading:
            close()
            heading = re.sub(r"\s*#[^#]*#\s*$", "", first.lstrip(".").strip())
            setting, place, time = _heading_parts(first)
            current = Scene(heading, 0, setting, place, time)
            if len(b) == 1:
                continue
            b = b[1:]  # action written straight under the heading
            first = b[0].strip()
        if len(b) == 1 and (first.startswith(">") and not first.endswith("<")):
            current.transition = first.lstrip(">").strip()
            continue
        if len(b) == 1 and TRANSITION.match(first):
            current.transition = first
            continue
        forced = first.startswith("@")  # @McCLANE: a name that is not all capitals
        if (
            len(b) >= 2
            and not first.startswith("!")
            and any(c.isalpha() for c in first)
            and (forced or (CHARACTER.match(first) and _caps(first)))
        ):
            ext = re.search(r"\(([^()]*)\)", first)
            extension = ext.group(1).strip().upper() if ext else ""
            name = re.sub(r"\s*\(.*\)\s*", " ", first.lstrip("@").rstrip("^").strip()).strip()
            paren = ""
            spoken: list[str] = []
            for raw in b[1:]:
                t = raw.strip()
                if t.startswith("(") and t.endswith(")"):
                    if spoken:  # a parenthetical mid-speech starts a new beat of the same line
                        current.dialogue.append(Line(name, " ".join(spoken), paren, extension))
                        spoken = []
                    paren = t[1:-1].strip()
                else:
                    spoken.append(t)
            if spoken:
                current.dialogue.append(Line(name, " ".join(spoken), paren, extension))
            continue
        paragraph = " ".join(x.strip().lstrip("!").strip() for x in b)
        paragraph = re.sub(r"^>\s*(.*?)\s*<$", r"\1", paragraph)  # centred text
        current.action.append(paragraph)
    close()
    return Screenplay(title, scenes)
